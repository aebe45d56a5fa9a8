"""Issue #12 tried in the browser as Guangzhou staff would, through the pages
only: import with preview, the suspension run with preview and report, the
dashboard's figures and charts changing and each figure opening its list, a
review approved, an overpayment followed to 已追回; then the pensioners and
the unit see the new status. Every screen saved is first checked with axe-core
(no serious or critical violation); screenshots at 1366×768 with
``LIFECERT_SCREENSHOTS``.

The world (广州 unless said, unit 4401000001; dates relative to today):

- 杨书维 (personas): normal, never certified, started 2015: overdue; the run
  suspends it.
- 林审核: suspended 3 months ago (逾期未认证), a 人工审核 case open with two
  frames kept from the failed face session; approved: certified, resumed,
  3 months' back pay.
- 黄故去: normal, certified by the unit today; a death record of 4 months ago
  terminates it, overpaid, and opens a death case.
- 何到期: certified 12 months less 10 days ago: due within 30 days.
- 吴变更: certified 2 months ago; the import changes phone and amount.
- 罗新增 (imported): never certified, started 2018: overdue, suspended.
- 周迁移 (imported): last certified 2 months ago (migrated): in time.
- 深逾期 (深圳): never certified: overdue, not Guangzhou's to suspend.
"""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import Workbook
from PIL import Image
from playwright.sync_api import expect

from lifecert.certification import cycle
from lifecert.certification.models import (
    BackPay,
    Channel,
    FaceSession,
    Overpayment,
    ReviewRequest,
    SuspensionRun,
)
from lifecert.certification.services import OVERDUE_REASON
from lifecert.core import vault
from lifecert.core.pagination import PAGE_SIZE
from lifecert.demo import testing
from lifecert.pensioner.tests.browser import axe_violations
from lifecert.registry.imports import COLUMNS, EXAMPLE_SSN, LAST_CERTIFIED
from lifecert.registry.models import Entitlement, Person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TIMEOUT = 15_000
VIEWPORT = {"width": 1366, "height": 768}
# The count a list page shows for its rows (work lists, 补发清单, 待追回).
LIST_COUNT = "#list-count, #back-pay-count, #overpayment-count"
# Its rows on the first page (an empty list says so in one wide cell).
LIST_ROWS = "main table.grid tbody tr:not(:has(td[colspan]))"


def _number(text: str) -> int:
    found = re.search(r"\d+", text)
    assert found is not None, text
    return int(found.group())


class Walk:
    """One browser page, its base URL and the screenshots folder."""

    def __init__(self, page: Any, base: str, folder: Path | None) -> None:
        self.page, self.base, self.folder = page, base, folder
        page.set_default_timeout(TIMEOUT)

    def shot(self, name: str) -> None:
        found = axe_violations(self.page)
        assert not found, f"{name}: {found}"
        if self.folder is not None:
            self.page.screenshot(
                path=str(self.folder / f"staff-walk-{name}-desktop.png"),
                full_page=True,
            )

    def log_in(self, kind: str, username: str) -> None:
        self.page.goto(f"{self.base}/accounts/{kind}/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", testing.TEST_PASSWORD)
        self.page.click("main button[type=submit]")

    def dashboard(self) -> dict[str, Any]:
        """The dashboard's cards and the region chart's row, as shown."""
        self.page.click("nav.subnav >> text=工作台")
        cards = self.page.locator(".cards .card")
        expect(cards.first).to_be_visible()
        figures = {
            card.locator("h2").inner_text(): _number(
                card.locator("a.figure").inner_text()
            )
            for card in cards.all()
        }
        # Each chart's table: its rows' cells after the row header, by header.
        for key in ("region", "month", "channel", "reviews"):
            figures[key] = {
                row.locator("th").inner_text(): [
                    cell.inner_text() for cell in row.locator("td").all()
                ]
                for row in self.page.locator(f"#chart-{key}-table tbody tr").all()
            }
        return figures

    def check_figure_lists(self, *, scope: str) -> int:
        """Open the list behind every linked figure in ``scope`` (its cards or
        its chart tables too) and check the list counts what the figure says."""
        links = [
            (a.get_attribute("href"), _number(a.inner_text()))
            for a in self.page.locator(f"{scope} a.figure").all()
        ]
        assert links
        for href, figure in links:
            self.page.goto(self.base + href)
            shown = _number(self.page.locator(LIST_COUNT).first.inner_text())
            rows = self.page.locator(LIST_ROWS).count()
            assert (shown, rows) == (figure, min(figure, PAGE_SIZE)), (href, figure)
        return len(links)


