#!/usr/bin/env python3
"""Counts the bench's records in the database at DATABASE_URL: all of them, distinct
(thread, seq) pairs (so a duplicate would show), and calls logged with 201."""
import json
import sys

from db import rows

url = sys.argv[1]
data = [json.loads(r[0]) for r in rows(url, "SELECT data FROM endpoint_records")]
keys = {(d["thread"], d["seq"]) for d in data}
logged = rows(url, "SELECT count(*) FROM endpoint_requests WHERE status = 201")[0][0]
print(len(data), len(keys), logged)
