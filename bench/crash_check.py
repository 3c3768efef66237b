#!/usr/bin/env python3
"""Checks the crash test's database against the acknowledged records in ACKED ("id thread
seq" per line): every acknowledged record is stored exactly once, under the id its call was
given, with a logged call (status 201) pointing at it. Reads SQLite with the standard library
and PostgreSQL through psql."""
import json
import sys

from db import rows

url, acked_file = sys.argv[1], sys.argv[2]
RECORDS = "SELECT id, data FROM endpoint_records"
LOGGED = "SELECT record_id FROM endpoint_requests WHERE status = 201 AND record_id IS NOT NULL"


acked = {}
for line in open(acked_file):
    record_id, thread, seq = map(int, line.split())
    acked[(thread, seq)] = record_id
stored = {}
duplicates = 0
for record_id, data in rows(url, RECORDS):
    d = json.loads(data)
    key = (d["thread"], d["seq"])
    duplicates += key in stored
    stored[key] = int(record_id)
logged = [int(r[0]) for r in rows(url, LOGGED)]
missing = [k for k in acked if k not in stored]
moved = [k for k, i in acked.items() if k in stored and stored[k] != i]
unlogged = set(acked.values()) - set(logged)
# A record committed just before the kill may never have been answered; its call is still
# logged, in the same transaction.
stored_unlogged = set(stored.values()) - set(logged)
print(f"acknowledged {len(acked)}, stored {len(stored)} distinct, duplicates {duplicates}, "
      f"missing {len(missing)}, under another id {len(moved)}, acknowledged without a logged call {len(unlogged)}, "
      f"stored without a logged call {len(stored_unlogged)}, logged calls {len(logged)} ({len(logged) - len(set(logged))} twice)")
if missing or moved or duplicates or unlogged or stored_unlogged or len(logged) != len(set(logged)) or not acked:
    sys.exit("crash check failed")
print("every acknowledged record survived the crash once, with its logged call")