def _registry_file(path: Path, ssns: dict[str, str], unit: str) -> Path:
    today = timezone.localdate()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([*COLUMNS, LAST_CERTIFIED])
    unit_cells = ["440100", unit, "广州市示例有限公司", "正常"]
    migrated = cycle.add_months(today, -2).isoformat()
    rows = [
        # 社会保障号码, 姓名, 联系电话, 居住地址; 月养老金, 开始日期, 上次认证日期
        ([EXAMPLE_SSN, "示例", "", ""], [3000, "2015-01-01", ""]),
        (
            [ssns["luo"], "罗新增", "13800000002", "广州市海珠区"],
            [2800, "2018-03-01", ""],
        ),
        (
            [ssns["zhou"], "周迁移", "13800000003", "广州市天河区"],
            [3100, "2017-06-01", migrated],
        ),
        ([ssns["wu"], "吴变更", "13900000009", ""], [3350.5, "2015-01-01", ""]),
    ]
    for person, pension in rows:
        sheet.append([*person, *unit_cells, *pension])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _deaths_file(path: Path, ssn: str, death: str) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["社会保障号码", "姓名", "死亡日期"])
    sheet.append([ssn, "黄故去", death])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _world(personas: Any) -> dict[str, Any]:
    today = timezone.localdate()
    now = timezone.now()
    unit = personas.unit

    def pension(name: str, **values: Any) -> Entitlement:
        person = testing.make_person(name=name, phone="13800000001")
        return testing.make_entitlement(person=person, unit=unit, **values)

    review = pension(
        "林审核",
        status=Entitlement.Status.SUSPENDED,
        status_reason=OVERDUE_REASON,
        status_since=cycle.add_months(today, -3),
    )
    # The failed face session whose frames were kept for the review.
    session = FaceSession.objects.create(
        person=review.person,
        region=personas.region,
        challenge={"actions": ["blink"]},
        status=FaceSession.Status.FAILED,
        verdict="mismatch",
        face_seen=True,
        expires_at=now,
        evidence=[vault.seal(_jpeg(c)) for c in ((200, 150, 120), (90, 60, 50))],
        evidence_until=now + datetime.timedelta(days=30),
    )
    ReviewRequest.objects.create(
        person=review.person,
        region=personas.region,
        reason="人脸认证失败",
        face_session=session,
    )
    dead = pension("黄故去", monthly_amount=Decimal("3000.00"))
    testing.make_certification(
        dead, channel=Channel.UNIT, unit=unit, operator_name="王经办", certified_at=now
    )
    due = pension("何到期")
    testing.make_certification(
        due,
        certified_at=cycle.local_midnight(
            cycle.add_months(today, -12) + 10 * cycle.ONE_DAY
        ),
    )
    changed = pension("吴变更")
    testing.make_certification(
        changed, certified_at=cycle.local_midnight(cycle.add_months(today, -2))
    )
    shenzhen = testing.make_person(name="深逾期")
    testing.make_entitlement(person=shenzhen, region=personas.other_region)
    for entitlement in (review, dead):
        testing.make_personal_user(entitlement.person)
    return {
        "review": review,
        "dead": dead,
        "changed": changed,
        "ssns": {
            "luo": testing.make_ssn(born="19580301"),
            "zhou": testing.make_ssn(born="19570601"),
            "wu": changed.person.ssn,
        },
    }


