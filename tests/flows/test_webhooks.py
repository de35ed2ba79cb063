# SPDX-License-Identifier: MIT
"""Webhooks of the verification sessions (docs/sessions.md, "Webhooks"), on a real server: a receiver on
loopback (Python's http.server) checks the Facegate-Signature with Python's own hmac, fails on request,
redirects, or never answers; the outbox, retries, replay, allow-list and scopes are read through the API.
Also the sessions' list (GET /v1/sessions) the console shows."""
import json
import os
import sys
import time

import pytest
import requests

from conftest import api_key
from server_process import Server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from webhook_receiver import Receiver, verify_signature  # noqa: E402

ATTEMPTS = 1  # one capture per session: a file that is no image completes the session at once (no engine needed)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()


@pytest.fixture(scope="module")
def hooked(workdir, receiver):
    data = os.path.join(str(workdir), "webhooks")
    os.makedirs(data)
    srv = Server(data, extra_args=("--session-attempts", str(ATTEMPTS), "--webhook-allow", f"127.0.0.1:{receiver.port}",
                                   "--webhook-first-retry-ms", "200", "--webhook-timeout-ms", "1000",
                                   "--webhook-retry-for", "4",
                                   "--register-limit-per-id", "1000", "--register-limit-per-client", "1000"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def keys(hooked):
    return {"admin": api_key(hooked.data_dir, "admin"), "app": api_key(hooked.data_dir, "flows"),
            "other": api_key(hooked.data_dir, "flows")}


def call(srv, key, method, path, **kwargs):
    return requests.request(method, f"{srv.endpoint}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs)


def add_webhook(srv, key, **body):
    r = call(srv, key, "POST", "/v1/webhooks", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def completed_session(srv, key, collection="apps", external_id="ana@example.com"):
    """a register session completed by a capture that is no image (rejected, on its only attempt)"""
    r = call(srv, key, "POST", "/v1/sessions", json={"action": "register", "collectionId": collection, "externalId": external_id})
    assert r.status_code == 200, r.text
    s = r.json()
    r = requests.post(f"{srv.endpoint}/v1/sessions/{s['sessionId']}/capture", files={"document": ("d.jpg", b"not an image", "image/jpeg")},
                      headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=30)
    assert r.status_code == 400, r.text
    assert call(srv, key, "GET", f"/v1/sessions/{s['sessionId']}").json()["status"] == "completed"
    return s["sessionId"]


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def deliveries(srv, key, **params):
    r = call(srv, key, "GET", "/v1/webhook-deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def test_completed_session_is_posted_signed(hooked, keys, receiver, images):
    hook = add_webhook(hooked, keys["app"], url=receiver.url("/signed"), description="my app")
    assert hook["webhookId"].startswith("fgw_") and hook["secret"].startswith("whsec_")
    assert hook["keyId"] == keys["app"][:16]  # a flows key's webhook sees only its own sessions
    # the secret is shown once: never in the list
    listed = call(hooked, keys["app"], "GET", "/v1/webhooks").json()["webhooks"]
    assert [w["webhookId"] for w in listed] == [hook["webhookId"]] and "secret" not in listed[0]

    # a real capture: the event carries what GET /v1/sessions/{id} shows the owner
    r = call(hooked, keys["app"], "POST", "/v1/sessions", json={"action": "register", "collectionId": "apps", "externalId": "real@example.com"})
    s = r.json()
    with open(images["doc_a"], "rb") as f:
        r = requests.post(f"{hooked.endpoint}/v1/sessions/{s['sessionId']}/capture", files={"document": ("d.jpg", f.read(), "image/jpeg")},
                          headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=120)
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    got = wait_for(lambda: receiver.received("/signed"), "the POST")
    assert len(got) == 1
    post = got[0]
    verify_signature(hook["secret"], post["headers"], post["body"])
    assert post["headers"]["Content-Type"] == "application/json"
    event = json.loads(post["body"])
    assert event["type"] == "session.completed" and event["id"].startswith("evt_")
    assert post["headers"]["Facegate-Event-Id"] == event["id"]
    owner_view = call(hooked, keys["app"], "GET", f"/v1/sessions/{s['sessionId']}").json()
    assert event["data"]["sessionId"] == s["sessionId"] and event["data"]["externalId"] == "real@example.com"
    assert event["data"]["result"] == owner_view["result"] and event["data"]["status"] == "completed"
    assert "resultToken" not in event["data"]  # a token expires in minutes; a delivery may be retried for a day
    # a tampered body or another secret does not verify
    with pytest.raises(AssertionError):
        verify_signature(hook["secret"], post["headers"], post["body"] + b" ")
    with pytest.raises(AssertionError):
        verify_signature("whsec_wrong", post["headers"], post["body"])

    listed = wait_for(lambda: [d for d in deliveries(hooked, keys["app"], webhookId=hook["webhookId"]) if d["status"] == "delivered"],
                      "delivered in the outbox")
    d = listed[0]
    assert d["attempts"] == 1 and d["lastStatusCode"] == 200 and d["sessionId"] == s["sessionId"] and "deliveredAt" in d
    assert call(hooked, keys["app"], "DELETE", f"/v1/webhooks/{hook['webhookId']}").status_code == 200


def test_retries_after_the_receiver_fails_twice_and_replay(hooked, keys, receiver):
    hook = add_webhook(hooked, keys["app"], url=receiver.url("/flaky"))
    with receiver.lock:
        receiver.script = [500, 503]
    sid = completed_session(hooked, keys["app"])
    got = wait_for(lambda: len(receiver.received("/flaky")) >= 3 and receiver.received("/flaky"), "three POSTs")
    bodies = {r["body"] for r in got}
    assert len(bodies) == 1  # the same event every time: the receiver dedupes by its id
    for r in got:
        verify_signature(hook["secret"], r["headers"], r["body"])
    d = wait_for(lambda: [d for d in deliveries(hooked, keys["app"], webhookId=hook["webhookId"]) if d["status"] == "delivered"],
                 "delivered")[0]
    assert d["attempts"] == 3 and d["sessionId"] == sid and d["lastStatusCode"] == 200

    # replay: the same event once more
    r = call(hooked, keys["app"], "POST", f"/v1/webhook-deliveries/{d['deliveryId']}/replay")
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    wait_for(lambda: len(receiver.received("/flaky")) == 4, "the replayed POST")
    assert receiver.received("/flaky")[3]["body"] in bodies
    # another key neither sees nor replays it
    assert call(hooked, keys["other"], "POST", f"/v1/webhook-deliveries/{d['deliveryId']}/replay").status_code == 404
    assert deliveries(hooked, keys["other"]) == []
    call(hooked, keys["app"], "DELETE", f"/v1/webhooks/{hook['webhookId']}")


def test_redirects_timeouts_and_the_retry_window(hooked, keys, receiver):
    hook = add_webhook(hooked, keys["app"], url=receiver.url("/moved"))
    with receiver.lock:
        receiver.script = [("redirect", receiver.url("/elsewhere")), "hang"] + [500] * 100
    completed_session(hooked, keys["app"])
    # retried with backoff for --webhook-retry-for (4 s), then failed for good
    d = wait_for(lambda: [d for d in deliveries(hooked, keys["app"], webhookId=hook["webhookId"]) if d["status"] == "failed"],
                 "failed after the retry window")[0]
    assert d["attempts"] >= 3 and d["lastStatusCode"] == 500
    posts = receiver.received("/moved")
    assert len(posts) == d["attempts"]
    assert receiver.received("/elsewhere") == []  # the redirect was never followed
    # the server answered all along
    assert requests.get(f"{hooked.endpoint}/healthz", timeout=5).status_code == 200
    call(hooked, keys["app"], "DELETE", f"/v1/webhooks/{hook['webhookId']}")


def test_redirect_and_timeout_are_reported(hooked, keys, receiver):
    hook = add_webhook(hooked, keys["app"], url=receiver.url("/report"))
    with receiver.lock:
        receiver.script = [("redirect", receiver.url("/elsewhere"))]
    completed_session(hooked, keys["app"])
    d = wait_for(lambda: [d for d in deliveries(hooked, keys["app"], webhookId=hook["webhookId"]) if d.get("lastStatusCode") == 302],
                 "the redirect recorded")[0]
    assert "redirect" in d["lastError"]
    wait_for(lambda: [d for d in deliveries(hooked, keys["app"], webhookId=hook["webhookId"]) if d["status"] == "delivered"],
             "delivered on the next try")
    with receiver.lock:
        receiver.script = ["hang"]
    completed_session(hooked, keys["app"], external_id="bo@example.com")
    d = wait_for(lambda: [d for d in deliveries(hooked, keys["app"], webhookId=hook["webhookId"])
                          if "timed out" in d.get("lastError", "") or "Timeout" in d.get("lastError", "")], "the timeout recorded")
    assert d
    call(hooked, keys["app"], "DELETE", f"/v1/webhooks/{hook['webhookId']}")


def test_targets_only_on_allowed_hosts(hooked, keys, receiver):
    for url in (f"http://127.0.0.2:{receiver.port}/x", f"http://localhost:{receiver.port}/x", "http://127.0.0.1:1/x",
                f"http://user:pw@127.0.0.1:{receiver.port}/x", f"http://127.0.0.1:{receiver.port}/x#frag",
                f"ftp://127.0.0.1:{receiver.port}/x", "javascript:alert(1)", "/relative", "http://[::1]/x",
                f"http://127.0.0.1:{receiver.port}\\@evil.test/", "http://127.0.0.1:99999/x", "x" * 3000):
        r = call(hooked, keys["admin"], "POST", "/v1/webhooks", json={"url": url})
        assert r.status_code == 400 and r.json()["__type"] == "InvalidParameterException", (url, r.text)
    for body in ({}, {"url": 5}, {"url": receiver.url(), "extra": 1}, {"url": receiver.url(), "description": "d" * 300}):
        assert call(hooked, keys["admin"], "POST", "/v1/webhooks", json=body).status_code == 400, body
    assert call(hooked, keys["admin"], "POST", "/v1/webhooks", data="not json").status_code == 400


def test_scopes_of_keys_and_collections(hooked, keys, receiver):
    # a flows key may not ask for another key's sessions
    r = call(hooked, keys["app"], "POST", "/v1/webhooks", json={"url": receiver.url("/x"), "keyId": keys["other"][:16]})
    assert r.status_code == 403, r.text
    mine = add_webhook(hooked, keys["app"], url=receiver.url("/mine"))
    staff = add_webhook(hooked, keys["admin"], url=receiver.url("/staff"), collectionId="staff")
    everything = add_webhook(hooked, keys["admin"], url=receiver.url("/all"))
    assert staff["keyId"] is None and staff["collectionId"] == "staff"

    completed_session(hooked, keys["other"], collection="staff")
    completed_session(hooked, keys["app"], collection="apps")
    wait_for(lambda: len(receiver.received("/all")) == 2, "both events to the admin's catch-all")
    wait_for(lambda: receiver.received("/staff") and receiver.received("/mine"), "the scoped ones")
    time.sleep(1)  # nothing else arrives: every due delivery was POSTed within the poll above
    assert len(receiver.received("/staff")) == 1 and json.loads(receiver.received("/staff")[0]["body"])["data"]["collectionId"] == "staff"
    assert len(receiver.received("/mine")) == 1 and json.loads(receiver.received("/mine")[0]["body"])["data"]["collectionId"] == "apps"

    # each key sees and deletes only its own
    assert [w["webhookId"] for w in call(hooked, keys["other"], "GET", "/v1/webhooks").json()["webhooks"]] == []
    assert call(hooked, keys["other"], "DELETE", f"/v1/webhooks/{mine['webhookId']}").status_code == 404
    r = call(hooked, keys["other"], "GET", "/v1/webhook-deliveries", params={"webhookId": mine["webhookId"]})
    assert r.status_code == 404
    admin_view = {w["webhookId"] for w in call(hooked, keys["admin"], "GET", "/v1/webhooks").json()["webhooks"]}
    assert {mine["webhookId"], staff["webhookId"], everything["webhookId"]} <= admin_view
    for w in (mine, staff, everything):
        assert call(hooked, keys["admin"], "DELETE", f"/v1/webhooks/{w['webhookId']}").status_code == 200
    assert call(hooked, keys["admin"], "DELETE", f"/v1/webhooks/{mine['webhookId']}").status_code == 404
    assert call(hooked, keys["admin"], "GET", "/v1/webhook-deliveries", params={"status": "nope"}).status_code == 400


def test_sessions_list_for_the_console(hooked, keys):
    own = [completed_session(hooked, keys["other"], collection="listing", external_id=f"l{i}@example.com") for i in range(3)]
    r = call(hooked, keys["other"], "POST", "/v1/sessions", json={"action": "verify", "collectionId": "listing", "externalId": "open@example.com"})
    assert r.status_code in (200, 404), r.text  # verify needs the collection: it exists only when a register indexed
    r = call(hooked, keys["other"], "GET", "/v1/sessions", params={"collectionId": "listing"})
    assert r.status_code == 200, r.text
    listed = r.json()["sessions"]
    assert [s["sessionId"] for s in listed if s["status"] == "completed"] == own[::-1]  # newest first
    assert all(s["owner"] == keys["other"][:16] and s["decision"] == "rejected" for s in listed if s["status"] == "completed")
    # the admin sees every key's; a flows key only its own
    mine = call(hooked, keys["app"], "GET", "/v1/sessions", params={"collectionId": "listing"}).json()["sessions"]
    assert mine == []
    every = call(hooked, keys["admin"], "GET", "/v1/sessions", params={"collectionId": "listing", "status": "completed"}).json()
    assert [s["sessionId"] for s in every["sessions"]] == own[::-1]
    # pages
    first = call(hooked, keys["admin"], "GET", "/v1/sessions", params={"collectionId": "listing", "status": "completed", "limit": 2}).json()
    assert len(first["sessions"]) == 2 and first["nextToken"]
    rest = call(hooked, keys["admin"], "GET", "/v1/sessions",
                params={"collectionId": "listing", "status": "completed", "limit": 2, "nextToken": first["nextToken"]}).json()
    assert [s["sessionId"] for s in first["sessions"] + rest["sessions"]] == own[::-1]
    for params in ({"status": "nope"}, {"action": "x"}, {"limit": "0"}, {"limit": "abc"}, {"nextToken": "garbage"},
                   {"collectionId": "bad id"}):
        r = call(hooked, keys["admin"], "GET", "/v1/sessions", params=params)
        assert r.status_code == 400, (params, r.text)
