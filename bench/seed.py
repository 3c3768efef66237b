#!/usr/bin/env python3
"""Seeds a running Tessera through its own API: USERS users and TOKENS tokens spread over
them. Writes one token secret per line to the output file. Standard library only."""
import http.client
import json
import sys

host, port, admin_token, users, tokens, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
conn = http.client.HTTPConnection(host, port)
headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"}


def post(path, body):
    conn.request("POST", path, json.dumps(body), headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 201:
        sys.exit(f"{path}: {response.status} {data[:200]!r}")
    return json.loads(data)


names = [f"bench-user-{i:04d}" for i in range(users)]
for name in names:
    post("/api/v1/admin/users", {"username": name, "password": f"{name}-long-enough-pass", "technical": True})
with open(out, "w") as f:
    for i in range(tokens):
        issued = post("/api/v1/admin/tokens", {"user": names[i % users], "name": f"bench {i}", "scopes": ["profile:read"]})
        f.write(issued["secret"] + "\n")
