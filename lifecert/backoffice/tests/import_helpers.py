"""Building registry import files and walking the upload → preview → confirm flow."""

import datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from lifecert.certification.models import Certification
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import xlsx_upload
from lifecert.registry.imports import COLUMNS, OPTIONAL_COLUMNS
from lifecert.registry.models import Entitlement, Person, Unit

URL = reverse("backoffice:import")
HEADER = COLUMNS + OPTIONAL_COLUMNS


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> Any:
    return xlsx_upload(header, rows, "import.xlsx")


def row(ssn: str, **overrides: Any) -> list[Any]:
    values = {
        "社会保障号码": ssn,
        "姓名": "赵桂英",
        "联系电话": "13800000001",
        "居住地址": "广州市越秀区中山路 1 号",
        "参保地代码": "440100",
        "单位编号": "4401000777",
        "单位名称": "广州市新单位",
        "待遇状态": "正常",
        "月养老金": 3100.5,
        "待遇开始日期": datetime.date(2016, 5, 1),
        "上次认证日期": None,
        "暂停发放日期": None,
    }
    values.update(overrides)
    return [values[c] for c in HEADER]


def everything() -> tuple[Any, ...]:
    """What an import could write: compared before and after a preview."""
    return (
        list(Person.objects.order_by("pk").values_list("name", "phone", "address")),
        list(
            Entitlement.objects.order_by("pk").values_list(
                "status", "status_since", "monthly_amount", "unit", "last_certified_at"
            )
        ),
        Unit.objects.count(),
        Certification.objects.count(),
        AuditEvent.objects.count(),
    )


def preview(client: Client, rows: list[list[Any]], **kwargs: Any) -> Any:
    """Upload ``rows``; the preview page it redirects to."""
    response = client.post(URL, {"file": xlsx(rows, **kwargs)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith("/backoffice/import/")
    return client.get(response["Location"])


def confirm(client: Client, page: Any, **data: Any) -> Any:
    pending = page.context["pending"]
    return client.post(
        reverse("backoffice:import-confirm", args=[pending.token]),
        {"fingerprint": pending.fingerprint, **data},
    )
