import uuid

from django.db import migrations


def fill(apps, schema_editor):
    Overpayment = apps.get_model("certification", "Overpayment")
    while True:
        batch = list(
            Overpayment.objects.filter(public_id__isnull=True).values_list(
                "pk", flat=True
            )[:1000]
        )
        if not batch:
            return
        for pk in batch:
            Overpayment.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("certification", "0006_suspension_runs_money_and_death_cases")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
