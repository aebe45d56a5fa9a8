"""Django admin: every edit is audited, and the audit log itself is read-only.

The admin is Django's own machinery for superusers; it has no services behind
it. So each ``ModelAdmin`` of ours derives from :class:`AuditedModelAdmin`,
which writes an ``admin.add`` / ``admin.change`` / ``admin.delete`` audit row
(with the changed fields' values before and after) in the admin's own
transaction. A test checks that every registered admin does.
"""

import datetime
import decimal
import uuid
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from . import audit
from .audit_actions import AuditAction
from .models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return value


def _values(obj: Model, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except LookupError:
            continue
        if field.many_to_many or field.one_to_many:
            values[name] = "(changed)"
        else:
            values[name] = _plain(getattr(obj, field.attname))  # type: ignore[union-attr]  # concrete fields only here
    return values


def _model_label(obj: Model) -> dict[str, Any]:
    return {"model": obj._meta.label, "object": str(obj)[:200]}


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs, not at runtime
    """A ModelAdmin whose adds, changes and deletes write audit rows."""

    def save_model(
        self,
        request: HttpRequest,
        obj: Model,
        form: ModelForm,  # type: ignore[type-arg]  # generic only in the stubs
        change: bool,
    ) -> None:
        names = list(form.changed_data)
        before: dict[str, Any] = {}
        if change:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            if old is not None:
                before = _values(old, names)
        super().save_model(request, obj, form, change)
        audit.record(
            AuditAction.ADMIN_CHANGE if change else AuditAction.ADMIN_ADD,
            acting_user=request.user,
            target=obj,
            ip=audit.client_ip(request),
            before=before,
            after={**_model_label(obj), **_values(obj, names)},
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_delete(self, request: HttpRequest, obj: Model) -> None:
        fields = [f.name for f in obj._meta.concrete_fields]
        audit.record(
            AuditAction.ADMIN_DELETE,
            acting_user=request.user,
            target=obj,
            ip=audit.client_ip(request),
            before={**_model_label(obj), **_values(obj, fields)},
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs, not at runtime
    """Read-only: nobody adds, changes or deletes an audit row, superusers included."""

    list_display = ["at", "actor_label", "action", "target_type", "target_id", "ip"]
    list_filter = ["action"]
    search_fields = ["target_id", "actor_label"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Django's own Group admin, audited like ours.
admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass
