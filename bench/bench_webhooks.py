#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How long a completed verification session takes to reach the application's webhook, and how many
deliveries a node POSTs per second when many complete at once.

A real `facegate serve` (SQLite, or --store URI) on loopback and a receiver on loopback (Python's
http.server, answering 200 at once). Each session is completed by a capture that is no image (its only
attempt), so the numbers are the outbox and the dispatcher's, not the face engine's.

  FACEGATE_BIN=build/bin/facegate bench/bench_webhooks.py [--sessions 200] [--store URI]

Prints the latency from the capture's answer to the POST's arrival (median, p90, max) for sessions completed
one at a time, then the time for a burst of completions to all arrive."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "server"))
from server_process import FACEGATE, Server  # noqa: E402

arrivals = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.monotonic()
        with lock:
            arrivals.setdefault(json.loads(body)["data"]["sessionId"], now)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--store", default="")
    args = parser.parse_args()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    data = tempfile.mkdtemp(prefix="fg-bench-webhooks-")
    extra = ["--session-attempts", "1", "--webhook-allow", f"127.0.0.1:{port}",
             "--register-limit-per-id", "100000", "--register-limit-per-client", "100000"]
    if args.store:
        extra += ["--store", args.store]
    srv = Server(data, extra_args=tuple(extra))
    key_args = ["--store", args.store] if args.store else ["--data", data]
    key = json.loads(subprocess.run([FACEGATE, "keys", "create", "--kind", "api", "--scope", "flows", *key_args],
                                    check=True, capture_output=True, text=True).stdout)["apiKey"]
    auth = {"Authorization": f"Bearer {key}"}
    http = requests.Session()
    http.post(f"{srv.endpoint}/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/hook"}, headers=auth,
              timeout=30).raise_for_status()

    def complete(i):
        s = http.post(f"{srv.endpoint}/v1/sessions", json={"action": "register", "collectionId": "bench",
                                                           "externalId": f"u{i}@example.com"}, headers=auth, timeout=30).json()
        http.post(f"{srv.endpoint}/v1/sessions/{s['sessionId']}/capture", files={"document": ("d.jpg", b"x", "image/jpeg")},
                  headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=30)
        return s["sessionId"], time.monotonic()

    def wait_all(ids, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with lock:
                if all(i in arrivals for i in ids):
                    return
            time.sleep(0.005)
        raise SystemExit("not every delivery arrived")

    latencies = []
    for i in range(args.sessions):
        sid, done = complete(i)
        wait_all([sid])
        latencies.append((arrivals[sid] - done) * 1000)
    latencies.sort()
    print(f"one at a time ({args.sessions}): capture answered -> POST arrived: median {statistics.median(latencies):.1f} ms, "
          f"p90 {latencies[int(len(latencies) * 0.9)]:.1f} ms, max {latencies[-1]:.1f} ms")

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        ids = [sid for sid, _ in pool.map(complete, range(args.sessions, 2 * args.sessions))]
    completed = time.monotonic()
    wait_all(ids)
    last = max(arrivals[i] for i in ids)
    print(f"burst of {args.sessions} (8 clients): completed in {completed - start:.2f} s, all POSTs arrived "
          f"{last - start:.2f} s after the first capture ({args.sessions / (last - start):.0f} deliveries/s end to end)")
    srv.stop()
    httpd.shutdown()


if __name__ == "__main__":
    main()
