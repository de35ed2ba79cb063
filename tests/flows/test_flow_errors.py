# SPDX-License-Identifier: MIT
"""bad input and bad credentials on /v1: a clear Rekognition-style error, the right status, no change to the store"""
import os
import subprocess
import uuid

import pytest
import requests

from conftest import FlowClient, api_key


def fresh():
    return f"errors-{uuid.uuid4().hex[:10]}"


def error(r, status, error_type):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["__type"] == error_type, body
    assert body["message"]
    return body["message"]


def collections(admin):
    return {c["collectionId"]: c for c in admin.get("/v1/collections").json()["collections"]}


def test_credentials(server, images, keys):
    anonymous = FlowClient(server.endpoint)
    error(anonymous.register("c", "ana", images["doc_a"]), 401, "MissingAuthenticationTokenException")
    wrong = FlowClient(server.endpoint, keys["flows"][:-2] + ("AA" if not keys["flows"].endswith("AA") else "BB"))
    error(wrong.register("c", "ana", images["doc_a"]), 401, "UnrecognizedClientException")
    flows_only = FlowClient(server.endpoint, keys["flows"])
    for path in ("/v1/audit", "/v1/collections", "/v1/policy", "/v1/collections/c/users"):
        error(flows_only.get(path), 403, "AccessDeniedException")
    error(flows_only.delete("/v1/collections/c/users/ana"), 403, "AccessDeniedException")


def test_revoked_key_stops_working(server, images):
    key = api_key(server.data_dir, "flows")
    client = FlowClient(server.endpoint, key)
    assert client.verify("nope", "ana", images["selfie_a"]).status_code == 404
    key_id = "_".join(key.split("_")[:2])
    subprocess.run([os.environ.get("FACEGATE_BIN"), "keys", "revoke", key_id, "--data", server.data_dir], check=True,
                   capture_output=True)
    import time
    time.sleep(0.5)
    error(client.verify("nope", "ana", images["selfie_a"]), 401, "UnrecognizedClientException")


def test_bad_bodies_change_nothing(flows, admin, images, workdir):
    collection = fresh()
    before = collections(admin)
    url = f"{flows.endpoint}/v1/register"
    # no document, wrong field names, empty fields
    error(flows.session.post(url, data={"collectionId": collection, "externalId": "ana"}, files={"x": ("a", b"1")}),
          400, "InvalidParameterException")
    msg = error(flows.session.post(url, json={"collectionId": collection, "externalId": "ana", "image": "AAAA"}), 400,
                "InvalidParameterException")
    assert "image" in msg and "document" in msg
    error(flows.session.post(url, json={"collectionId": collection, "document": "AAAA"}), 400, "InvalidParameterException")
    error(flows.session.post(url, json={"collectionId": collection, "externalId": "", "document": "AAAA"}), 400,
          "InvalidParameterException")
    # not base64, not JSON, not an image, truncated, oversize
    error(flows.session.post(url, json={"collectionId": collection, "externalId": "a", "document": "@@@"}), 400,
          "InvalidParameterException")
    error(flows.session.post(url, data="{nope", headers={"Content-Type": "application/json"}), 400,
          "SerializationException")
    error(flows.register(collection, "ana", __file__), 400, "InvalidImageFormatException")
    with open(images["doc_a"], "rb") as f:
        data = f.read()
    truncated = os.path.join(str(workdir), "truncated.jpg")
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 2])
    error(flows.register(collection, "ana", truncated), 400, "InvalidImageFormatException")
    big = os.path.join(str(workdir), "big.jpg")
    with open(big, "wb") as f:
        f.write(data + os.urandom(5 * 1024 * 1024))
    error(flows.register(collection, "ana", big), 413, "ImageTooLargeException")
    # bad identifiers and thresholds
    error(flows.register("bad collection!", "ana", images["doc_a"]), 400, "InvalidParameterException")
    error(flows.register(collection, "a" * 256, images["doc_a"]), 400, "InvalidParameterException")
    error(flows.register(collection, "tab\there", images["doc_a"]), 400, "InvalidParameterException")
    error(flows.register(collection, "ana", images["doc_a"], minDocumentConfidence=101), 400, "InvalidParameterException")
    error(flows.register(collection, "ana", images["doc_a"], index="sometimes"), 400, "InvalidParameterException")
    error(flows.verify(collection, "ana", images["selfie_a"]), 404, "ResourceNotFoundException")
    error(flows.verify(collection, "ana", images["selfie_a"], requireLiveness="maybe"), 400, "InvalidParameterException")
    assert collections(admin) == before