def test_staff_walk_the_cycle_and_the_people_see_it(
    live_server, launch_browser, personas, screenshot_dir, tmp_path
):
    world = _world(personas)
    today = timezone.localdate()
    browser = launch_browser()
    staff = Walk(
        browser.new_context(viewport=VIEWPORT).new_page(),
        live_server.url,
        screenshot_dir,
    )
    page = staff.page
    staff.log_in("staff", personas.staff.username)
    page.wait_for_url(f"{live_server.url}/backoffice/")

    # 1. Import with preview: created, changed old → new, the example skipped.
    page.click("nav.subnav >> text=导入参保数据")
    upload = _registry_file(tmp_path / "registry.xlsx", world["ssns"], "4401000001")
    page.set_input_files("#id_file", str(upload))
    page.click("text=上传并预览")
    expect(page.locator("#count-create")).to_have_text("2")
    expect(page.locator("#count-change")).to_have_text("1")
    expect(page.locator("#import-summary")).to_contain_text("跳过 1 行")
    rows = page.locator("#import-rows")
    expect(rows).to_contain_text("罗新增")
    expect(rows).to_contain_text("联系电话：13800000001 → 13900000009")
    expect(rows).to_contain_text("月养老金：3200.00 → 3350.50")
    expect(rows).to_contain_text(f"上次认证日期：{cycle.add_months(today, -2)}")
    staff.shot("01-import-preview")
    assert not Person.objects.filter(name__in=["罗新增", "周迁移"]).exists()
    page.click("#confirm-import")
    expect(page.locator("main")).to_contain_text(
        "新增 2 条养老待遇、修改 1 条", timeout=TIMEOUT
    )
    page.click("nav.subnav >> text=参保人")
    people = page.locator("main table.grid")
    for name in ("罗新增", "周迁移", "吴变更"):
        expect(people).to_contain_text(name)
    expect(people).not_to_contain_text("深逾期")
    world["changed"].person.refresh_from_db()
    assert world["changed"].person.phone == "13900000009"

    # 2. The dashboard, the suspension run with its preview and report.
    before = staff.dashboard()
    assert before["已逾期未认证"] == 2, before  # 杨书维 and 罗新增, not 深圳
    staff.shot("02-dashboard-before")
    page.click("text=查看暂停名单（预览）")
    expect(page.locator("#preview-total")).to_have_text("2")
    listed = page.locator("main table.grid").last
    for name in ("杨书维", "罗新增"):
        expect(listed).to_contain_text(name)
    expect(listed).not_to_contain_text("深逾期")
    staff.shot("03-suspension-preview")
    page.click("#confirm-suspension")
    expect(page.locator(".msg-success")).to_contain_text("已暂停 2 条")
    expect(page.locator("#run-count")).to_have_text("2")
    report = page.locator("main table.grid")
    for name in ("杨书维", "罗新增"):
        expect(report.locator("tr", has_text=name)).to_contain_text("暂停")
    staff.shot("04-suspension-run")
    run = SuspensionRun.objects.get()
    assert run.count == 2
    assert run.run_by == personas.staff

    after = staff.dashboard()
    assert after["已逾期未认证"] == 0, after
    assert after["待遇暂停"] == before["待遇暂停"] + 2
    assert after["待遇正常"] == before["待遇正常"] - 2
    # 广州市's row: 正常, 其中已逾期, 暂停 moved; the share in time did not.
    normal, _, suspended, share = before["region"]["广州市"]
    assert after["region"]["广州市"] == [
        str(int(normal) - 2),
        "0",
        str(int(suspended) + 2),
        share,
    ]
    assert after["channel"] == before["channel"]
    staff.shot("05-dashboard-after-run")
    assert staff.check_figure_lists(scope="main") > 20

    # 3. 人工审核 → 已认证: a certification, and the pension resumes.
    page.click("nav.subnav >> text=人工审核")
    case = page.locator("main table.grid tr", has_text="林审核")
    case.locator("text=查看认证影像").click()
    frames = page.locator(".review-frames img")
    expect(frames).to_have_count(2)
    for index in range(2):
        width = frames.nth(index).evaluate(
            "img => img.complete ? img.naturalWidth : "
            "new Promise(ok => img.onload = () => ok(img.naturalWidth))"
        )
        assert width == 320
    staff.shot("06-review-frames")
    page.click("button[value=approved]")
    amount = world["review"].monthly_amount * 3
    expect(page.locator(".msg-success")).to_contain_text(
        f"已记录资格认证（人工审核）。待遇已恢复，补发 3 个月共 {amount} 元。"
    )
    page.click("nav.subnav >> text=补发清单")
    expect(page.locator("main table.grid").last).to_contain_text("林审核")
    page.click("main table.grid >> text=林审核")
    pension = page.locator("main table.grid").first
    expect(pension.locator(".badge")).to_have_text("正常")
    expect(page.locator("main")).to_contain_text("人工审核")
    staff.shot("07-review-approved")
    assert BackPay.objects.get().months == 3

    # 4. A death record, the overpayment it opens, followed to 已追回.
    page.click("nav.subnav >> text=导入死亡名单")
    death = cycle.add_months(today, -4).replace(day=15)
    deaths = _deaths_file(
        tmp_path / "deaths.xlsx", world["dead"].person.ssn, death.isoformat()
    )
    page.set_input_files("#id_file", str(deaths))
    page.click("text=上传并处理")
    expect(page.locator(".msg-info")).to_contain_text("1 条将登记为待追回")
    page.uncheck("#id_preview")
    page.set_input_files("#id_file", str(deaths))
    page.click("text=上传并处理")
    expect(page.locator("main")).to_contain_text("已登记为待追回")
    expect(page.locator("main")).to_contain_text("已转死亡后认证核查")
    page.click("nav.subnav >> text=待追回")
    row = page.locator("main table.grid tr", has_text="黄故去")
    # The unit that vouched after the death answers for it.
    expect(row).to_contain_text("单位代认证，单位 4401000001")
    expect(row.locator(".badge")).to_have_text("待追回")
    row.locator("select[name=status]").select_option("recovered")
    row.locator("input[name=note]").fill("家属已退回")
    row.locator("button[type=submit]").click()
    expect(page.locator(".msg-success")).to_have_text("追回状态已更新。")
    row = page.locator("main table.grid tr", has_text="黄故去")
    expect(row.locator(".badge")).to_have_text("已追回")
    expect(row).to_contain_text(personas.staff.username)
    staff.shot("08-overpayment-recovered")
    overpayment = Overpayment.objects.get()
    assert overpayment.status == Overpayment.Status.RECOVERED
    assert overpayment.status_by == personas.staff

    final = staff.dashboard()
    assert final["待遇终止"] == 1
    assert final["待人工审核"] == 0
    assert final["本月补发"] == 1
    assert final["待追回"] == 0
    assert final["死亡后认证待核查"] == 1
    # The charts: 林审核 back in time, 黄故去 gone from the live pensions; this
    # month's channels now count the review; the backlog is empty.
    now_normal, now_suspended = int(normal) - 2, int(suspended) + 1
    in_time = f"{100 * now_normal / (now_normal + now_suspended):.1f}%"
    assert final["region"]["广州市"] == [
        str(now_normal),
        "0",
        str(now_suspended),
        in_time,
    ]
    assert final["channel"]["人工审核"][0] == "1"
    assert final["channel"]["单位代认证"][0] == "1"
    assert final["month"][f"{today:%Y年%m月}"][0] == "1"  # 林审核, not 黄故去
    assert [cells[0] for cells in final["reviews"].values()] == ["0"] * 4
    staff.shot("09-dashboard-final")
    staff.check_figure_lists(scope=".cards")

    # 5. The pensioners' own centres, and the unit's roster.
    def day(value: datetime.date) -> str:
        return f"{value.year}年{value.month}月{value.day}日"

    stopped = cycle.add_months(death.replace(day=1), 1)
    since = world["review"].status_since
    words = {
        "suspended": (
            personas.pensioner,
            "#suspension-note",
            f"从 {day(today)} 起暂停发放。 原因：超过 12 个月没有进行资格认证。",
        ),
        "back-pay": (
            world["review"].person,
            "#back-pay-notes",
            f"（从 {day(since)} 起）3 个月的养老金，共 {amount} 元。",
        ),
        "terminated": (
            world["dead"].person,
            "#termination-note",
            f"从 {stopped.year}年{stopped.month}月 起停止发放（终止）。原因：死亡。",
        ),
    }
    for label, (person, selector, text) in words.items():
        pensioner = Walk(
            browser.new_context(viewport=VIEWPORT).new_page(),
            live_server.url,
            screenshot_dir,
        )
        pensioner.log_in("personal", person.ssn)
        expect(pensioner.page.locator(selector)).to_contain_text(text)
        pensioner.shot(f"10-centre-{label}")
    unit = Walk(
        browser.new_context(viewport=VIEWPORT).new_page(),
        live_server.url,
        screenshot_dir,
    )
    unit.log_in("unit", personas.unit_user.username)
    unit.page.click("#direct-login")
    unit.page.click("#menu-roster")
    roster = unit.page.locator("#roster")
    for name, status in (
        ("杨书维", "暂停"),
        ("罗新增", "暂停"),
        ("林审核", "正常"),
        ("黄故去", "终止"),
    ):
        expect(roster.locator("tr", has_text=name).locator(".badge")).to_have_text(
            status
        )
    expect(roster.locator("tr", has_text="林审核")).to_contain_text("人工审核")
    unit.shot("11-unit-roster")
