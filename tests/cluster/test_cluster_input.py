# SPDX-License-Identifier: MIT
"""Bad input on a node on PostgreSQL is refused exactly as on SQLite (the same status, error type and
message, side by side with a SQLite node) and leaves nothing in the database."""
import base64
import json
import os
import socket
import subprocess
import time
import uuid

import pytest

from cluster import FACEGATE, FlowClient, Cluster, clean_env, http_get, sample_bytes, signed_call, LISTENING

# tables a refused request may write to: the audit trail records refusals, the rate limiter counts attempts
MAY_CHANGE = ("audit_events", "audit_faces", "rate_events")


class SqliteNode:
    """the same server on SQLite (--data only), as a reference"""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        os.makedirs(data_dir, exist_ok=True)
        env = clean_env()
        self.key = json.loads(subprocess.run([FACEGATE, "keys", "create", "--data", data_dir], check=True,
                                             capture_output=True, text=True, env=env).stdout)
        self.api = json.loads(subprocess.run([FACEGATE, "keys", "create", "--kind", "api", "--scope", "admin",
                                              "--data", data_dir], check=True, capture_output=True, text=True,
                                             env=env).stdout)["apiKey"]
        self.log_path = os.path.join(data_dir, "serve.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([FACEGATE, "serve", "--data", data_dir, "--listen", "127.0.0.1:0", "--workers", "1"],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 120
        self.endpoint = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            m = LISTENING.search(open(self.log_path, "rb").read().decode("utf-8", "replace"))
            if m and http_get(m.group(1) + "/healthz")[0] == 200:
                self.endpoint = m.group(1)
                break
            time.sleep(0.05)
        if not self.endpoint:
            raise AssertionError("the SQLite node did not start:\n" + open(self.log_path, errors="replace").read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def side_by_side(pg, workdir, kek_file):
    cluster = Cluster(pg, workdir, kek_file)
    node = cluster.start_node("input")
    reference = SqliteNode(os.path.join(str(workdir), "sqlite-reference"))
    pg_key, pg_api = cluster.access_key(), cluster.api_key("admin")
    yield cluster, node, pg_key, pg_api, reference
    reference.stop()
    cluster.stop()


def b64(data):
    return base64.b64encode(data).decode("ascii")


def refusal(status, body):
    return status, body.get("__type"), body.get("message")


def raw_post(endpoint, headers, body=b""):
    """one request on a raw socket (the body may be left unsent); the status line and JSON body"""
    host, port = endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n{head}\r\n".encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
    status = int(head.split(b" ")[1])
    return status, json.loads(rest or b"{}")


BAD_REKOGNITION = [
    ("CreateCollection", {"CollectionId": "bad id!"}),
    ("CreateCollection", {"CollectionId": ""}),
    ("CreateCollection", {"CollectionId": "x" * 256}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": b64(b"not an image at all")}}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": b64(sample_bytes(1)[:3000])}}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": "%%% not base64"}}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": b64(sample_bytes(2))}, "ExternalImageId": "bad id!"}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": b64(sample_bytes(2))}, "MaxFaces": 0}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": b64(sample_bytes(2))}, "QualityFilter": "BEST"}),
    ("IndexFaces", {"CollectionId": "unknown", "Image": {"Bytes": b64(sample_bytes(2))}}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"S3Object": {"Bucket": "b", "Name": "n"}}}),
    ("IndexFaces", {"CollectionId": "known", "Image": {"Bytes": b64(b"\xff\xd8" + b"\0" * (5 * 1024 * 1024))}}),
    ("CreateUser", {"CollectionId": "known", "UserId": "bad user!"}),
    ("CreateUser", {"CollectionId": "unknown", "UserId": "ana"}),
    ("AssociateFaces", {"CollectionId": "known", "UserId": "nobody", "FaceIds": ["not-a-face-id"]}),
    ("DeleteFaces", {"CollectionId": "known", "FaceIds": []}),
    ("DeleteFaces", {"CollectionId": "known", "FaceIds": ["not-a-face-id"]}),
    ("AssociateFaces", {"CollectionId": "known", "UserId": "nobody", "FaceIds": [str(uuid.uuid4())]}),
    ("DeleteCollection", {"CollectionId": "unknown"}),
    ("ListCollections", b"not json!"),
    ("ListCollections", b'{"MaxResults": "many"}'),
    ("NoSuchOperation", {}),
    ("SearchFacesByImage", {"CollectionId": "known", "Image": {"Bytes": b64(b"GIF89a")}}),
]


