#!/usr/bin/env python3
"""Creates an endpoint with token authentication and one endpoint token assigned to its POST
primary, through the administrators' API. Prints the endpoint token's secret. Standard
library only."""
import http.client
import json
import sys

host, port, admin_token, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = http.client.HTTPConnection(host, port)
headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"}


def call(method, url, body, expected):
    conn.request(method, url, json.dumps(body), headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != expected:
        sys.exit(f"{method} {url}: {response.status} {data[:200]!r}")
    return json.loads(data)


endpoint = call("POST", "/api/v1/admin/endpoints", {"name": "Bench orders", "path": path, "auth_type": "token"}, 201)
issued = call("POST", "/api/v1/admin/endpoint-tokens", {"name": "bench-shop"}, 201)
token_id = issued["endpoint_token"]["id"]
call("PUT", f"/api/v1/admin/endpoints/{endpoint['id']}/assignments/{token_id}",
     {"post": True, "get": False, "delete": False, "enabled": True}, 200)
print(issued["secret"])
