import datetime
import re

from django.urls import reverse
from django.utils import timezone

from lifecert.core.models import AuditEvent
from lifecert.demo import testing
from lifecert.registry.models import Entitlement

ROSTER = reverse("employer:roster")
QUERY = reverse("employer:query")


def test_roster_lists_every_pensioner_with_due_date(bob, office):
    response = bob.get(ROSTER)
    assert response.context["pager"].total == 28
    text = response.content.decode()
    for header in ("待遇状态", "上次认证时间", "认证方式", "下次认证截止日期"):
        assert header in text
    assert "暂停" in text


def test_roster_filters(bob, office):
    personas = office.personas
    now = timezone.now()
    soon = testing.make_entitlement(unit=personas.unit, region=personas.region)
    testing.make_certification(soon, certified_at=now - datetime.timedelta(days=355))
    late = testing.make_entitlement(unit=personas.unit, region=personas.region)
    testing.make_certification(late, certified_at=now - datetime.timedelta(days=400))

    def ids(which):
        pager = bob.get(ROSTER, {"status": which}).context["pager"]
        return set(
            pager.page.paginator.object_list.queryset.values_list("pk", flat=True)
        )

    assert ids("due") == {soon.pk}
    overdue = ids("overdue")
    assert late.pk in overdue
    assert soon.pk not in overdue
    # never certified, pension since 2015: overdue too
    assert personas.entitlement.pk in overdue
    assert office.terminated.pk not in overdue
    assert ids("suspended") == {office.suspended.pk}


def test_roster_query_count_is_bounded(bob, office, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert bob.get(ROSTER).status_code == 200


def test_query_by_id_number_shows_history(bob, office):
    entitlement = office.pending[2]  # certified last year
    response = bob.post(QUERY, {"ssn": entitlement.person.ssn}, follow=True)
    text = response.content.decode()
    assert "养老退休认证信息查询结果" in text
    for header in ("序号", "姓名", "身份证", "认证时间"):
        assert f"<th>{header}</th>" in text
    assert entitlement.person.name in text
    table = text.split('id="query-result"')[1]
    assert entitlement.person.ssn not in table  # masked; only the typed input echoes it
    assert "显示第 1 到第 1 条记录，总共 1 条记录" in text


def test_query_refuses_other_units_and_bad_numbers(bob, office):
    text = bob.post(
        QUERY, {"ssn": office.foreign.person.ssn}, follow=True
    ).content.decode()
    assert "本单位没有该身份证号的退休人员" in text
    assert office.foreign.person.name not in text
    text = bob.post(QUERY, {"ssn": "abc"}, follow=True).content.decode()
    assert "请输入完整的身份证号" in text


def test_query_person_from_roster(bob, office):
    entitlement = office.pending[2]
    url = reverse("employer:query-person", args=[entitlement.public_id])
    assert entitlement.person.name in bob.get(url).content.decode()


def test_terminated_pensioner_history_is_still_queryable(bob, office):
    assert office.terminated.status == Entitlement.Status.TERMINATED
    text = bob.post(
        QUERY, {"ssn": office.terminated.person.ssn}, follow=True
    ).content.decode()
    assert "暂无认证记录" in text


# ------------------------------------------------------------ search and order


def _sorted_cast(office):
    """Four pensioners named 排序*, due in about 5, 65 and 265 days, and none."""
    personas = office.personas
    today = timezone.localdate()
    made = {}
    for key, last_days, start_days, status in (
        ("b", 100, 2000, Entitlement.Status.NORMAL),
        ("t", 50, 2000, Entitlement.Status.TERMINATED),
        ("a", 300, 2000, Entitlement.Status.SUSPENDED),
        ("c", None, 360, Entitlement.Status.NORMAL),
    ):
        entitlement = testing.make_entitlement(
            person=testing.make_person(name=f"排序{key}"),
            unit=personas.unit,
            region=personas.region,
            status=status,
            start_date=today - datetime.timedelta(days=start_days),
        )
        if last_days is not None:
            testing.make_certification(
                entitlement,
                certified_at=timezone.now() - datetime.timedelta(days=last_days),
            )
        made[key] = entitlement
    return made


def test_roster_sorts_by_due_date_earliest_first(bob, office):
    made = _sorted_cast(office)
    pager = bob.post(ROSTER, {"name": "排序", "sort": "due"}, follow=True).context[
        "pager"
    ]
    assert [e.pk for e in pager.page.object_list] == [made[key].pk for key in "cabt"]
    dues = [e.next_due for e in pager.page.object_list]
    assert dues[:3] == sorted(dues[:3])
    assert dues[3] is None  # terminated: no due date, last


def test_roster_sort_by_due_covers_the_whole_roster_in_order(bob, office):
    _sorted_cast(office)
    dues = []
    for page in (1, 2, 3, 4):
        pager = bob.get(ROSTER, {"sort": "due", "page": page}).context["pager"]
        dues += [e.next_due for e in pager.page.object_list]
    assert len(dues) == pager.total == 32
    known = [due for due in dues if due is not None]
    assert known == sorted(known)
    assert dues[len(known) :] == [None] * (len(dues) - len(known))


def test_roster_search_by_name_prefix_and_whole_id_number(bob, office):
    pager = bob.post(ROSTER, {"name": "张0"}, follow=True).context["pager"]
    assert pager.total == 10
    suspended = office.suspended
    pager = bob.post(
        ROSTER, {"ssn": suspended.person.ssn.lower()}, follow=True
    ).context["pager"]
    assert [e.pk for e in pager.page.object_list] == [suspended.pk]
    # Another unit's pensioner is not found; a masked number is explained.
    assert (
        bob.post(ROSTER, {"ssn": office.foreign.person.ssn}, follow=True)
        .context["pager"]
        .total
        == 0
    )
    response = bob.post(ROSTER, {"ssn": "4306**********203X"}, follow=True)
    assert response.context["pager"].total == 0
    assert "请输入完整的18位社会保障号码" in response.content.decode()


def test_roster_search_filter_and_sort_combine_and_the_export_follows(bob, office):
    response = bob.post(
        ROSTER, {"name": "张", "status": "overdue", "sort": "due"}, follow=True
    )
    text = response.content.decode()
    export = re.search(r'id="roster-export" href="([^"]+)"', text)[1]
    assert "name=" not in export  # the name and number stay in the session
    assert "sort=due" in export
    assert "status=overdue" in export
    export_response = bob.get(export.replace("&amp;", "&"))
    assert export_response.status_code == 200
    b"".join(export_response.streaming_content)
    audit = AuditEvent.objects.get(action="export.unit_roster")
    assert audit.after["criteria"] == {"name": "张", "status": "overdue", "sort": "due"}


def test_sorted_roster_query_count_is_bounded(
    bob, office, django_assert_max_num_queries
):
    searched = bob.post(ROSTER, {"name": "张", "sort": "due"}).url
    with django_assert_max_num_queries(10):
        assert bob.get(searched).status_code == 200
