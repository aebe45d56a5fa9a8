"""Link each older 人工审核 case to the failed face session that raised it: the
person's last failed session (a face seen) in that region, in the day before
the case. Batched, safe to run again (only unlinked cases are read)."""

import datetime

from django.db import migrations

BATCH = 500


def fill(apps, schema_editor):
    ReviewRequest = apps.get_model("certification", "ReviewRequest")
    FaceSession = apps.get_model("certification", "FaceSession")
    last = 0
    while True:
        batch = list(
            ReviewRequest.objects.filter(face_session__isnull=True, pk__gt=last)
            .order_by("pk")
            .only("pk", "person_id", "region_id", "created_at")[:BATCH]
        )
        if not batch:
            return
        for review in batch:
            session = (
                FaceSession.objects.filter(
                    person_id=review.person_id,
                    region_id=review.region_id,
                    status="failed",
                    face_seen=True,
                    created_at__lte=review.created_at,
                    created_at__gt=review.created_at - datetime.timedelta(days=1),
                )
                .order_by("-created_at")
                .first()
            )
            if session is not None:
                ReviewRequest.objects.filter(pk=review.pk).update(face_session=session)
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("certification", "0009_review_face_session")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
