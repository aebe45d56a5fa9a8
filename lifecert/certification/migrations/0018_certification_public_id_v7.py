import uuid6
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0017_receipt_code_constraint"),
    ]

    # Only the Python default changes: the column and its index stay as they
    # are (SQLite would otherwise copy the whole table to change nothing).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="certification",
                    name="public_id",
                    field=models.UUIDField(
                        default=uuid6.uuid7, editable=False, unique=True
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
