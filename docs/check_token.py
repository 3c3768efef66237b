#!/usr/bin/env python3
"""Tells a real Tessera access token from a typo or a made-up string, offline.

A token is "tsr_", 32 random base62 characters, then 6 base62 characters of the CRC32
(IEEE, as zlib computes it) of the first 36 characters, most significant digit first.
Usage: check_token.py < tokens.txt  (one per line; or as arguments, which other users of the
machine may see in the process list). Exit status 0 when every one is well formed.
"""
import sys
import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def well_formed(token: str) -> bool:
    if len(token) != 42 or not token.startswith("tsr_"):
        return False
    if any(c not in BASE62 for c in token[4:]):
        return False
    value = zlib.crc32(token[:36].encode("ascii"))
    check = ""
    for _ in range(6):
        check = BASE62[value % 62] + check
        value //= 62
    return token[36:] == check


if __name__ == "__main__":
    tokens = sys.argv[1:] or [line.strip() for line in sys.stdin if line.strip()]
    results = [well_formed(token) for token in tokens]
    for token, ok in zip(tokens, results):
        print(f"{'valid' if ok else 'invalid'}\t{token[:8]}…")
    sys.exit(0 if results and all(results) else 1)