def no_face_png():
    """a 200x200 gradient: a valid image without a face (as tests/compat)"""
    import struct
    import zlib
    rows = bytearray()
    for y in range(200):
        rows.append(0)
        for x in range(200):
            n = (x * 7919 + y * 104729) % 23
            rows.extend(((x + n) % 256, (y + n) % 256, (x + y) // 2 % 256))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 200, 200, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))


BAD_REKOGNITION.append(("SearchFacesByImage", {"CollectionId": "known", "Image": {"Bytes": b64(no_face_png())}}))


def test_bad_input_is_refused_as_on_sqlite_and_leaves_nothing(side_by_side, images):
    cluster, node, pg_key, pg_api, reference = side_by_side
    for endpoint, key in ((node.endpoint, pg_key), (reference.endpoint, reference.key)):
        assert signed_call(endpoint, key, "CreateCollection", {"CollectionId": "known"})[0] == 200
    before = cluster.table_counts(exclude=MAY_CHANGE)
    collections_before = signed_call(node.endpoint, pg_key, "ListCollections", {})
    assert collections_before[0] == 200 and "known" in collections_before[1]["CollectionIds"], collections_before

    for operation, body in BAD_REKOGNITION:
        on_pg = refusal(*signed_call(node.endpoint, pg_key, operation, body))
        on_sqlite = refusal(*signed_call(reference.endpoint, reference.key, operation, body))
        assert on_sqlite[0] >= 400, (operation, body, on_sqlite)  # the case is a refusal on SQLite
        assert on_pg == on_sqlite, (operation, str(body)[:200], on_pg, on_sqlite)

    # unsigned; a body over the image endpoints' 8 MB limit (refused on its headers, never sent)
    for headers, payload in (
            ({"X-Amz-Target": "RekognitionService.ListCollections", "Content-Type": "application/x-amz-json-1.1",
              "Content-Length": "2"}, b"{}"),
            ({"X-Amz-Target": "RekognitionService.IndexFaces", "Content-Type": "application/x-amz-json-1.1",
              "Content-Length": str(9 * 1024 * 1024), "Authorization": "AWS4-HMAC-SHA256 Credential="
              f"{pg_key['accessKeyId']}/20240101/us-east-1/rekognition/aws4_request, SignedHeaders=host, Signature=00"},
             b"")):
        on_pg = raw_post(node.endpoint, headers, payload)
        ref_headers = dict(headers)
        if "Authorization" in ref_headers:
            ref_headers["Authorization"] = ref_headers["Authorization"].replace(pg_key["accessKeyId"],
                                                                                reference.key["accessKeyId"])
        on_sqlite = raw_post(reference.endpoint, ref_headers, payload)
        assert on_sqlite[0] >= 400, on_sqlite
        assert (on_pg[0], on_pg[1].get("__type")) == (on_sqlite[0], on_sqlite[1].get("__type")), (on_pg, on_sqlite)

    # /v1: a refused register creates no collection and no user
    flows_pg, flows_sqlite = FlowClient(node.endpoint, pg_api), FlowClient(reference.endpoint, reference.api)
    cases = [
        lambda c: c.register("v1-bad", "\x01control", images["doc_a"]),
        lambda c: c.register("v1-bad", "x" * 256, images["doc_a"]),
        lambda c: c.register("bad collection!", "ana", images["doc_a"]),
        lambda c: c.session.post(f"{c.endpoint}/v1/register", data={"collectionId": "v1-bad", "externalId": "ana"},
                                 files={"document": ("d.jpg", b"not an image", "image/jpeg")}, timeout=60),
        lambda c: c.session.post(f"{c.endpoint}/v1/register", data={"collectionId": "v1-bad", "externalId": "ana"},
                                 timeout=60),
        lambda c: c.verify("known", "ana", images["doc_a"], minConfidence="eighty"),
    ]
    for case in cases:
        r_pg, r_sqlite = case(flows_pg), case(flows_sqlite)
        assert r_sqlite.status_code >= 400, r_sqlite.text
        assert (r_pg.status_code, r_pg.json().get("__type"), r_pg.json().get("message")) == \
               (r_sqlite.status_code, r_sqlite.json().get("__type"), r_sqlite.json().get("message")), \
               (r_pg.text, r_sqlite.text)

    assert signed_call(node.endpoint, pg_key, "ListCollections", {}) == collections_before
    status, faces = signed_call(node.endpoint, pg_key, "ListFaces", {"CollectionId": "known"})
    assert status == 200 and faces["Faces"] == [], faces
    status, users = signed_call(node.endpoint, pg_key, "ListUsers", {"CollectionId": "known"})
    assert status == 200 and users["Users"] == [], users
    after = cluster.table_counts(exclude=MAY_CHANGE)
    assert after == before, {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
                             if before.get(t) != after.get(t)}


def test_audit_rows_are_capped_in_postgresql(side_by_side):
    """tests/flows/test_data_protection.py::test_audit_rows_are_capped reads the SQLite file; the same caps
    on PostgreSQL's audit_events"""
    cluster, node, pg_key, _, _ = side_by_side
    assert signed_call(node.endpoint, pg_key, "CreateCollection", {"CollectionId": "c" * 255})[0] == 200
    huge = "c" * 900_000  # under the 1 MB body limit of the operation, far over CollectionId's 255
    status, body = signed_call(node.endpoint, pg_key, "CreateCollection", {"CollectionId": huge})
    assert status == 400 and body["__type"] == "InvalidParameterException", body
    rows = int(cluster.sql("SELECT count(*) FROM audit_events").strip())
    assert rows >= 1
    longest = cluster.sql("SELECT coalesce(max(length(collection_id)), 0), "
                          "coalesce(max(length(coalesce(details, ''))), 0) FROM audit_events").strip().split("|")
    assert int(longest[0]) <= 255 and int(longest[1]) <= 4096, longest
