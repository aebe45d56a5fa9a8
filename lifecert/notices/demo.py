"""The demo's portal notices (seed_demo): one of each category, province-wide."""

import datetime
from typing import Any

from django.utils import timezone

from .models import Notice
from .services import NoticeFields, publish_notice

DEMO_NOTICES = [
    (
        Notice.Category.POLICY,
        "关于企业职工领取养老保险待遇资格认证的政策解读",
        "## 为什么要认证\n\n领取养老保险待遇的人员每 12 个月至少认证一次，"
        "以确认仍然符合领取条件。\n\n## 怎样认证\n\n"
        "- 网上自助人脸认证（手机、电脑均可）\n"
        "- 由原单位网上代认证\n"
        "- 到参保地社保经办机构窗口认证，行动不便的可预约上门认证",
    ),
    (
        Notice.Category.NEWS,
        "全省养老待遇资格认证实现“网上办、掌上办”",
        "即日起，退休人员在家打开网页即可完成资格认证，无需安装任何控件。",
    ),
    (
        Notice.Category.ANNOUNCEMENT,
        "关于做好本年度养老待遇资格认证工作的公告",
        "请尚未认证的退休人员在**认证到期前**完成认证，逾期将暂停发放养老金，"
        "认证后恢复发放并补发暂停期间的待遇。",
    ),
]


def publish_demo_notices(acting_user: Any) -> list[Notice]:
    """Publish the demo notices (audited, as staff would), a day apart."""
    now = timezone.now()
    return [
        publish_notice(
            acting_user=acting_user,
            fields=NoticeFields(
                category=category,
                title=title,
                body=body,
                region=None,
                publish_at=now - datetime.timedelta(days=index + 1),
            ),
        )
        for index, (category, title, body) in enumerate(DEMO_NOTICES)
    ]
