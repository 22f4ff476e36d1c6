"""The raw events table, partitioned by day (PostgreSQL declarative partitioning).

Not a Django model: Django cannot declare partitions. See shops/insights/services and
docs/insights.md. No index: the partitions are pruned by day, the worker reads the last
hours in one pass, and the pages read the rollups only. No primary key either: the table
is append-only and nothing refers to a row. The partitions of today and the next three
days are made here; the beat (insights.partitions_maintain) keeps making them ahead.
"""

from django.db import migrations

CREATE = """
CREATE TABLE insights_event (
    occurred_at timestamp with time zone NOT NULL,
    kind smallint NOT NULL,
    visitor bigint NOT NULL,
    page varchar(12) NOT NULL DEFAULT '',
    source varchar(100) NOT NULL DEFAULT '',
    channel varchar(20) NOT NULL DEFAULT '',
    embed_site varchar(100) NOT NULL DEFAULT '',
    post_id bigint,
    poll_id bigint,
    product_id bigint,
    order_id bigint,
    value_minor bigint NOT NULL DEFAULT 0
) PARTITION BY RANGE (occurred_at);
CREATE TABLE insights_event_default PARTITION OF insights_event DEFAULT;
DO $$
DECLARE
    day date;
BEGIN
    FOR offset_days IN 0..3 LOOP
        day := (now() AT TIME ZONE 'UTC')::date + offset_days;
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF insights_event FOR VALUES FROM (%L) TO (%L)',
            'insights_event_p' || to_char(day, 'YYYYMMDD'),
            (day::timestamp AT TIME ZONE 'UTC'),
            ((day + 1)::timestamp AT TIME ZONE 'UTC')
        );
    END LOOP;
END $$;
"""

DROP = "DROP TABLE insights_event"


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_rollups")]

    operations = [migrations.RunSQL(CREATE, DROP)]
