#!/usr/bin/env python3
"""Load for the crash test: CONNECTIONS threads POST records over keep-alive connections and
append "id thread seq" to OUT for every 201, flushing each line before the next request, so
the file holds exactly the acknowledged records when the server dies. A thread stops at its
first failed connection (the server is gone); any answer but 201 fails the run. Standard library only."""
import http.client
import json
import sys
import threading

host, port, token, path, out, connections = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
lock = threading.Lock()
sink = open(out, "a", buffering=1)
failures = []


def load(thread):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    seq = 0
    while True:
        seq += 1
        body = json.dumps({"crash": True, "thread": thread, "seq": seq})
        try:
            conn.request("POST", f"/api/v1/endpoints/{path}/records", body, headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            return
        if response.status != 201:
            failures.append(f"thread {thread}: {response.status} {data[:200]!r}")
            return
        with lock:
            sink.write(f"{json.loads(data)['id']} {thread} {seq}\n")


threads = [threading.Thread(target=load, args=(t,)) for t in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit("\n".join(failures))
