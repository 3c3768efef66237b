"""Notice emails end to end: a real SMTP server (aiosmtpd) receives what Tessera sends."""
import datetime
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests
from aiosmtpd.controller import Controller

BIN = os.environ["BIN"]
ADMIN_PASSWORD = "mail-check-lantern-meadow-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def wait_for(what, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"mail check: waited {seconds} s for {what}")
        time.sleep(0.2)


def main():
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    work = tempfile.mkdtemp()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite://{work}/mail.db?mode=rwc",
        TESSERA_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
        LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
        TESSERA_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        TESSERA_MAIL_FROM="Tessera <tessera@example.test>",
        RUST_LOG="warn",
    )
    subprocess.run([BIN, "migrate"], env=env, check=True)
    root = subprocess.run(
        [BIN, "token", "create", "--user", "admin", "--name", "mail", "--scopes", "admin"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    auth = {"Authorization": f"Bearer {root}"}

    def serve():
        server = subprocess.Popen([BIN, "serve"], env=env)
        wait_for("the server", lambda: ready(base))
        return server

    server = serve()
    try:
        r = requests.post(f"{base}/api/v1/admin/users", headers=auth, json={
            "username": "owner", "password": "orchid-tunnel-basalt-58",
            "email": "owner@example.test", "technical": True,
        })
        assert r.status_code == 201, r.text
        tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
        tokens = {}
        for name in ("expiring", "leaked"):
            r = requests.post(f"{base}/api/v1/admin/tokens", headers=auth, json={
                "user": "owner", "name": name, "scopes": ["profile:read"], "expires_at": tomorrow,
            })
            assert r.status_code == 201, r.text
            tokens[name] = r.json()
        leaked = tokens["leaked"]["secret"]
        r = requests.post(f"{base}/api/v1/leaks", json=[{
            "token": leaked, "type": "tessera_token",
            "url": "https://github.com/acme/app/blob/main/.env", "source": "content",
        }])
        assert r.status_code == 200 and r.json()[0]["label"] == "true_positive", r.text
        wait_for("the leak email", lambda: len(inbox.messages) >= 1)
        # The expiry job runs when a server starts (then hourly): a restart sends the notice
        # for the token created above.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = serve()
        wait_for("the expiry email", lambda: len(inbox.messages) >= 2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        controller.stop()

    assert len(inbox.messages) == 2, [m.content for m in inbox.messages]
    texts = [m.content.decode() for m in inbox.messages]
    for message, text in zip(inbox.messages, texts):
        assert message.rcpt_tos == ["owner@example.test"], message.rcpt_tos
        assert message.mail_from == "tessera@example.test", message.mail_from
        for token in tokens.values():
            assert token["secret"] not in text, "a secret in an email"
        assert root not in text
    leak = next(t for t in texts if "reported leaked" in t)
    assert "https://github.com/acme/app/blob/main/.env" in leak, leak
    assert "revoked" in leak, leak
    expiring = next(t for t in texts if "expires on" in t)
    assert tomorrow in expiring, expiring
    assert f"/me/tokens/{tokens['expiring']['token']['id']}" in expiring, expiring
    print("mail check: 2 notice emails received by the SMTP server, as expected")


def ready(base):
    try:
        return requests.get(f"{base}/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
