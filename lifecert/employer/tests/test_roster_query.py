import datetime

from django.urls import reverse
from django.utils import timezone

from lifecert.core import testing
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
        return {e.pk for e in pager.page.paginator.object_list}

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
    response = bob.get(QUERY, {"ssn": entitlement.person.ssn})
    text = response.content.decode()
    assert "养老退休认证信息查询结果" in text
    for header in ("序号", "姓名", "身份证", "认证时间"):
        assert f"<th>{header}</th>" in text
    assert entitlement.person.name in text
    table = text.split('id="query-result"')[1]
    assert entitlement.person.ssn not in table  # masked; only the typed input echoes it
    assert "显示第 1 到第 1 条记录，总共 1 条记录" in text


def test_query_refuses_other_units_and_bad_numbers(bob, office):
    text = bob.get(QUERY, {"ssn": office.foreign.person.ssn}).content.decode()
    assert "本单位没有该身份证号的退休人员" in text
    assert office.foreign.person.name not in text
    text = bob.get(QUERY, {"ssn": "abc"}).content.decode()
    assert "请输入完整的身份证号" in text


def test_query_person_from_roster(bob, office):
    entitlement = office.pending[2]
    url = reverse("employer:query-person", args=[entitlement.public_id])
    assert entitlement.person.name in bob.get(url).content.decode()


def test_terminated_pensioner_history_is_still_queryable(bob, office):
    assert office.terminated.status == Entitlement.Status.TERMINATED
    text = bob.get(QUERY, {"ssn": office.terminated.person.ssn}).content.decode()
    assert "暂无认证记录" in text
