import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lifecert.certification.models import Overpayment
from lifecert.core.models import AuditEvent
from lifecert.demo.testing import xlsx_upload
from lifecert.registry.models import Entitlement

pytestmark = pytest.mark.django_db
HEADER = ["社会保障号码", "姓名", "死亡日期"]


def _post(client, personas, preview):
    died = timezone.localdate().replace(day=1) - datetime.timedelta(days=70)
    data = {"file": xlsx_upload(HEADER, [[personas.pensioner.ssn, "杨书维", died]])}
    if preview:
        data["preview"] = "on"
    return client.post(
        reverse("backoffice:evidence-import", args=["deaths"]), data, follow=True
    )


def test_the_preview_counts_what_the_import_would_do_and_writes_nothing(
    client, personas
):
    client.force_login(personas.staff)
    page = client.get(reverse("backoffice:evidence-import", args=["deaths"]))
    assert 'name="preview"' in page.content.decode()
    text = _post(client, personas, preview=True).content.decode()
    assert "预览（未写入任何数据）：共 1 行，将处理 1 条养老待遇" in text
    assert "1 条将登记为待追回" in text
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.NORMAL
    assert not Overpayment.objects.exists()
    assert not AuditEvent.objects.filter(action="import.deaths").exists()
    done = _post(client, personas, preview=False).content.decode()
    assert "导入成功" in done
    personas.entitlement.refresh_from_db()
    assert personas.entitlement.status == Entitlement.Status.TERMINATED
