#!/usr/bin/env python3
"""A million tokens: seeds TOKENS tokens over USERS users straight into the database (bulk
inserts, not the API), then times what an administrator's token list costs the running
server: the API's first page, a page 10,000 deep by cursor, one user's tokens, a text
search, each sort, and the /admin/tokens page. Each figure is the median of REPEAT requests
(time to the last byte over loopback). Then the verification of tokens the server has not
seen yet (a cold cache), against /healthz measured the same way.

  million.py seed DATABASE_URL TOKENS USERS SECRETS_OUT
  million.py measure BASE_URL ADMIN_TOKEN ADMIN_PASSWORD SECRETS_FILE

Standard library only; PostgreSQL is written through psql's COPY."""
import hashlib
import http.client
import io
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NOW = "2026-11-24T00:00:00+00:00"
WORDS = ["deploy", "backup", "ci", "grafana", "terraform", "billing", "sync", "export", "monitor", "import"]


def access_token(rng):
    """A well-formed token: tsr_ + 32 base62 + 6 base62 of the CRC32 (app/src/server/secrets.rs)."""
    body = "tsr_" + "".join(rng.choice(BASE62) for _ in range(32))
    value = zlib.crc32(body.encode())
    check = ""
    for _ in range(6):
        check = BASE62[value % 62] + check
        value //= 62
    return body + check


