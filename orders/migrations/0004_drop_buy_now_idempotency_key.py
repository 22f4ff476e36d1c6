"""Buy-now's Idempotency-Keys move to the API's one mechanism (api.IdempotencyRecord,
owner "shopper"): the keys of the last day are copied over, so a retry sent across the
upgrade still replays its answer instead of buying again."""

import json

from django.db import migrations

BUY_NOW_PATH = "/api/v1/buy-now/"


def copy_keys(apps, schema_editor):
    IdempotencyKey = apps.get_model("orders", "IdempotencyKey")
    IdempotencyRecord = apps.get_model("api", "IdempotencyRecord")
    IdempotencyRecord.objects.bulk_create(
        [
            IdempotencyRecord(
                owner="shopper",
                key=old.key,
                method="POST",
                path=BUY_NOW_PATH,
                body_hash=old.request_hash,
                status_code=old.status,
                response_body="" if old.response is None else json.dumps(old.response),
                created=old.created,
                claimed_at=old.created,
            )
            for old in IdempotencyKey.objects.all()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_order_carrier_and_activity"),
        ("api", "0004_idempotency_claimed_at"),
    ]

    operations = [
        migrations.RunPython(copy_keys, migrations.RunPython.noop),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
