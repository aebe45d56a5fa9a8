"""接口令牌 pages: province staff for province-wide tokens, regional staff theirs."""

import re

import pytest
from django.urls import reverse

from lifecert.api.models import ApiToken
from lifecert.api.services import find_token, issue_token
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import make_staff_user, once_value

pytestmark = pytest.mark.django_db
LIST = reverse("api-tokens:list")


def _issue(region, name="民政死亡数据系统"):
    token, _ = issue_token(
        system_name=name, scopes=["push_deaths"], region=region, acting_user=None
    )
    return token


def test_province_staff_issue_a_province_wide_token_shown_once(client, personas):
    province = make_staff_user(None, username="prov")
    client.force_login(province)
    response = client.post(
        LIST,
        {"system_name": "医保就医比对", "scopes": ["push_evidence", "read_status"]},
    )
    assert response.status_code == 200
    plain = response.context["plain"]
    assert plain in response.content.decode()
    token = ApiToken.objects.get()
    assert token.region is None
    assert token.scopes == ["push_evidence", "read_status"]
    assert find_token(plain) == token
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="api_token.issue")
    assert event.after["region"] == "全省"
    assert event.actor == province
    # The list never shows it again.
    page = client.get(LIST).content.decode()
    assert plain not in page
    assert "医保就医比对" in page
    assert "全省" in page


def test_regional_staff_issue_for_their_region_only(client, personas):
    client.force_login(personas.staff)
    refused = client.post(
        LIST,
        {
            "system_name": "x",
            "scopes": ["read_status"],
            "region": personas.other_region.pk,
        },
    )
    assert refused.status_code == 400
    no_region = client.post(LIST, {"system_name": "x", "scopes": ["read_status"]})
    assert no_region.status_code == 400
    assert not ApiToken.objects.exists()
    response = client.post(
        LIST,
        {"system_name": "x", "scopes": ["read_status"], "region": personas.region.pk},
    )
    assert response.status_code == 200
    assert ApiToken.objects.get().region == personas.region


def test_regional_staff_see_only_their_regions_tokens(client, personas):
    _issue(personas.region, "广州系统")
    _issue(personas.other_region, "深圳系统")
    _issue(None, "全省系统")
    client.force_login(personas.staff)
    page = client.get(LIST).content.decode()
    assert "广州系统" in page
    assert "深圳系统" not in page
    assert "全省系统" not in page


def test_rotate_shows_a_new_secret_and_the_old_one_stops(client, personas):
    token = _issue(personas.region)
    client.force_login(personas.staff)
    response = client.post(reverse("api-tokens:rotate", args=[token.public_id]))
    assert response.status_code == 200
    assert find_token(response.context["plain"]) == token
    assert (
        client.get(reverse("api-tokens:rotate", args=[token.public_id])).status_code
        == 405
    )


def test_staff_of_another_region_do_not_find_the_token(client, personas):
    token = _issue(personas.region)
    client.force_login(personas.outsider_staff)
    for name in ("api-tokens:rotate", "api-tokens:revoke"):
        assert client.post(reverse(name, args=[token.public_id])).status_code == 404
    token.refresh_from_db()
    assert token.active


def test_revoke_then_rotate_or_revoke_again_says_why_not(client, personas):
    token = _issue(personas.region)
    client.force_login(personas.staff)
    revoke = reverse("api-tokens:revoke", args=[token.public_id])
    response = client.post(revoke, follow=True)
    assert "已停用“民政死亡数据系统”的令牌" in response.content.decode()
    token.refresh_from_db()
    assert not token.active
    again = client.post(revoke, follow=True).content.decode()
    assert "该令牌已停用。" in again
    rotate = client.post(
        reverse("api-tokens:rotate", args=[token.public_id]), follow=True
    ).content.decode()
    assert "该令牌已停用，不能更换密钥。" in rotate
    assert "已于" in rotate


def test_other_kinds_of_account_are_kept_out(client, personas):
    assert client.get(LIST).status_code == 302
    client.force_login(personas.unit_user)
    assert client.get(LIST).status_code == 403


def test_a_second_submit_of_the_issue_form_issues_no_second_token(client, personas):
    client.force_login(personas.staff)
    once = once_value(client.get(LIST))
    fields = {
        "system_name": "民政死亡数据系统",
        "scopes": ["push_deaths"],
        "once": once,
    }
    first = client.post(LIST, {**fields, "region": personas.region.pk})
    assert first.status_code == 200
    assert first.context["plain"]
    again = client.post(LIST, {**fields, "region": personas.region.pk}, follow=True)
    assert again.redirect_chain == [(LIST, 302)]
    page = again.content.decode()
    assert "已提交过，请勿重复提交" in page
    assert "换密钥" in page
    assert first.context["plain"] not in page
    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(action="api_token.issue").count() == 1


def _rotate_once(page, token):
    """The ``once`` value of ``token``'s 更换密钥 form on the list page."""
    action = re.escape(reverse("api-tokens:rotate", args=[token.public_id]))
    form = rf'action="{action}">[^<]*<input[^>]*>\s*<input type="hidden" name="once"'
    found = re.search(form + r' value="([^"]+)"', page.content.decode())
    assert found is not None
    return found.group(1)


def test_rotate_sent_again_rotates_once_and_shows_no_second_secret(client, personas):
    """Back + 更换密钥 (or a double click) rotated again: the secret just noted
    stopped working and a second one was shown."""
    token = _issue(personas.region)
    client.force_login(personas.staff)
    rotate = reverse("api-tokens:rotate", args=[token.public_id])
    once = _rotate_once(client.get(LIST), token)
    first = client.post(rotate, {"once": once})
    plain = first.context["plain"]
    # The same page again, and the page fetched again (Back): a new value.
    for again in (once, _rotate_once(client.get(LIST), token)):
        response = client.post(rotate, {"once": again}, follow=True)
        assert response.redirect_chain == [(LIST, 302)]
        page = response.content.decode()
        assert "已提交过，请勿重复提交" in page
        assert "分钟后再点该令牌的“更换密钥”" in page
        assert "plain" not in response.context
        assert find_token(plain) == token
    assert AuditEvent.objects.filter(action="api_token.rotate").count() == 1
