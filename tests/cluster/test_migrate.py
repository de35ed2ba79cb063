# SPDX-License-Identifier: MIT
"""`facegate migrate --from DATA_DIR --to postgresql://...`: a single node's SQLite data directory, filled
through its real API (boto3 and /v1), copied into PostgreSQL; the counts are checked, a second run copies
nothing, and a node on PostgreSQL then serves the same faces, users, tokens, audit trail and keys."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import FACEGATE, Cluster, FlowClient, clean_env, sample_bytes  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from server_process import Server  # noqa: E402

COLLECTION = "members"


def cli(*args):
    done = subprocess.run([FACEGATE, *args], capture_output=True, text=True, timeout=300, env=clean_env(),
                          stdin=subprocess.DEVNULL)
    return done


def migrate(data_dir, uri, kek_file):
    done = cli("migrate", "--from", data_dir, "--to", uri, "--kek-file", kek_file)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def single_node(workdir, kek_file, images):
    """a SQLite node filled through its API, then stopped: (data dir, access key, admin key, flows key, facts)"""
    data_dir = os.path.join(str(workdir), "single-node")
    os.makedirs(data_dir, exist_ok=True)
    key = json.loads(cli("keys", "create", "--data", data_dir, "--kek-file", kek_file).stdout)
    admin = json.loads(cli("keys", "create", "--kind", "api", "--scope", "admin", "--data", data_dir,
                           "--kek-file", kek_file).stdout)["apiKey"]
    # with the override right, which must survive the move (the verify below sends requireLiveness)
    flows = json.loads(cli("keys", "create", "--kind", "api", "--scope", "flows", "--allow-policy-overrides",
                           "--data", data_dir, "--kek-file", kek_file).stdout)["apiKey"]
    server = Server(data_dir, extra_args=["--kek-file", kek_file, "--workers", "1"])
    try:
        rek = server.client(key)
        rek.create_collection(CollectionId=COLLECTION)
        face_ids = []
        for n in (1, 2, 5):
            r = rek.index_faces(CollectionId=COLLECTION, Image={"Bytes": sample_bytes(n)}, ExternalImageId=f"photo{n}",
                                MaxFaces=1)
            face_ids.append(r["FaceRecords"][0]["Face"]["FaceId"])
        from cluster import signed_call
        status, created = signed_call(server.endpoint, key, "CreateUser",
                                      {"CollectionId": COLLECTION, "UserId": "user-1", "ClientRequestToken": "tok-1"})
        assert status == 200, created
        status, associated = signed_call(server.endpoint, key, "AssociateFaces",
                                         {"CollectionId": COLLECTION, "UserId": "user-1", "FaceIds": face_ids[:1]})
        assert status == 200, associated
        r = FlowClient(server.endpoint, flows).register("signups", "ana@example.com", images["doc_a"])
        assert r.status_code == 200 and r.json()["decision"] == "accepted", r.text
    finally:
        server.stop()
    return {"dir": data_dir, "key": key, "admin": admin, "flows": flows, "face_ids": face_ids}


def test_migrate_copies_everything_once_and_a_node_serves_it(pg, workdir, kek_file, images, single_node):
    cluster = Cluster(pg, workdir, kek_file)
    try:
        first = migrate(single_node["dir"], cluster.uri, kek_file)
        assert first["verified"] and first["mismatches"] == [], first
        assert first["collections"] == {"source": 2, "copied": 2, "destination": 2}, first
        assert first["faces"]["source"] == first["faces"]["copied"] == first["faces"]["destination"] == 4, first
        assert first["users"]["copied"] == 1, first
        assert first["clientRequestTokens"]["copied"] >= 1, first
        assert first["auditRecords"]["copied"] >= 1, first
        assert first["keysCopied"] == {"access": 1, "api": 2}, first

        second = migrate(single_node["dir"], cluster.uri, kek_file)
        assert second["verified"], second
        for table in ("collections", "users", "faces", "clientRequestTokens", "auditRecords"):
            assert second[table]["copied"] == 0, (table, second)
        assert second["keysCopied"] == {"access": 0, "api": 0}, second

        # the old keys, the same faces and users, the remembered token, the audit trail: on a PostgreSQL node
        node = cluster.start_node("migrated")
        key = single_node["key"]
        rek = node.client(key)
        listed = rek.list_faces(CollectionId=COLLECTION, MaxResults=100)["Faces"]
        assert sorted(f["FaceId"] for f in listed) == sorted(single_node["face_ids"])
        found = rek.search_faces_by_image(CollectionId=COLLECTION, Image={"Bytes": sample_bytes(2)})["FaceMatches"]
        assert found and found[0]["Face"]["FaceId"] == single_node["face_ids"][1], found
        status, users = node.call(key, "ListUsers", {"CollectionId": COLLECTION})
        assert status == 200 and [u["UserId"] for u in users["Users"]] == ["user-1"], users
        # the same CreateUser with the same token is a replay, not a ConflictException
        status, replay = node.call(key, "CreateUser",
                                   {"CollectionId": COLLECTION, "UserId": "user-1", "ClientRequestToken": "tok-1"})
        assert status == 200, replay
        verified = node.flows(single_node["flows"]).verify("signups", "ana@example.com", images["selfie_a"],
                                                          requireLiveness=False)
        assert verified.status_code == 200 and verified.json()["decision"] == "accepted", verified.text
        records = FlowClient(node.endpoint, single_node["admin"]).get("/v1/audit", collectionId="signups").json()["records"]
        assert [r["action"] for r in records] == ["verify", "register"], records
    finally:
        cluster.stop()


def test_migrate_refuses_a_directory_without_a_database(pg, workdir, kek_file):
    cluster = Cluster(pg, workdir, kek_file)
    empty = os.path.join(str(workdir), "not-a-data-dir")
    os.makedirs(empty, exist_ok=True)
    done = cli("migrate", "--from", empty, "--to", cluster.uri, "--kek-file", kek_file)
    assert done.returncode == 2 and "no facegate database" in done.stderr, done.stderr
    assert cluster.table_counts() == {} or sum(cluster.table_counts().values()) == 0