def test_erasure_then_verify_finds_nothing(flows, admin, images):
    collection = fresh()
    flows.register(collection, "ana@example.com", images["doc_a"])
    flows.register(collection, "ana@example.com", images["doc_a_card"], maxExistingSearchConfidence=100)
    faces = admin.get(f"/v1/collections/{collection}/users/ana@example.com").json()["faces"]
    assert len(faces) == 2 and all("boundingBox" in f and "indexedAt" in f for f in faces)
    r = admin.delete(f"/v1/collections/{collection}/users/ana@example.com")
    assert r.status_code == 200 and r.json()["deletedFaces"] == 2
    body = flows.verify(collection, "ana@example.com", images["selfie_a"], requireLiveness=False).json()
    assert body["externalIdMatched"] is False and body["topMatch"] is None
    error(admin.get(f"/v1/collections/{collection}/users/ana@example.com"), 404, "ResourceNotFoundException")
    assert admin.delete(f"/v1/collections/{collection}/users/ana@example.com").json()["deletedFaces"] == 0


def test_audit_records_every_action_without_images(flows, admin, images):
    collection = fresh()
    flows.register(collection, "ana", images["doc_a"])
    flows.verify(collection, "ana", images["selfie_b"], requireLiveness=False)
    admin.delete(f"/v1/collections/{collection}/users/ana")
    records = admin.get("/v1/audit", collectionId=collection).json()["records"]
    assert [r["action"] for r in records] == ["erase", "verify", "register"]
    assert records[1]["decision"] == "rejected" and "LOW_CONFIDENCE" in records[1]["reasons"]
    assert records[2]["decision"] == "accepted" and records[2]["scores"]["documentConfidence"] >= 90
    assert all(r["externalId"] == "ana" for r in records)
    rejected = admin.get("/v1/audit", collectionId=collection, decision="rejected").json()["records"]
    assert [r["action"] for r in rejected] == ["verify"]
    page = admin.get("/v1/audit", collectionId=collection, limit=2).json()
    assert len(page["records"]) == 2 and page["nextToken"]
    rest = admin.get("/v1/audit", collectionId=collection, limit=2, nextToken=page["nextToken"]).json()
    assert [r["action"] for r in rest["records"]] == ["register"]
    text = str(records)
    assert "base64" not in text and len(text) < 5000


def test_admin_lists_collections_and_users(flows, admin, images):
    collection = fresh()
    flows.register(collection, "ana@example.com", images["doc_a"])
    flows.register(collection, "erik@example.com", images["doc_b"])
    info = collections(admin)[collection]
    assert info["faceCount"] == 2 and info["userCount"] == 2
    users = admin.get(f"/v1/collections/{collection}/users", prefix="erik").json()["users"]
    assert [u["externalId"] for u in users] == ["erik@example.com"]
    policy = admin.get("/v1/policy").json()
    assert policy["verify"]["minConfidence"] == 80 and "register" in policy


def test_sigv4_signed_requests_are_admin(server, images):
    import json
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from server_process import create_key
    key = create_key(server.data_dir)
    request = AWSRequest(method="GET", url=f"{server.endpoint}/v1/policy")
    SigV4Auth(Credentials(key["accessKeyId"], key["secretAccessKey"]), "rekognition", "us-east-1").add_auth(request)
    r = requests.get(request.url, headers=dict(request.headers), timeout=30)
    assert r.status_code == 200, r.text
    request = AWSRequest(method="GET", url=f"{server.endpoint}/v1/policy")
    SigV4Auth(Credentials(key["accessKeyId"], "x" * 40), "rekognition", "us-east-1").add_auth(request)
    error(requests.get(request.url, headers=dict(request.headers), timeout=30), 401, "InvalidSignatureException")


def test_demo_session_is_scoped_to_the_demo_collection(server, images):
    session = requests.Session()
    r = session.post(f"{server.endpoint}/v1/demo/session")
    assert r.status_code == 200 and r.json()["collectionId"] == "demo"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    demo = FlowClient(server.endpoint)
    demo.session = session
    assert demo.register("demo", f"user-{uuid.uuid4().hex[:6]}", images["doc_b"]).status_code == 200
    error(demo.register("not-demo", "ana", images["doc_a"]), 403, "AccessDeniedException")
    error(demo.get("/v1/audit"), 403, "AccessDeniedException")
    error(demo.delete("/v1/collections/demo/users/ana"), 403, "AccessDeniedException")


def test_rekognition_api_sees_the_same_faces(server, flows, images):
    from server_process import create_key
    collection = fresh()
    flows.register(collection, "ana+1@example.com", images["doc_a"])
    client = server.client(create_key(server.data_dir))
    faces = client.list_faces(CollectionId=collection)["Faces"]
    assert [f["ExternalImageId"] for f in faces] == ["ana:2B1:40example.com"]
