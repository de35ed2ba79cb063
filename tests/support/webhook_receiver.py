# SPDX-License-Identifier: MIT
"""An application's webhook endpoint for the tests (tests/flows/test_webhooks.py, tests/cluster): Python's
http.server on loopback, recording every POST, and the signature check an application does, with Python's
own hmac (not facegate's code)."""
import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """an application's webhook endpoint: records every POST; `script` says how to answer the next ones"""

    def __init__(self):
        self.requests = []
        self.script = []  # e.g. [500, 500] then 200; ("redirect", url); "hang"
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    action = receiver.script.pop(0) if receiver.script else 200
                if action == "hang":
                    time.sleep(5)
                    return
                if isinstance(action, tuple):
                    self.send_response(302)
                    self.send_header("Location", action[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(action)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hooks"):
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


def verify_signature(secret, headers, body, tolerance=300):
    """the Stripe-style check an application does: t=...,v1=HMAC-SHA256(secret, t + '.' + body)"""
    parts = dict(p.split("=", 1) for p in headers["Facegate-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"]), "bad signature"
    assert abs(time.time() - int(parts["t"])) < tolerance