def rows(tokens, users, secrets_out):
    rng = random.Random(2026)
    user_rows = [(i, f"user-{i:05d}", f"user-{i:05d}", f"User {i}", "", "!", 1 if i % 3 == 0 else 0,
                  0, None, NOW, NOW) for i in range(2, users + 2)]
    known = []
    token_rows = []
    # Known secrets only on tokens that never expire and are not revoked (i % 4 == 0, i % 17).
    step = max(4, tokens // 500 // 4 * 4)
    # Ids from 2: the administrator's own token (made by the command line) is 1.
    for i in range(1, tokens + 1):
        # A few hundred real secrets to verify; the rest only need distinct digests.
        secret = access_token(rng) if i % step == 0 and i % 17 else f"seed-{i}"
        if secret.startswith("tsr_"):
            known.append(secret)
        expires = None if i % 4 == 0 else f"{2026 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        used = None if i % 5 == 0 else f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.{i % 1000:03d}+00:00"
        revoked = NOW if i % 17 == 0 else None
        token_rows.append((i + 1, f"{rng.choice(WORDS)} {i}", "", 2 + i % users, None, "profile:read", expires, None,
                           None, hashlib.sha256(secret.encode()).hexdigest(), secret[:8] + "…", NOW, "seed",
                           NOW, "seed", used, None, revoked, "seed" if revoked else None))
    with open(secrets_out, "w") as f:
        f.write("\n".join(known) + "\n")
    return user_rows, token_rows


USER_COLUMNS = "id, username, username_key, display_name, email, password_hash, technical, locked, active_until, created_at, updated_at"
TOKEN_COLUMNS = ("id, name, description, owner_id, issuer_id, scopes, expires_at, identifier, pass_code_hash, secret_digest, "
                 "hint, created_at, created_by, updated_at, updated_by, last_used_at, last_used_ips, revoked_at, revoked_by")


def seed(url, tokens, users, secrets_out):
    user_rows, token_rows = rows(tokens, users, secrets_out)
    if url.startswith("sqlite://"):
        db = sqlite3.connect(url[len("sqlite://"):].split("?")[0])
        db.executemany(f"INSERT INTO users ({USER_COLUMNS}) VALUES ({','.join('?' * 11)})", user_rows)
        db.executemany(f"INSERT INTO access_tokens ({TOKEN_COLUMNS}) VALUES ({','.join('?' * 19)})", token_rows)
        db.commit()
        db.execute("ANALYZE")
        db.close()
        return

    def copy(table, columns, data):
        out = io.StringIO()
        for row in data:
            out.write("\t".join("\\N" if v is None else ("true" if v is True else str(v)) for v in row) + "\n")
        subprocess.run(["psql", url, "-q", "-c", f"\\copy {table} ({columns}) FROM STDIN"],
                       input=out.getvalue(), text=True, check=True)

    as_bool = lambda r: r[:6] + (bool(r[6]), bool(r[7])) + r[8:]
    copy("users", USER_COLUMNS, [tuple("t" if v is True else "f" if v is False else v for v in as_bool(r)) for r in user_rows])
    copy("access_tokens", TOKEN_COLUMNS, token_rows)
    subprocess.run(["psql", url, "-q", "-c",
                    "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users)); "
                    "SELECT setval(pg_get_serial_sequence('access_tokens', 'id'), (SELECT max(id) FROM access_tokens)); "
                    "ANALYZE"], check=True, capture_output=True)


def measure(base, admin_token, password, secrets_file, repeat=7):
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    conn = http.client.HTTPConnection(host, port)

    def get(path, headers):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            sys.exit(f"{path}: {response.status} {body[:300]!r}")
        return elapsed, body

    bearer = {"Authorization": f"Bearer {admin_token}"}

    def median(path, headers=bearer):
        get(path, headers)  # the first request may fill caches the others find
        return statistics.median(get(path, headers)[0] for _ in range(repeat))

    api = "/api/v1/admin/tokens?limit=25"

    def deep(sort):
        """The cursor 10,000 tokens into `sort` (50 pages of 200), or as deep as there are."""
        cursor = ""
        for _ in range(50):
            page = json.loads(get(f"/api/v1/admin/tokens?limit=200&sort={sort}&cursor={cursor}", bearer)[1])
            if not page["next_cursor"]:
                break
            cursor = urllib.parse.quote(page["next_cursor"])
        return cursor

    figures = [
        ("(a) GET /healthz (the ceiling)", median("/healthz")),
        ("API first page, newest first", median(api)),
        ("API page 10,000 deep by cursor", median(f"{api}&cursor={deep('created')}")),
        ("API one user's tokens", median(f"{api}&user=user-00042")),
        ("API text search q=grafana 4242 (rare)", median(f"{api}&q=grafana%204242")),
        ("API text search q=backup (common)", median(f"{api}&q=backup")),
        ("API text search q=ci 1 (11,000, all old)", median(f"{api}&q=ci%201")),
        ("API sort=expires", median(f"{api}&sort=expires")),
        ("API sort=expires, 10,000 deep", median(f"{api}&sort=expires&cursor={deep('expires')}")),
        ("API sort=last_used", median(f"{api}&sort=last_used")),
        ("API sort=last_used, 10,000 deep", median(f"{api}&sort=last_used&cursor={deep('last_used')}")),
        ("API state=effective", median(f"{api}&state=effective")),
        ("API state=not_effective", median(f"{api}&state=not_effective")),
    ]

    sign_in = http.client.HTTPConnection(host, port)
    form = urllib.parse.urlencode({"username": "admin", "password": password, "next": "/admin/tokens"})
    sign_in.request("POST", "/sfn/sign_in", form, {"Content-Type": "application/x-www-form-urlencoded", "Origin": base})
    response = sign_in.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    for label, query in [("", ""), (", q=grafana 4242", "?q=grafana%204242"), (", q=backup", "?q=backup")]:
        figures.append((f"page /admin/tokens{label} (server-rendered)", median(f"/admin/tokens{query}", {"Cookie": cookie})))

    secrets = [s for s in open(secrets_file).read().split() if s]
    cold = [get("/api/v1/me", {"Authorization": f"Bearer {s}"})[0] for s in secrets]
    figures.append((f"/api/v1/me, {len(cold)} tokens never seen (cold)", statistics.median(cold)))
    for label, ms in figures:
        print(f"{label:<54} {ms:8.2f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        measure(*sys.argv[2:6])
