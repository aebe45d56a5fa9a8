"""The audit log is append-only and tamper-evident: a hash chain over its rows,
a command that finds the first broken link, an admin that cannot write it."""

import itertools
import threading

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from lifecert.core import audit
from lifecert.core.admin import AuditedModelAdmin, AuditEventAdmin
from lifecert.core.audit_actions import AuditAction
from lifecert.core.models import AuditChainHead, AuditEvent
from lifecert.demo import testing
from lifecert.registry.models import Person


@pytest.fixture
def chained(db, personas, django_capture_on_commit_callbacks):
    """Five audited actions, committed and linked as in production."""
    events = []
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            events.append(
                audit.record(
                    AuditAction.ENTITLEMENT_STATUS,
                    acting_user=personas.staff,
                    target=personas.entitlement,
                    after={"n": n, "score": 0.4123, "名字": "杨书维"},
                )
            )
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


def _sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_rows_are_linked_in_order_and_the_chain_verifies(chained):
    assert [e.seq for e in chained] == [1, 2, 3, 4, 5]
    assert chained[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chained))
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == 5
    assert AuditChainHead.objects.get().hash == chained[-1].hash


def test_an_after_edited_by_raw_sql_is_found_at_that_row(chained):
    victim = chained[2]
    _sql(
        "UPDATE core_auditevent SET after = %s WHERE id = %s",
        '{"n": 99, "score": 0.4123, "名字": "杨书维"}',
        victim.pk,
    )
    report = audit.verify_chain()
    assert not report.ok
    assert (report.broken_seq, report.broken_id) == (3, victim.pk)
    assert "修改" in report.reason


def test_a_deleted_row_is_found(chained):
    _sql("DELETE FROM core_auditevent WHERE id = %s", chained[1].pk)
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_seq == 2
    assert "缺失" in report.reason


def test_a_deleted_last_row_is_found_by_the_head(chained):
    _sql("DELETE FROM core_auditevent WHERE id = %s", chained[-1].pk)
    report = audit.verify_chain()
    assert report.broken_seq == 5
    assert "链尾" in report.reason


def test_a_row_replaced_with_a_recomputed_hash_breaks_the_next_link(chained):
    victim = chained[1]
    victim.after = {"n": 42}
    victim.hash = audit.link_hash(victim.prev_hash, victim)
    AuditEvent.objects.filter(pk=victim.pk).update(after=victim.after, hash=victim.hash)
    report = audit.verify_chain()
    assert (report.broken_seq, report.broken_id) == (3, chained[2].pk)


def test_the_command_names_the_first_broken_link_and_fails(chained, capsys):
    call_command("verify_audit_chain")
    assert "5" in capsys.readouterr().out
    _sql(
        "UPDATE core_auditevent SET actor_label = 'someone' WHERE id = %s",
        chained[3].pk,
    )
    with pytest.raises(CommandError, match=f"第 4 条.*id {chained[3].pk}"):
        call_command("verify_audit_chain")


def test_an_unknown_action_is_refused(personas):
    with pytest.raises(ValueError, match="not a valid AuditAction"):
        audit.record("made.up", acting_user=personas.staff)


def test_rows_carry_the_targets_region(chained, personas):
    assert {e.region_id for e in chained} == {personas.region.pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    staff = testing.make_staff_user(username="concurrent_staff")
    errors = []

    def writer(n):
        try:
            for i in range(5):
                with transaction.atomic():
                    audit.record(
                        AuditAction.ENTITLEMENT_STATUS,
                        acting_user=staff,
                        after={"writer": n, "i": i},
                    )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.filter(seq=None).count() == 0
    seqs = sorted(AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 21))
    assert audit.verify_chain().ok


# ---------------------------------------------------------------- the admin


@pytest.fixture
def superuser_client(client, db):
    root = testing.make_staff_user(None, username="root", is_superuser=True)
    client.force_login(root)
    return client


