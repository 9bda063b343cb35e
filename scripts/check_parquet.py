#!/usr/bin/env python3
"""Summarises Parquet files with pyarrow, an independent reader, for tests to assert on.

Usage: .venv/bin/python scripts/check_parquet.py FILE...

Prints one JSON document on stdout: {"files": [SUMMARY, ...]}, a summary per file in
the order given:

  path                 the file as given
  schema               {column: Arrow type as pyarrow spells it}, in column order
  nullable             the columns whose field is nullable
  num_rows             rows in the file
  num_row_groups       row groups in the file
  embedding_list_size  the fixed list size of the "embedding" column (null when the file
                       has none or it is not a fixed-size list)
  tenant_ids           distinct values of "tenant_id", sorted
  distinct_sale_ids    how many different "sale_id" values there are
  export_dates         distinct values of "export_date" (YYYY-MM-DD), sorted
  compression          {Parquet column path: codec}, codecs of every row group joined by ","
  dictionary_columns   the Parquet column paths with a dictionary page in every row group
  statistics_columns   the Parquet column paths with statistics in every row group
  created_by           the writer named in the footer
  arrow_schema_stored  whether the footer carries the Arrow schema (ARROW:schema)

Exit status: 0 when every file was read, 1 when one could not be (the reason on
stderr), 2 on usage errors. Reads only.
"""

import json
import sys

import pyarrow.parquet as pq


def summarise(path):
    parquet = pq.ParquetFile(path)
    metadata = parquet.metadata
    schema = parquet.schema_arrow
    table = parquet.read()
    names = schema.names

    def distinct(column, convert=lambda v: v):
        if column not in names:
            return []
        return sorted({convert(v) for v in table.column(column).to_pylist() if v is not None})

    compression, dictionary, statistics = {}, None, None
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        with_dictionary, with_statistics = set(), set()
        for index in range(row_group.num_columns):
            column = row_group.column(index)
            path_in_schema = column.path_in_schema
            codecs = compression.setdefault(path_in_schema, [])
            if column.compression not in codecs:
                codecs.append(column.compression)
            if column.has_dictionary_page:
                with_dictionary.add(path_in_schema)
            if column.is_stats_set:
                with_statistics.add(path_in_schema)
        dictionary = with_dictionary if dictionary is None else dictionary & with_dictionary
        statistics = with_statistics if statistics is None else statistics & with_statistics

    embedding_list_size = None
    if "embedding" in names:
        embedding_list_size = getattr(schema.field("embedding").type, "list_size", None)
    key_value = metadata.metadata or {}
    return {
        "path": path,
        "schema": {field.name: str(field.type) for field in schema},
        "nullable": [field.name for field in schema if field.nullable],
        "num_rows": metadata.num_rows,
        "num_row_groups": metadata.num_row_groups,
        "embedding_list_size": embedding_list_size,
        "tenant_ids": distinct("tenant_id"),
        "distinct_sale_ids": len(distinct("sale_id")),
        "export_dates": distinct("export_date", lambda d: d.isoformat()),
        "compression": {path_in_schema: ",".join(codecs) for path_in_schema, codecs in compression.items()},
        "dictionary_columns": sorted(dictionary or []),
        "statistics_columns": sorted(statistics or []),
        "created_by": metadata.created_by,
        "arrow_schema_stored": b"ARROW:schema" in key_value,
    }


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    summaries = []
    for path in argv[1:]:
        try:
            summaries.append(summarise(path))
        except Exception as error:  # report any reader failure as the file's problem
            print(f"{path}: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
    json.dump({"files": summaries}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
