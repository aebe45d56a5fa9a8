from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs, not at runtime
    list_display = ["at", "actor_label", "action", "target_type", "target_id", "ip"]
    list_filter = ["action"]
    search_fields = ["target_id", "actor_label"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]  # the audit log is read-only
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]  # the audit log is read-only
        return False
