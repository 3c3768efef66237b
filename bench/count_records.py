#!/usr/bin/env python3
"""Counts the bench's records in the SQLite database: all of them, and distinct (thread, seq)
pairs, so a duplicate would show. Standard library only."""
import json
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT data FROM endpoint_records").fetchall()
keys = {(d["thread"], d["seq"]) for d in (json.loads(r[0]) for r in rows)}
print(len(rows), len(keys))
