"""Reads a lake table back with pyiceberg (an Iceberg implementation independent of the
Rust crates that wrote it), from its metadata file alone, and prints what the
tests and the demos assert on as one JSON object.

usage: read_iceberg_table.py METADATA_LOCATION DATE_COLUMN S3_ENDPOINT
"""

import collections
import json
import sys

from pyiceberg.table import StaticTable


def rows(scan, date_column):
    table = scan.to_arrow()
    tenants = table.column("tenant_id").to_pylist()
    dates = [d.isoformat() for d in table.column(date_column).to_pylist()]
    per_partition = collections.Counter(f"{t}/{d[:7]}" for t, d in zip(tenants, dates))
    per_date = collections.Counter(dates)
    sale_ids = table.column("sale_id").to_pylist()
    embedding = table.column("embedding").to_pylist()
    return {
        "count": table.num_rows,
        "per_partition": dict(sorted(per_partition.items())),
        "per_date": dict(sorted(per_date.items())),
        "distinct_sale_ids": len(set(sale_ids)),
        "embedding_lengths": sorted({len(e) for e in embedding if e is not None}),
    }


def main():
    location, date_column, endpoint = sys.argv[1:4]
    table = StaticTable.from_metadata(
        location,
        properties={
            "s3.endpoint": endpoint,
            "s3.access-key-id": "testing",
            "s3.secret-access-key": "testing",
            "s3.region": "us-east-1",
            "s3.force-virtual-addressing": "false",
        },
    )
    schema = table.schema()
    current = table.current_snapshot()
    out = {
        "format_version": table.metadata.format_version,
        "schema": [
            {"id": f.field_id, "name": f.name, "type": str(f.field_type), "required": f.required}
            for f in schema.fields
        ],
        "partition_spec": [
            {"source": schema.find_field(f.source_id).name, "name": f.name, "transform": str(f.transform)}
            for f in table.spec().fields
        ],
        "snapshots": [
            {
                "id": s.snapshot_id,
                "parent": s.parent_snapshot_id,
                "operation": s.summary.operation.value,
                "properties": {k: v for k, v in s.summary.additional_properties.items() if k.startswith("stepwise.")},
                "total_records": s.summary.additional_properties.get("total-records"),
            }
            for s in sorted(table.snapshots(), key=lambda s: s.sequence_number)
        ],
        "current": rows(table.scan(), date_column) if current else None,
        "previous": (
            rows(table.scan(snapshot_id=current.parent_snapshot_id), date_column)
            if current and current.parent_snapshot_id
            else None
        ),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
