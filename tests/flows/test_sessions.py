# SPDX-License-Identifier: MIT
"""Verification sessions (issue 13, docs/sessions.md) over real HTTP: the owner's API (create, read,
cancel), the browser's capture with the client secret, its single purpose, the attempts cap, expiry,
the return-origin allow-list, and the signed results verified with an independent ES256
implementation (Debian's python3-cryptography) against /.well-known/jwks.json, before and after
`facegate keys rotate-signing-key`."""
import base64
import json
import os
import sqlite3
import subprocess
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import api_key
from server_process import FACEGATE, Server

RETURN_ORIGIN = "http://app.test:9000"
ATTEMPTS = 2


@pytest.fixture(scope="module")
def hosted(workdir):
    data = os.path.join(str(workdir), "sessions")
    os.makedirs(data)
    srv = Server(data, extra_args=("--allowed-return-origin", RETURN_ORIGIN, "--session-attempts", str(ATTEMPTS),
                                   "--verify-limit-per-id", "1000", "--verify-limit-per-client", "1000",
                                   "--register-limit-per-id", "1000", "--register-limit-per-client", "1000"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def owners(hosted):
    return {"flows": api_key(hosted.data_dir, "flows", "--allow-policy-overrides"),
            "plain": api_key(hosted.data_dir, "flows"),
            "other": api_key(hosted.data_dir, "flows"),
            "admin": api_key(hosted.data_dir, "admin")}


def key_id(key):
    return key[:16]  # fgk_ + 12: the key's public id


def create(srv, key, **body):
    return requests.post(f"{srv.endpoint}/v1/sessions", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def created(srv, key, **body):
    r = create(srv, key, **body)
    assert r.status_code == 200, r.text
    return r.json()


def read(srv, key, sid):
    return requests.get(f"{srv.endpoint}/v1/sessions/{sid}", headers={"Authorization": f"Bearer {key}"}, timeout=30)


def capture(srv, sid, secret, field, path, data=None, headers=None):
    with open(path, "rb") as f:
        files = {field: ("image.jpg", f.read(), "image/jpeg")}
    h = {"Authorization": f"Bearer {secret}"} if secret else {}
    h.update(headers or {})
    return requests.post(f"{srv.endpoint}/v1/sessions/{sid}/capture", files=files, data=data or {}, headers=h, timeout=120)


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwks(srv):
    r = requests.get(f"{srv.endpoint}/.well-known/jwks.json", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["keys"]


def verify_jws(token, keys):
    """ES256 verified with python3-cryptography (not facegate's code): returns (header, claims)"""
    head, payload, signature = token.split(".")
    header = json.loads(b64d(head))
    assert header["alg"] == "ES256"
    jwk = next(k for k in keys if k["kid"] == header["kid"])
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(b64d(jwk["x"]), "big"), int.from_bytes(b64d(jwk["y"]), "big"),
                                           ec.SECP256R1()).public_key()
    raw = b64d(signature)
    assert len(raw) == 64  # JOSE r||s, not DER
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature
    return header, json.loads(b64d(payload))


def test_register_then_verify_sessions_end_to_end(hosted, owners, images):
    key = owners["flows"]
    s = created(hosted, key, action="register", collectionId="members", externalId="ana@example.com")
    assert s["sessionId"].startswith("fgs_") and s["clientSecret"].startswith("fgcs_")
    # the secret names its session (the SDK needs nothing else), and 32 random bytes follow
    assert s["clientSecret"].startswith("fgcs_" + s["sessionId"][4:] + "_") and len(s["clientSecret"]) == 5 + 32 + 1 + 43
    assert s["url"] == f"{hosted.endpoint}/s/{s['sessionId']}#{s['clientSecret']}"
    assert s["status"] == "created" and s["expiresAt"].endswith("Z")
    r = read(hosted, key, s["sessionId"])
    assert r.status_code == 200 and r.json()["status"] == "created" and "result" not in r.json()

    r = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a"])
    assert r.status_code == 200, r.text
    body = r.json()
    # the browser's answer: the public outcome, never a score
    assert {k: body[k] for k in ("decision", "outcome", "advice")} == {"decision": "accepted", "outcome": "accepted", "advice": []}
    assert set(body) <= {"decision", "outcome", "advice", "status", "attemptsLeft", "resultToken", "redirectUrl"}
    assert body["status"] == "completed" and body["attemptsLeft"] == 0 and "redirectUrl" not in body
    # the browser's signed result (the SDK hands it to the application): the outcome, no score
    _, shown = verify_jws(body["resultToken"], jwks(hosted))
    assert shown["sid"] == s["sessionId"] and shown["decision"] == "accepted" and shown["outcome"] == "accepted"
    assert not {"confidence", "documentConfidence", "existingSearchConfidence"} & set(shown)

    got = read(hosted, key, s["sessionId"]).json()
    assert got["status"] == "completed" and got["attempts"] == 1
    result = got["result"]  # what /v1/register gives a flows key
    assert result["decision"] == "accepted" and result["indexed"] is True
    assert result["documentConfidence"] > 90 and result["existingExternalId"] is None
    header, claims = verify_jws(got["resultToken"], jwks(hosted))
    assert claims["sub"] == "ana@example.com" and claims["sid"] == s["sessionId"]
    assert claims["aud"] == key_id(key) and claims["action"] == "register" and claims["decision"] == "accepted"
    assert claims["iss"] == hosted.endpoint
    assert claims["exp"] - claims["iat"] == 300 and abs(claims["iat"] - time.time()) < 60
    assert claims["documentConfidence"] == pytest.approx(result["documentConfidence"], abs=1e-3)
    assert "existingSearchConfidence" in claims

    # single use: the capture is done
    again = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a"])
    assert again.status_code == 409, again.text

    # sign-in with a selfie, with the owner's policy (liveness off: the selfie is cut from a photo)
    v = created(hosted, key, action="verify", collectionId="members", externalId="ana@example.com",
                policy={"requireLiveness": False})
    r = capture(hosted, v["sessionId"], v["clientSecret"], "selfie", images["selfie_a"])
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "accepted" and "confidence" not in r.json()
    got = read(hosted, key, v["sessionId"]).json()
    assert got["result"]["decision"] == "accepted" and got["result"]["topMatch"] is None
    assert got["result"]["policy"]["requireLiveness"] is False
    _, claims = verify_jws(got["resultToken"], jwks(hosted))
    assert claims["action"] == "verify" and claims["confidence"] == pytest.approx(got["result"]["confidence"], abs=1e-3)

    # someone else's selfie, on every attempt: rejected, and the token says so
    w = created(hosted, key, action="verify", collectionId="members", externalId="ana@example.com",
                policy={"requireLiveness": False})
    for _ in range(ATTEMPTS):
        r = capture(hosted, w["sessionId"], w["clientSecret"], "selfie", images["selfie_b"])
        assert r.status_code == 200 and r.json()["decision"] == "rejected", r.text
        if r.json()["status"] == "completed":
            break
    got = read(hosted, key, w["sessionId"]).json()
    assert got["status"] == "completed" and got["result"]["decision"] == "rejected"
    assert "BETTER_MATCH_OTHER_USER" not in got["result"]["reasons"] or got["result"]["topMatch"] is None
    _, claims = verify_jws(got["resultToken"], jwks(hosted))
    assert claims["decision"] == "rejected" and claims["confidence"] < 80


def test_an_admin_owner_gets_the_full_result(hosted, owners, images):
    s = created(hosted, owners["admin"], action="register", collectionId="members-admin", externalId="bo@example.com")
    assert capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_b"]).status_code == 200
    got = read(hosted, owners["admin"], s["sessionId"]).json()
    assert "existingExternalId" in got["result"] and got["result"]["decision"] == "accepted"


def test_the_client_secret_is_refused_everywhere_else(hosted, owners, images):
    key = owners["flows"]
    s = created(hosted, key, action="register", collectionId="members", externalId="secret-scope@example.com")
    sid, secret = s["sessionId"], s["clientSecret"]
    bearer = {"Authorization": f"Bearer {secret}"}
    with open(images["doc_a"], "rb") as f:
        doc = f.read()
    e = hosted.endpoint
    attempts = [
        requests.post(f"{e}/v1/register", headers=bearer, data={"collectionId": "members", "externalId": "secret-scope@example.com"},
                      files={"document": ("d.jpg", doc, "image/jpeg")}, timeout=60),
        requests.post(f"{e}/v1/verify", headers=bearer, data={"collectionId": "members", "externalId": "secret-scope@example.com"},
                      files={"selfie": ("s.jpg", doc, "image/jpeg")}, timeout=60),
        requests.post(f"{e}/v1/sessions", headers=bearer, json={"action": "verify", "collectionId": "members",
                                                                 "externalId": "secret-scope@example.com"}, timeout=30),
        requests.get(f"{e}/v1/sessions/{sid}", headers=bearer, timeout=30),
        requests.post(f"{e}/v1/sessions/{sid}/cancel", headers=bearer, timeout=30),
        requests.get(f"{e}/v1/audit", headers=bearer, timeout=30),
        requests.get(f"{e}/v1/collections", headers=bearer, timeout=30),
    ]
    for r in attempts:
        assert r.status_code == 401, (r.request.method, r.request.url, r.status_code, r.text)
    # the Rekognition API refuses it as AWS refuses any credential that is not a SigV4 signature (403)
    r = requests.post(f"{e}/", headers={**bearer, "X-Amz-Target": "RekognitionService.ListCollections",
                                        "Content-Type": "application/x-amz-json-1.1"}, data="{}", timeout=30)
    assert r.status_code == 403 and r.json()["__type"] == "InvalidSignatureException", r.text

    # another session: its own secret only
    other = created(hosted, key, action="register", collectionId="members", externalId="someone-else@example.com")
    r = capture(hosted, other["sessionId"], secret, "document", images["doc_a"])
    assert r.status_code == 401
    # an API key is no client secret either
    assert capture(hosted, sid, key, "document", images["doc_a"]).status_code == 401
    assert requests.get(f"{e}/v1/sessions/{sid}/capture", headers={"Authorization": f"Bearer {key}"}, timeout=30).status_code == 401
    # the session's collection, externalId and action are its own: nothing in the request may name others
    for data in ({"collectionId": "elsewhere"}, {"externalId": "mallory@example.com"}, {"action": "verify"}):
        r = capture(hosted, sid, secret, "document", images["doc_a"], data=data)
        assert r.status_code == 400 and r.json()["__type"] == "InvalidParameterException", r.text
    r = capture(hosted, sid, secret, "selfie", images["selfie_a"])  # a register session takes a document
    assert r.status_code == 400, r.text
    # none of those used an attempt or changed anything
    got = read(hosted, key, sid).json()
    assert got["status"] == "created" and got["attempts"] == 0
    # the secret as a form field works like the header (a plain HTML form)
    r = capture(hosted, sid, None, "document", images["doc_a"], data={"clientSecret": secret})
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text


def test_another_key_cannot_see_or_cancel_a_session(hosted, owners):
    s = created(hosted, owners["flows"], action="register", collectionId="members", externalId="mine@example.com")
    for key in (owners["other"], owners["admin"]):
        assert read(hosted, key, s["sessionId"]).status_code == 404
        r = requests.post(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/cancel",
                          headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert r.status_code == 404
    assert read(hosted, owners["flows"], "fgs_" + "0" * 32).status_code == 404
    assert read(hosted, owners["flows"], s["sessionId"]).json()["status"] == "created"
    assert requests.get(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}", timeout=30).status_code == 401


def test_cancel_then_capture_is_refused(hosted, owners, images):
    key = owners["flows"]
    s = created(hosted, key, action="register", collectionId="members", externalId="cancel@example.com")
    r = requests.post(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/cancel", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    r = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a"])
    assert r.status_code == 409, r.text
    state = requests.get(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/capture",
                         headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=30).json()
    assert state["status"] == "canceled" and state["attemptsLeft"] == 0
    again = requests.post(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/cancel", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert again.status_code == 409


def test_expired_session_refuses_capture_and_cancel(hosted, owners, images):
    key = owners["flows"]
    for bad in (0, -5, 3601, "60", 1.5):
        assert create(hosted, key, action="register", collectionId="members", externalId="x@example.com",
                      expiresIn=bad).status_code == 400, bad
    s = created(hosted, key, action="register", collectionId="members", externalId="late@example.com", expiresIn=1)
    time.sleep(1.6)
    assert read(hosted, key, s["sessionId"]).json()["status"] == "expired"
    r = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a"])
    assert r.status_code == 409, r.text
    r = requests.post(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/cancel", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 409
    got = read(hosted, key, s["sessionId"]).json()
    assert got["status"] == "expired" and got["attempts"] == 0


def test_attempts_are_capped(hosted, owners, images, workdir):
    key = owners["flows"]
    # a photo that is no document: something to fix in the picture (retry) while attempts remain
    s = created(hosted, key, action="register", collectionId="members", externalId="tries@example.com")
    first = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["selfie_b"])
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "retry" and first.json()["status"] == "created" and first.json()["attemptsLeft"] == ATTEMPTS - 1
    assert "result" not in read(hosted, key, s["sessionId"]).json()
    last = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["selfie_b"])
    assert last.status_code == 200 and last.json()["status"] == "completed" and last.json()["attemptsLeft"] == 0
    assert capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a"]).status_code == 409
    got = read(hosted, key, s["sessionId"]).json()
    assert got["status"] == "completed" and got["attempts"] == ATTEMPTS and got["result"]["decision"] == "rejected"

    # bytes that are no image use an attempt too; the last one completes the session, rejected
    junk = os.path.join(str(workdir), "junk.jpg")
    with open(junk, "wb") as f:
        f.write(b"\xff\xd8 not really a jpeg" * 100)
    t = created(hosted, key, action="register", collectionId="members", externalId="junk@example.com")
    for i in range(ATTEMPTS):
        r = capture(hosted, t["sessionId"], t["clientSecret"], "document", junk)
        assert r.status_code == 400 and r.json()["__type"] == "InvalidImageFormatException", r.text
    got = read(hosted, key, t["sessionId"]).json()
    assert got["status"] == "completed" and got["result"]["decision"] == "rejected"
    assert got["result"]["error"]["__type"] == "InvalidImageFormatException"
    _, claims = verify_jws(got["resultToken"], jwks(hosted))
    assert claims["decision"] == "rejected" and "documentConfidence" not in claims


def test_concurrent_captures_run_one_attempt_at_a_time(hosted, owners, images):
    import concurrent.futures
    key = owners["flows"]
    s = created(hosted, key, action="register", collectionId="members", externalId="race@example.com")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a_card"]).status_code, range(4)))
    assert codes.count(200) >= 1 and set(codes) <= {200, 409}, codes
    got = read(hosted, key, s["sessionId"]).json()
    assert got["attempts"] == codes.count(200) and got["attempts"] <= ATTEMPTS


def test_session_creation_rules(hosted, owners):
    e = hosted.endpoint
    base = {"action": "verify", "collectionId": "members", "externalId": "ana@example.com"}
    # overrides are a right, as on /v1/verify
    r = create(hosted, owners["plain"], **base, policy={"minConfidence": 50})
    assert r.status_code == 403 and r.json()["__type"] == "AccessDeniedException"
    assert create(hosted, owners["flows"], **base, policy={"minDocumentConfidence": 50}).status_code == 400  # not verify's
    assert create(hosted, owners["flows"], **base, policy={"minConfidence": 500}).status_code == 400
    assert create(hosted, owners["flows"], **{**base, "action": "erase"}).status_code == 400
    assert create(hosted, owners["flows"], **base, extra=1).status_code == 400
    assert create(hosted, owners["flows"], **{**base, "externalId": "a\u202eb"}).status_code == 400
    assert create(hosted, owners["flows"], **{**base, "collectionId": "no-such-collection"}).status_code == 404
    assert create(hosted, owners["plain"], **base).status_code == 200
    # the demo session of the public pages creates nothing
    demo = requests.Session()
    assert demo.post(f"{e}/v1/demo/session", timeout=30).status_code == 200
    assert demo.post(f"{e}/v1/sessions", json=base, timeout=30).status_code == 403
    # a browser on another site cannot drive it either
    r = requests.post(f"{e}/v1/sessions", json=base, timeout=30,
                      headers={"Authorization": f"Bearer {owners['flows']}", "Origin": "https://evil.test"})
    assert r.status_code == 403


def test_return_url_only_to_allowed_origins(hosted, owners, images):
    key = owners["flows"]
    base = {"action": "register", "collectionId": "members-return", "externalId": "back@example.com"}
    for url in ("https://evil.test/done", "http://app.test:9001/done", "https://app.test:9000/done",
                "javascript:alert(1)", "http://app.test:9000@evil.test/", "//evil.test/", "/relative",
                "http://app.test:9000/a b", "http://app.test:9000\\@evil.test"):
        r = create(hosted, key, **base, returnUrl=url)
        assert r.status_code == 400, (url, r.text)
    s = created(hosted, key, **base, returnUrl=f"{RETURN_ORIGIN}/done?step=2#top")
    r = capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a_card"])
    assert r.status_code == 200, r.text
    redirect = r.json()["redirectUrl"]
    prefix = f"{RETURN_ORIGIN}/done?step=2&facegate_session={s['sessionId']}&result="
    assert redirect.startswith(prefix) and redirect.endswith("#top"), redirect
    token = redirect[len(prefix):-len("#top")]
    _, claims = verify_jws(token, jwks(hosted))
    # through the browser: the public view, no scores
    assert claims["sid"] == s["sessionId"] and claims["aud"] == key_id(key)
    assert claims["decision"] in ("accepted", "rejected") and claims["outcome"] == r.json()["outcome"]
    assert not {"confidence", "documentConfidence", "existingSearchConfidence"} & set(claims)
    state = requests.get(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/capture",
                         headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=30).json()
    assert state["status"] == "completed" and state["redirectUrl"].startswith(prefix)


def test_embedding_origin_must_be_allowed(hosted, owners):
    s = created(hosted, owners["flows"], action="register", collectionId="members-embed", externalId="em@example.com")

    def state(origin):
        return requests.get(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/capture", params={"embedOrigin": origin},
                            headers={"Authorization": f"Bearer {s['clientSecret']}"}, timeout=30)
    r = state(RETURN_ORIGIN)
    assert r.status_code == 200 and r.json()["embedOrigin"] == RETURN_ORIGIN, r.text
    for origin in ("https://evil.test", "http://app.test:9001", RETURN_ORIGIN + "/", RETURN_ORIGIN + "/path", "null", "*"):
        r = state(origin)
        assert r.status_code == 400 and r.json()["__type"] == "InvalidParameterException", (origin, r.text)
    # a secret of another session, or cut short, opens nothing
    other = created(hosted, owners["flows"], action="register", collectionId="members-embed", externalId="em2@example.com")
    for secret in (other["clientSecret"], s["clientSecret"][:-1], "fgcs_" + s["sessionId"][4:] + "_" + other["clientSecret"][-43:]):
        r = requests.get(f"{hosted.endpoint}/v1/sessions/{s['sessionId']}/capture",
                         headers={"Authorization": f"Bearer {secret}"}, timeout=30)
        assert r.status_code == 401, (secret, r.text)


def test_jwks_rotation_keeps_old_tokens_verifiable(hosted, owners, images):
    key = owners["flows"]
    s = created(hosted, key, action="register", collectionId="members-rotate", externalId="rot@example.com")
    assert capture(hosted, s["sessionId"], s["clientSecret"], "document", images["doc_a"]).status_code == 200
    old_token = read(hosted, key, s["sessionId"]).json()["resultToken"]
    old_kid = json.loads(b64d(old_token.split(".")[0]))["kid"]
    assert [k["kid"] for k in jwks(hosted)] == [old_kid]

    out = subprocess.run([FACEGATE, "keys", "rotate-signing-key", "--data", hosted.data_dir],
                         check=True, capture_output=True, text=True)
    rotated = json.loads(out.stdout)
    new_kid = rotated["kid"]
    assert new_kid != old_kid and set(rotated["published"]) == {old_kid, new_kid}
    assert "PRIVATE" not in out.stdout + out.stderr
    keys = jwks(hosted)
    assert {k["kid"] for k in keys} == {old_kid, new_kid}
    verify_jws(old_token, keys)  # a token of the old key still verifies
    new_token = read(hosted, key, s["sessionId"]).json()["resultToken"]
    header, _ = verify_jws(new_token, keys)
    assert header["kid"] == new_kid
    # no private part is ever published
    assert all(set(k) == {"kty", "crv", "x", "y", "kid", "alg", "use"} for k in keys)


def test_hosted_page_and_no_secret_in_logs_or_store(hosted, owners):
    s = created(hosted, owners["flows"], action="verify", collectionId="members", externalId="ana@example.com")
    r = requests.get(f"{hosted.endpoint}/s/{s['sessionId']}", timeout=30)
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    # framed only by the applications allowed to receive results (the SDK's modal)
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert f"frame-ancestors 'self' {RETURN_ORIGIN};" in r.headers["Content-Security-Policy"]
    assert "/js/session.js" in r.text
    assert requests.get(f"{hosted.endpoint}/js/hosted.js", timeout=30).status_code == 200
    with open(hosted.log_path, "rb") as f:
        log = f.read()
    assert b"fgcs_" not in log
    if os.environ.get("FACEGATE_TEST_PG_HOST"):
        return  # on PostgreSQL: Store validates a 64-hex hash, so no backend can be given the secret (tests/store)
    db = sqlite3.connect(os.path.join(hosted.data_dir, "facegate.db"))
    rows = db.execute("SELECT secret_sha256 FROM sessions").fetchall()
    db.close()
    assert rows and all(len(h) == 64 for (h,) in rows)
    import hashlib
    assert (hashlib.sha256(s["clientSecret"].encode()).hexdigest(),) in rows
