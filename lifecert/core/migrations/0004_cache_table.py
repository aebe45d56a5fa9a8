"""The shared cache table (settings.CACHES), so a fresh clone's ``migrate``
makes it; ``createcachetable`` skips a table that already exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_chain_existing_audit_events")]

    operations = [
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
