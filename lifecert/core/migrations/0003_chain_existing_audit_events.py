"""Link the audit rows written before the chain existed, oldest first.

Chain format 1 is written out here (not imported from ``lifecert.core.audit``)
so this step keeps meaning what it meant. Batched under the head row; rows
already linked are skipped, so it can run again. The reverse unlinks them.
"""

import datetime
import hashlib
import json

from django.db import migrations

BATCH = 1000
GENESIS = "0" * 64


def _canonical(event):
    return json.dumps(
        {
            "v": 1,
            "id": event.pk,
            "seq": event.seq,
            "at": event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "region_id": event.region_id,
            "ip": event.ip,
            "before": event.before,
            "after": event.after,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def chain(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    head, _ = AuditChainHead.objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS}
    )
    while True:
        rows = list(AuditEvent.objects.filter(seq=None).order_by("id")[:BATCH])
        if not rows:
            return
        seq, prev = head.seq, head.hash
        for event in rows:
            seq += 1
            event.seq, event.prev_hash = seq, prev
            data = f"{prev}\n{_canonical(event)}".encode()
            event.hash = prev = hashlib.sha256(data).hexdigest()
        AuditEvent.objects.bulk_update(rows, ["seq", "prev_hash", "hash"])
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])


def unchain(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    AuditEvent.objects.update(seq=None, prev_hash="", hash="")
    AuditChainHead.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_chain_and_region"),
    ]

    operations = [migrations.RunPython(chain, unchain)]
