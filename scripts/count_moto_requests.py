"""Counts the requests of a moto server recording per product-sold-sync world and operation.

The product_sold_sync benchmark gives each run (direct SDK calls, workflow) a world of its
own: tables `ps-<id>-…` and the bucket `sold-lake-<id>`. Run the benchmark with moto's
recorder on (moto inherits the variables), then count:

    MOTO_ENABLE_RECORDING=1 MOTO_RECORDER_FILEPATH=/tmp/moto.jsonl \
        PRODUCT_SOLD_SYNC_ROUNDS=1 cargo bench -p stepwise-tests --bench product_sold_sync
    .venv/bin/python scripts/count_moto_requests.py /tmp/moto.jsonl

Prints, per world in order of first request, the requests per operation and the mean
request body size (claims are the PutItems with `IN_PROGRESS`). Round 1 runs direct
first, so its first full world is the direct run; the warm-up world comes before both.
"""

import base64
import collections
import json
import re
import sys


def entries(text):
    """The recorded requests (moto's threads can write several on one line)."""
    decoder = json.JSONDecoder()
    i = 0
    while i < len(text):
        while i < len(text) and text[i] in " \n":
            i += 1
        if i >= len(text):
            break
        entry, i = decoder.raw_decode(text, i)
        yield entry


def main(path):
    counts = collections.OrderedDict()
    sizes = collections.defaultdict(int)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for e in entries(text):
        headers = {k.lower(): v for k, v in e["headers"].items()}
        target = headers.get("x-amz-target", "")
        raw = e.get("body") or ""
        body = base64.b64decode(raw) if e.get("body_encoded") else raw.encode()
        decoded = body.decode("utf-8", "replace")
        table = re.search(r'"TableName":\s*"ps-([^"]+?)-(?:sales-history|idempotency)', decoded)
        bucket = re.search(r"sold-lake-([^/?]+)", e["url"])
        world = table.group(1) if table else bucket.group(1) if bucket else "other"
        if target:
            op = target.split(".")[-1]
            if op == "PutItem" and "IN_PROGRESS" in decoded:
                op = "PutItem (claim)"
        elif e["method"] == "PUT" and "/pricing-intelligence/" in e["url"]:
            op = "PutObject"
        else:
            op = e["method"] + " (setup, check)"
        counts.setdefault(world, collections.Counter())[op] += 1
        sizes[(world, op)] += len(body)
    for world, ops in counts.items():
        print(f"world {world}: {sum(ops.values())} requests")
        for op, n in sorted(ops.items()):
            print(f"  {op:<24} {n:>6}  mean body {sizes[(world, op)] / n:8.1f} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
