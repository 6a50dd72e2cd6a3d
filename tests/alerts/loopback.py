"""Real receivers on loopback: an SMTP server (aiosmtpd) and a webhook endpoint that fails
its first requests and checks every signature the way a user's receiver would."""

import hashlib
import hmac
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.servers import free_port


class _Mailbox:
    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server():
    """Yields (port, messages): each message an aiosmtpd envelope (mail_from, rcpt_tos, content)."""
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox.messages
    finally:
        controller.stop()


class WebhookReceiver:
    def __init__(self, *, secret: str, fail_first: int):
        self.secret, self.fail_first = secret, fail_first
        self.requests: list[dict] = []  # every request: headers, body, verified, answered

    def signature_valid(self, headers, body: bytes) -> bool:
        timestamp = headers.get("X-Sensorium-Timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body,
                                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("X-Sensorium-Signature", ""))

    @property
    def accepted(self) -> list[dict]:
        return [request for request in self.requests if request["answered"] == 200]


@contextmanager
def webhook_receiver(*, secret: str, fail_first: int = 0):
    """An HTTP server answering 503 to its first `fail_first` requests, then 200 to those
    whose signature verifies (401 to the others)."""
    receiver = WebhookReceiver(secret=secret, fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            verified = receiver.signature_valid(self.headers, body)
            if len(receiver.requests) < receiver.fail_first:
                answer = 503
            else:
                answer = 200 if verified else 401
            receiver.requests.append({"headers": dict(self.headers), "body": json.loads(body), "verified": verified,
                                      "answered": answer})
            self.send_response(answer)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/sensorium"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def wait_for(check, *, timeout: float = 60.0, what: str = "the condition"):
    """Poll until check() is truthy (deliveries run beside the caller or on a worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not happen within {timeout} s")