def test_the_admin_cannot_add_change_or_delete_audit_rows(superuser_client, chained):
    event = chained[0]
    add = reverse("admin:core_auditevent_add")
    assert superuser_client.get(add).status_code == 403
    forged = {"action": "certification.create", "actor_label": "province"}
    assert superuser_client.post(add, forged).status_code == 403
    change = reverse("admin:core_auditevent_change", args=[event.pk])
    superuser_client.post(change, {"actor_label": "nobody"})
    delete = reverse("admin:core_auditevent_delete", args=[event.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    action = superuser_client.post(
        reverse("admin:core_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert action.status_code in (200, 302)
    assert AuditEvent.objects.count() == 5
    assert AuditEvent.objects.get(pk=event.pk).actor_label == event.actor_label
    assert audit.verify_chain().ok


def test_an_admin_change_is_audited_with_before_and_after(superuser_client, personas):
    person = personas.pensioner
    url = reverse("admin:registry_person_change", args=[person.pk])
    form = superuser_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    data["name"] = "杨改名"
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = AuditEvent.objects.get(action=AuditAction.ADMIN_CHANGE)
    assert row.actor_label == "root"
    assert row.before["name"] == "杨书维"
    assert row.after["name"] == "杨改名"
    assert row.target_id == str(person.public_id)


def test_an_admin_add_and_delete_are_audited(superuser_client):
    response = superuser_client.post(
        reverse("admin:registry_region_add"), {"code": "440500", "name": "汕头"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_ADD).count() == 1
    region = testing.make_region("440600", "佛山")
    superuser_client.post(
        reverse("admin:registry_region_changelist"),
        {"action": "delete_selected", "_selected_action": [region.pk], "post": "yes"},
    )
    deleted = AuditEvent.objects.get(action=AuditAction.ADMIN_DELETE)
    assert deleted.before["code"] == "440600"


def test_every_registered_admin_is_audited_or_read_only():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedModelAdmin | AuditEventAdmin), model
    assert Person in admin.site._registry


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_chains_the_rows_written_before_it():
    from django.db.migrations.executor import MigrationExecutor

    before = [("core", "0002_audit_chain_and_region")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldEvent = old.get_model("core", "AuditEvent")
    for n in range(3):
        OldEvent.objects.create(
            actor_label="province", action="registry.import", after={"rows": n}
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == 3


def test_set_based_rows_are_chained_with_their_targets_region(
    personas, django_capture_on_commit_callbacks
):
    from lifecert.registry.models import Entitlement

    other = testing.make_entitlement(region=personas.other_region)
    with django_capture_on_commit_callbacks(execute=True):
        audit.record_many(
            AuditAction.ENTITLEMENT_SUSPEND,
            acting_user=personas.staff,
            model=Entitlement,
            pks=[personas.entitlement.pk, other.pk],
        )
    rows = AuditEvent.objects.order_by("seq")
    assert [r.seq for r in rows] == [1, 2]
    assert {r.region_id for r in rows} == {personas.region.pk, personas.other_region.pk}
    assert audit.verify_chain().ok


def test_a_changed_date_is_audited_as_text(superuser_client, personas):
    person = personas.pensioner
    url = reverse("admin:registry_person_change", args=[person.pk])
    form = superuser_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    data["death_date"] = "2026-01-31"
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = AuditEvent.objects.get(action=AuditAction.ADMIN_CHANGE)
    assert row.before == {"death_date": None}
    assert row.after["death_date"] == "2026-01-31"


def test_a_delete_from_the_objects_own_page_is_audited(superuser_client):
    region = testing.make_region("440700", "江门")
    url = reverse("admin:registry_region_delete", args=[region.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    deleted = AuditEvent.objects.get(action=AuditAction.ADMIN_DELETE)
    assert deleted.before["code"] == "440700"
    assert deleted.before["model"] == "registry.Region"


def test_pending_rows_are_read_as_the_orm_reads_them(personas):
    """The chain reads unlinked rows with each distinct stored value converted
    once; the values must be exactly what ``.values()`` gives, on both
    databases, or the hashes would not verify."""
    from lifecert.registry.models import Entitlement

    audit.record(
        AuditAction.ENTITLEMENT_STATUS,
        acting_user=personas.staff,
        target=personas.entitlement,
        ip="2001:db8::1",
        before={"状态": "正常"},
        after={"n": 1.5, "list": [1, None, "名字"]},
    )
    audit.record(AuditAction.ENTITLEMENT_STATUS, acting_user=None, ip="10.0.0.1")
    audit.record_many(
        AuditAction.ENTITLEMENT_SUSPEND,
        acting_user=personas.staff,
        model=Entitlement,
        pks=list(Entitlement.objects.values_list("pk", flat=True)),
        ip="10.0.0.2",
        after={"reason": "逾期"},
    )
    expected = list(
        AuditEvent.objects.filter(seq=None).order_by("id").values(*audit.CHAIN_FIELDS)
    )
    assert len(expected) >= 3
    assert audit._pending_rows() == expected


def test_set_based_rows_under_the_chain_lock_are_written_linked(personas):
    """Inside ``linked_before_commit`` ``record_many`` writes its rows with
    their place in the chain (no second write of each row to link it): linked
    as soon as written, after the block's own pending row, each hash what the
    chain re-computes from the stored row."""
    from lifecert.registry.models import Entitlement

    other = testing.make_entitlement(region=personas.other_region)
    with audit.linked_before_commit():
        single = audit.record(
            AuditAction.ENTITLEMENT_STATUS,
            acting_user=personas.staff,
            target=personas.entitlement,
            ip="2001:db8::7",
        )
        audit.record_many(
            AuditAction.ENTITLEMENT_SUSPEND,
            acting_user=personas.staff,
            model=Entitlement,
            pks=[other.pk, personas.entitlement.pk],
            ip="10.0.0.9",
            after={"reason": "逾期", "n": 2},
        )
        rows = list(AuditEvent.objects.order_by("id"))
        assert [(r.pk == single.pk, r.seq) for r in rows] == [
            (True, 1),
            (False, 2),
            (False, 3),
        ]
    assert [r.target_id for r in rows[1:]] == [
        str(e.public_id)
        for e in sorted([personas.entitlement, other], key=lambda e: e.pk)
    ]
    assert {r.region_id for r in rows[1:]} == {
        personas.region.pk,
        personas.other_region.pk,
    }
    assert rows[1].after == {"reason": "逾期", "n": 2}
    assert str(rows[1].ip) == "10.0.0.9"
    report = audit.verify_chain()
    assert report.ok, report
    assert report.checked == 3


def test_linked_rows_hash_what_the_chain_reads_back_whatever_their_values(
    personas,
):
    """Linked rows are hashed from a text made once a batch and filled in
    row by row: it must be the chain's own canonical text for any values of
    the batch — a percent sign or quotes in them, nested keys out of order,
    no address, no actor, a target without a region."""
    from lifecert.registry.models import Person

    testing.make_entitlement(region=personas.other_region)
    people = sorted(Person.objects.all(), key=lambda r: r.pk)
    after = {"说明": '100% 完成 %s %(x)s "引号" \\', "z": {"b": 1, "a": [1, None]}}
    with audit.linked_before_commit():
        audit.record_many(
            AuditAction.ENTITLEMENT_SUSPEND,
            acting_user=None,
            model=Person,
            pks=[r.pk for r in people],
            after=after,
        )
    rows = list(AuditEvent.objects.order_by("id"))
    assert len(rows) == len(people) >= 2
    assert [r.target_id for r in rows] == [str(r.public_id) for r in people]
    assert {r.region_id for r in rows} == {None}
    assert rows[0].after == after
    assert rows[0].ip is None
    report = audit.verify_chain()
    assert report.ok, report
    assert report.checked == len(rows)


def test_ids_drawn_for_linked_rows_are_never_ones_given_before(
    personas, django_capture_on_commit_callbacks
):
    """The ids of rows written linked are drawn ahead; a row's id is never
    given again, even after the newest row was deleted (SQLite's
    AUTOINCREMENT remembers it; the largest id left would give it again)."""
    from lifecert.registry.models import Entitlement

    with django_capture_on_commit_callbacks(execute=True):
        gone = audit.record(AuditAction.ENTITLEMENT_STATUS, acting_user=None)
    _sql("DELETE FROM core_auditevent WHERE id = %s", gone.pk)
    AuditChainHead.objects.update(seq=0, hash=audit.GENESIS)
    with audit.linked_before_commit():
        audit.record_many(
            AuditAction.ENTITLEMENT_SUSPEND,
            acting_user=personas.staff,
            model=Entitlement,
            pks=[personas.entitlement.pk],
        )
    row = AuditEvent.objects.get()
    assert row.pk > gone.pk
    assert audit.verify_chain().ok
    # The next row written the ordinary way follows it.
    with django_capture_on_commit_callbacks(execute=True):
        later = audit.record(AuditAction.ENTITLEMENT_STATUS, acting_user=None)
    assert later.pk > row.pk
    assert audit.verify_chain().checked == 2
