#!/usr/bin/env python3
"""Puts every token under the controls (b') measures: an allowlist that admits loopback and
a rate limit of its own far above the load, written in the database and announced through
the change counter, which every instance follows within 250 ms (its caches load the tokens
again)."""
import sys

from db import execute

url = sys.argv[1]
execute(url, "UPDATE access_tokens SET allowed_ips = '127.0.0.0/8 ::1/128', "
             "ip_policy = 'enforce', rate_limit_per_minute = 10000000")
execute(url, "UPDATE change_counter SET value = value + 1 WHERE id = 1")
