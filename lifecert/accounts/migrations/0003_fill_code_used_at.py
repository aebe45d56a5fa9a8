"""Codes that already made a binding are used up (they stayed valid before)."""

from django.db import migrations


def fill_used_at(apps, schema_editor):
    AuthorizationCode = apps.get_model("accounts", "AuthorizationCode")
    UnitBinding = apps.get_model("accounts", "UnitBinding")
    for code in AuthorizationCode.objects.filter(used_at=None).iterator():
        first = (
            UnitBinding.objects.filter(
                unit_id=code.unit_id, via="code", bound_at__gte=code.issued_at
            )
            .order_by("bound_at")
            .first()
        )
        if first is not None:
            code.used_at = first.bound_at
            code.used_by_id = first.account_id
            code.save(update_fields=["used_at", "used_by"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_codes_used_up_lockouts_by_axes")]

    operations = [migrations.RunPython(fill_used_at, migrations.RunPython.noop)]
