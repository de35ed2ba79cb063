#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""register and verify over real HTTP (multipart, Bearer API key), one client: median and p99.
Starts its own `facegate serve` on a temp data directory, makes the inputs with the document generator
(1600x1200 phone captures of ID documents) and ffmpeg (a 1280x720 selfie), then times
  register: N documents under N external IDs (each a full analysis: faces, outline, MRZ, text, duplicate search)
  verify:   M selfies against one external ID
usage: bench/bench_flows_http.py [--registers N] [--verifies M] [--collection-size K]
(--collection-size first fills the collection with K faces through register with index=always)"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "flows"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "server"))
from conftest import FlowClient, api_key, make_document, selfie_from  # noqa: E402
from server_process import SAMPLES, Server  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def timed(fn):
    start = time.perf_counter()
    r = fn()
    elapsed = (time.perf_counter() - start) * 1000
    assert r.status_code == 200, r.text
    return elapsed, r.json()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registers", type=int, default=30)
    parser.add_argument("--verifies", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = []
        for i in range(min(args.registers, 8)):
            photo = os.path.join(SAMPLES, f"sample{1 + i % 6}.jpg")
            docs.append(make_document(photo, os.path.join(tmp, f"doc{i}.jpg"), "td3" if i % 2 else "td1", seed=100 + i)["file"])
        selfie = selfie_from(os.path.join(SAMPLES, "sample3.jpg"), os.path.join(tmp, "selfie.jpg"))
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        server = Server(data, extra_args=("--verify-limit-per-id", "100000", "--verify-limit-per-client", "100000",
                                          "--register-limit-per-id", "100000", "--register-limit-per-client", "100000"))
        try:
            # index=always and requireLiveness=false are policy overrides: the key must be allowed them
            client = FlowClient(server.endpoint, api_key(data, "flows", "--allow-policy-overrides"))
            client.register("bench", "warm-up", docs[0], index="always")
            register_ms = []
            for i in range(args.registers):
                ms, _ = timed(lambda: client.register("bench", f"user-{i}@example.com", docs[i % len(docs)], index="always"))
                register_ms.append(ms)
            verify_ms = []
            accepted = 0
            for _ in range(args.verifies):
                ms, body = timed(lambda: client.verify("bench", "user-0@example.com", selfie, requireLiveness=False))
                verify_ms.append(ms)
                accepted += body["confidence"] >= 80
            print(f"register (1600x1200 document photo), {args.registers} requests: median "
                  f"{statistics.median(register_ms):.1f} ms, p99 {percentile(register_ms, 0.99):.1f} ms")
            print(f"verify (1280x720 selfie), {args.verifies} requests: median {statistics.median(verify_ms):.1f} ms, "
                  f"p99 {percentile(verify_ms, 0.99):.1f} ms (matched {accepted}/{args.verifies})")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
