"""Every action the audit log knows, with the name staff read (one table).

``audit.record`` refuses an action that is not here, so a new action cannot
reach the log without its label.
"""

from django.db import models


class AuditAction(models.TextChoices):
    ACCOUNT_REGISTER = "account.register", "注册账号"
    ACCOUNT_LOCK = "account.lock", "登录尝试过多，暂时锁定"
    ACCOUNT_PASSWORD = "account.password", "修改密码"
    ACCOUNT_PASSWORD_RESET = "account.password_reset", "窗口重置密码"
    ACCOUNT_RECLAIM = "account.reclaim", "人脸认证找回社会保障号码"
    ACCOUNT_RETIRE = "account.retire", "停用被他人注册的账号"
    AUTHCODE_ISSUE = "authcode.issue", "发放授权码"
    AUTHCODE_REISSUE = "authcode.reissue", "重新发放授权码"
    AUTHCODE_FAILURE = "authcode.failure", "授权码输入错误"
    AUTHCODE_USED = "authcode.used", "授权码已使用"
    BINDING_CREATE = "binding.create", "绑定单位"
    BINDING_UPDATE = "binding.update", "修改绑定信息"
    BINDING_REVOKE = "binding.revoke", "解除绑定"
    BINDING_OLD_ACCOUNT_FAILURE = "binding.old_account_failure", "旧账号绑定密码错误"
    COMMITMENT_ACCEPT = "commitment.accept", "签署承诺书"
    CERTIFICATION_CREATE = "certification.create", "资格认证"
    CERTIFICATION_UNIT = "certification.unit", "单位代认证"
    ENTITLEMENT_SUSPEND = "entitlement.suspend", "暂停待遇"
    ENTITLEMENT_RESUME = "entitlement.resume", "恢复待遇"
    ENTITLEMENT_TERMINATE = "entitlement.terminate", "终止待遇"
    ENTITLEMENT_STATUS = "entitlement.status", "变更待遇状态"
    SUSPENSION_RUN = "suspension.run", "执行暂停批次"
    OVERPAYMENT_STATUS = "overpayment.status", "变更追回状态"
    DEATH_CASE_OPEN = "death_case.open", "死亡后认证立案"
    DEATH_CASE_CLOSE = "death_case.close", "办结死亡后认证核查"
    FACE_ENROL = "face.enrol", "建模"
    FACE_SESSION_START = "face_session.start", "开始人脸认证"
    FACE_SESSION_FINISH = "face_session.finish", "人脸认证结果"
    FACE_SESSION_ABANDONED = "face_session.abandoned", "人脸认证中途放弃"
    FACE_SESSION_EXPIRED = "face_session.expired", "人脸认证超时"
    FACE_SESSION_PURGE = "face_session.purge", "清除过期人脸影像"
    FAMILY_LINK = "family.link", "关联家庭成员"
    REVIEW_REQUEST_CREATE = "review_request.create", "转人工审核"
    REVIEW_CLOSE = "review.close", "办结人工审核"
    REGISTRY_IMPORT = "registry.import", "导入参保数据"
    IMPORT_DEATHS = "import.deaths", "导入死亡名单"
    IMPORT_COMPARISON = "import.comparison", "导入数据比对"
    EXPORT_UNIT_LIST = "export.unit_list", "导出待认证名单"
    EXPORT_UNIT_ROSTER = "export.unit_roster", "导出单位人员名单"
    EXPORT_UNIT_HISTORY = "export.unit_history", "导出认证记录"
    EXPORT_AUDIT = "export.audit", "导出审计日志"
    EXPORT_SUSPENSION = "export.suspension", "导出暂停名单"
    EXPORT_BACK_PAY = "export.back_pay", "导出补发清单"
    EXPORT_OVERPAYMENTS = "export.overpayments", "导出待追回清单"
    EXPORT_DUE = "export.due", "导出30天内到期名单"
    EXPORT_OVERDUE = "export.overdue", "导出逾期未认证名单"
    EXPORT_ENTITLEMENTS = "export.entitlements", "导出养老待遇名单"
    EXPORT_CERTIFICATIONS = "export.certifications", "导出认证记录"
    EXPORT_CASES = "export.cases", "导出待办案件"
    ADMIN_ADD = "admin.add", "系统管理：新增"
    ADMIN_CHANGE = "admin.change", "系统管理：修改"
    ADMIN_DELETE = "admin.delete", "系统管理：删除"


def action_label(code: str) -> str:
    """The Chinese name of ``code``; an unknown code (an old row) as it is."""
    try:
        return str(AuditAction(code).label)
    except ValueError:
        return code
