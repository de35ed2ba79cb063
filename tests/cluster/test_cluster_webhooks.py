# SPDX-License-Identifier: MIT
"""Webhooks on several nodes sharing one PostgreSQL store: every node's dispatcher claims from the one outbox,
so each event is POSTed once while nothing fails; a node killed (-9) in the middle of a POST leaves the
delivery to another node once its lease ends (at least once). The receiver is Python's http.server on loopback."""
import json
import os
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cluster import Cluster, poll  # noqa: E402
from webhook_receiver import Receiver, verify_signature  # noqa: E402

TIMEOUT_MS = 500  # the lease: 8 POSTs of this + 5 s


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()


def webhook_args(receiver):
    return ["--webhook-allow", f"127.0.0.1:{receiver.port}", "--webhook-timeout-ms", str(TIMEOUT_MS),
            "--webhook-first-retry-ms", "200", "--session-attempts", "1"]


def complete_session(node, key, external_id):
    r = requests.post(f"{node.endpoint}/v1/sessions", json={"action": "register", "collectionId": "apps", "externalId": external_id},
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200, r.text
    s = r.json()
    r = requests.post(f"{node.endpoint}/v1/sessions/{s['sessionId']}/capture", files={"document": ("d.jpg", b"no image", "image/jpeg")},
                      headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=30)
    assert r.status_code == 400, r.text
    return s["sessionId"]


def events(receiver, path):
    return [json.loads(r["body"])["id"] for r in receiver.received(path)]


def test_each_event_is_posted_once_by_one_of_the_nodes(pg, workdir, kek_file, receiver):
    cluster = Cluster(pg, workdir, kek_file)
    try:
        a = cluster.start_node("wa", webhook_args(receiver))
        b = cluster.start_node("wb", webhook_args(receiver))
        key = cluster.api_key("flows")
        hook = requests.post(f"{a.endpoint}/v1/webhooks", json={"url": receiver.url("/cluster")},
                             headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
        sessions = [complete_session(node, key, f"p{i}@example.com") for i, node in enumerate([a, b] * 6)]
        poll(lambda: len(receiver.received("/cluster")) >= len(sessions), 30, what="every event POSTed")
        time.sleep(1)  # a second POST of any of them would have come by now
        got = receiver.received("/cluster")
        assert len(got) == len(sessions) and len(set(events(receiver, "/cluster"))) == len(sessions)
        assert sorted(json.loads(r["body"])["data"]["sessionId"] for r in got) == sorted(sessions)
        for r in got:
            verify_signature(hook["secret"], r["headers"], r["body"])  # the secret every node reads from the store
    finally:
        cluster.stop()


def test_a_node_killed_mid_post_leaves_the_delivery_to_another(pg, workdir, kek_file, receiver):
    cluster = Cluster(pg, workdir, kek_file)
    try:
        first = cluster.start_node("wx", webhook_args(receiver))
        key = cluster.api_key("flows")
        requests.post(f"{first.endpoint}/v1/webhooks", json={"url": receiver.url("/killed")},
                      headers={"Authorization": f"Bearer {key}"}, timeout=30).raise_for_status()
        with receiver.lock:
            receiver.script = ["hang"]
        sid = complete_session(first, key, "kill@example.com")
        poll(lambda: receiver.received("/killed"), 30, what="the first POST")
        first.kill()  # in the middle of the POST: nothing recorded
        rows = str(cluster.sql("SELECT status || ':' || attempts FROM webhook_deliveries"))
        assert "pending:0" in rows and "delivered" not in rows, rows

        second = cluster.start_node("wy", webhook_args(receiver))
        poll(lambda: len(receiver.received("/killed")) == 2, 60, what="the delivery POSTed again by the other node")
        assert len(set(events(receiver, "/killed"))) == 1  # the same event: at least once
        admin = cluster.api_key("admin")
        d = poll(lambda: [d for d in requests.get(f"{second.endpoint}/v1/webhook-deliveries", headers={"Authorization": f"Bearer {admin}"},
                                                  timeout=30).json()["deliveries"] if d["status"] == "delivered"],
                 30, what="delivered")[0]
        assert d["sessionId"] == sid and d["attempts"] == 1
    finally:
        cluster.stop()
