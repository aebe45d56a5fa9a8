"""The demo data shows the cycle: every working list of the demo region and the
demo unit has rows, and the rows tell a consistent story."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lifecert.accounts.models import User
from lifecert.certification import cycle
from lifecert.certification.access import (
    back_pays_for_staff,
    death_cases_for_staff,
    overpayments_for_staff,
    run_entitlements,
    suspension_runs_for_staff,
)
from lifecert.certification.cycle import months_between
from lifecert.certification.models import (
    BackPay,
    Certification,
    Channel,
    DeathAfterCertificationCase,
    Overpayment,
    ReviewRequest,
    SuspensionRun,
)
from lifecert.certification.services import OVERDUE_REASON
from lifecert.demo import demo_cycle
from lifecert.demo import loader as demo
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True  # the development server (scripts/serve.sh)
    call_command("seed_demo", "--persons", "400", stdout=StringIO())
    return User.objects.get(username="staff")


def _demo_unit():
    return Entitlement.objects.filter(
        unit__number=demo.DEMO_BIG_UNIT, region__code="440100"
    )


def _role(role):
    """The demo unit's entitlement that plays ``role`` (persons in load order)."""
    index = next(i for i, part in demo_cycle.ROLES.items() if part == role)
    return _demo_unit().order_by("person_id")[index]


def test_the_demo_unit_has_pensions_due_soon_and_overdue(seeded):
    due_soon = cycle.due_within(_demo_unit(), cycle.DUE_SOON_DAYS)
    assert _role("due_soon") in due_soon
    overdue = cycle.overdue(_demo_unit())
    assert _role("overdue") in overdue
    # The overdue wait for this month's run: the preview shows them.
    client = _client(seeded)
    page = client.get(reverse("backoffice:run-suspensions")).content.decode()
    assert str(_role("overdue").person.public_id) in page


def test_suspended_pensions_keep_their_suspension_date_and_run(seeded):
    suspended = _demo_unit().filter(status=Entitlement.Status.SUSPENDED)
    assert _role("suspended") in suspended
    assert not suspended.filter(status_since=None).exists()
    for entitlement in suspended:
        assert entitlement.status_reason == OVERDUE_REASON
        run = entitlement.suspension_runs.get()
        assert run.run_on == entitlement.status_since
        assert run.run_on.day == 1  # the monthly scheduled run
        # Its due date had passed by the run's day: the run was right to stop it.
        assert cycle.overdue_since(entitlement) <= run.run_on
        assert months_between(entitlement.status_since, timezone.localdate())
    # Every run the staff see lists as many as it counts, and stopped someone.
    runs = suspension_runs_for_staff(seeded)
    assert runs.exists()
    for run in SuspensionRun.objects.all():
        assert run.count == run.entitlements.count() > 0
        assert run.source == SuspensionRun.Source.SCHEDULE
    assert run_entitlements(seeded, _role("suspended").suspension_runs.get()).exists()


def test_resumed_pensions_have_back_pay_for_payroll(seeded):
    resumed = _role("back_pay")
    back_pay = back_pays_for_staff(seeded).get(entitlement=resumed)
    assert back_pay.months == demo_cycle.ROLE_BACK_MONTHS
    assert back_pay.amount == resumed.monthly_amount * back_pay.months
    assert resumed.status == Entitlement.Status.NORMAL
    # The months are those of the service's rule, from the run that stopped it.
    assert back_pay.suspension_run.run_on == back_pay.suspended_since
    assert back_pay.months == months_between(
        back_pay.suspended_since, resumed.status_since
    )
    assert back_pay.certification.certified_at == resumed.last_certified_at
    for other in BackPay.objects.select_related("entitlement", "certification"):
        assert other.amount == other.entitlement.monthly_amount * other.months
        assert other.certification.entitlement_id == other.entitlement_id
        assert other.suspension_run.entitlements.filter(pk=other.entitlement_id)
    page = _client(seeded).get(reverse("backoffice:back-pay-list")).content.decode()
    assert str(resumed.person.public_id) in page


def test_a_death_with_an_overpayment_to_recover(seeded):
    died = _role("died")
    assert died.status == Entitlement.Status.TERMINATED
    overpayment = overpayments_for_staff(seeded).get(entitlement=died)
    assert overpayment.status == Overpayment.Status.PENDING
    assert overpayment.case is None  # nobody vouched after the death
    assert overpayment.death_date == died.person.death_date
    assert overpayment.amount == died.monthly_amount * overpayment.months > 0
    page = _client(seeded).get(reverse("backoffice:overpayment-list")).content.decode()
    assert str(died.person.public_id) in page


def test_a_unit_certification_after_a_death_opens_a_case(seeded):
    vouched = _role("certified_after_death")
    case = death_cases_for_staff(seeded).get(entitlement=vouched)
    assert case.status == DeathAfterCertificationCase.Status.OPEN
    assert case.channel == Channel.UNIT
    assert case.unit.number == demo.DEMO_BIG_UNIT
    assert case.operator_name == demo_cycle.DEMO_OPERATOR
    assert timezone.localdate(case.certified_at) > case.death_date
    overpayment = Overpayment.objects.get(entitlement=vouched)
    assert overpayment.case == case
    assert demo.DEMO_BIG_UNIT in overpayment.responsible
    # The case is the generated certification's: no extra one was written.
    assert Certification.objects.filter(entitlement=vouched).count() == 5
    page = _client(seeded).get(reverse("backoffice:death-case-list")).content.decode()
    assert str(vouched.person.public_id) in page


def test_a_review_waits_for_staff(seeded):
    waiting = _role("review")
    review = ReviewRequest.objects.get(person_id=waiting.person_id)
    assert review.status == ReviewRequest.Status.OPEN
    assert review.region_id == waiting.region_id
    page = _client(seeded).get(reverse("backoffice:review-queue")).content.decode()
    assert str(waiting.person.public_id) in page


def test_the_population_has_every_place_in_the_cycle(seeded):
    everyone = Entitlement.objects.all()
    assert cycle.due_within(everyone, cycle.DUE_SOON_DAYS).count() > 10
    assert cycle.overdue(everyone).count() > 1
    assert BackPay.objects.count() > 2
    assert everyone.filter(status=Entitlement.Status.SUSPENDED).count() > 5


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
