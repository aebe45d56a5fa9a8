import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from lifecert.accounts.models import UnitBinding, User
from lifecert.demo import demo_cycle
from lifecert.demo import loader as demo
from lifecert.notices.demo import publish_demo_notices
from lifecert.notices.models import Notice
from lifecert.registry.ids import with_check_character
from lifecert.registry.models import Entitlement, Person, Unit

DEMO_PASSWORD = "Demo-2026-lifecert"  # noqa: S105 documented demo credentials


class Command(BaseCommand):
    help = (
        "Fill the database with realistic demo data (persons, units, certifications)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=2000)
        parser.add_argument("--certifications-per-person", type=int, default=5)
        parser.add_argument(
            "--units", type=int, default=0, help="default: persons / 400"
        )
        parser.add_argument("--big-unit-size", type=int, default=263)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--rebuild-indexes-from",
            type=int,
            default=50_000,
            help="from this many persons on, drop secondary indexes, rebuild after",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when persons already exist",
        )
        parser.add_argument(
            "--force-production",
            action="store_true",
            help="run with DEBUG off (it creates accounts with known passwords)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force_production"]:
            raise CommandError(
                "DEBUG 未开启：演示数据会创建使用公开密码的账号（含 province），"
                "生产环境不得运行。确需运行请加 --force-production。"
            )
        persons = options["persons"]
        if persons < 1:
            raise CommandError("--persons must be at least 1")
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write("数据库中已有参保人，跳过演示数据。")
            return
        if Person.objects.filter(ssn=demo.DEMO_PERSONAL_SSN).exists():
            raise CommandError(
                "演示数据已存在（杨书维 43060319920301203X）；请先清空数据库。"
            )
        started = time.perf_counter()
        rng = random.Random(options["seed"])
        plan = demo.DemoPlan(
            persons=persons,
            certifications_per_person=options["certifications_per_person"],
            big_unit_size=min(options["big_unit_size"], max(0, persons - 1)),
            seed=options["seed"],
        )
        writer = demo._Writer()
        with transaction.atomic():
            regions = demo.ensure_regions()
            unit_count = options["units"] or max(6, persons // 400)
            units = demo.make_units(rng, regions, unit_count)
            written = 0
            # A large load is faster without the secondary indexes, rebuilt after.
            bulk = persons >= options["rebuild_indexes_from"]
            rebuild = demo.drop_secondary_indexes() if bulk else []
            for chunk in demo.generate(plan, units, regions):
                demo.write_chunk(writer, chunk)
                written += len(chunk[0])
                if persons >= 100_000 and written % 100_000 == 0:
                    self.stdout.write(f"  {written:,} / {persons:,} 参保人")
            if rebuild:
                self.stdout.write("  重建索引…")
                demo.rebuild_indexes(rebuild)
            demo.reset_sequences()
            demo_cycle.count_runs()
            self._accounts(units)
            demo_cycle.tell_stories(
                plan.roles, staff=User.objects.get(username="staff")
            )
            if not Notice.objects.exists():
                publish_demo_notices(User.objects.get(username="province"))
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已生成：{persons:,} 参保人，"
                f"{Entitlement.objects.count():,} 条养老待遇，"
                f"{unit_count} 个单位，用时 {elapsed:.1f} 秒。"
            )
        )

    def _accounts(self, units: list[Unit]) -> None:
        """The README's demo accounts: two staff, a unit account, a pensioner."""
        regions = {u.region.code: u.region for u in units}
        if not User.objects.filter(username="staff").exists():
            User.objects.create_user(
                username="staff",
                password=DEMO_PASSWORD,
                kind=User.Kind.STAFF,
                display_name="广州经办员",
                staff_region=regions.get("440100"),
                is_staff=True,
            )
        if not User.objects.filter(username="province").exists():
            User.objects.create_user(
                username="province",
                password=DEMO_PASSWORD,
                kind=User.Kind.STAFF,
                display_name="省级经办员",
                is_staff=True,
                is_superuser=True,
            )
        if not User.objects.filter(username="demo_unit").exists():
            account = User.objects.create_user(
                username="demo_unit", password=DEMO_PASSWORD, kind=User.Kind.UNIT
            )
            for unit in units[:2]:
                UnitBinding.objects.create(
                    account=account,
                    unit=unit,
                    operator_name="王经办",
                    operator_phone="13900139000",
                    operator_id_number=with_check_character("44010619800101001"),
                    via=UnitBinding.Via.CODE,
                )
        person = Person.objects.get(ssn=demo.DEMO_PERSONAL_SSN)
        if not User.objects.filter(username=person.ssn).exists():
            User.objects.create_user(
                username=person.ssn,
                password=DEMO_PASSWORD,
                kind=User.Kind.PERSONAL,
                display_name=person.name,
                person=person,
                phone="13800138000",
            )
