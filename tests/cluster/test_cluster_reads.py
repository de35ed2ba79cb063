# SPDX-License-Identifier: MIT
"""Two and three nodes on one PostgreSQL database: what one node writes, the others read, and a
search on another node finds (or no longer finds) a face within 1 s (issue 11, point 2)."""
import base64
import time

import botocore.exceptions
import pytest

from cluster import VISIBLE_WITHIN, Cluster, Miss, poll, sample_bytes, unique

LIMITS = ("--verify-limit-per-id", "1000", "--verify-limit-per-client", "1000",
          "--register-limit-per-id", "1000", "--register-limit-per-client", "1000")


@pytest.fixture(scope="module")
def cluster(pg, workdir, kek_file):
    c = Cluster(pg, workdir, kek_file)
    for name in ("a", "b", "c"):
        c.start_node(name, LIMITS)
    yield c
    c.stop()


@pytest.fixture(scope="module")
def nodes(cluster):
    return cluster.nodes


@pytest.fixture(scope="module")
def key(cluster):
    return cluster.access_key()


@pytest.fixture(scope="module")
def api(cluster):
    return {"admin": cluster.api_key("admin"), "flows": cluster.api_key("flows", "--allow-policy-overrides")}


def face_ids_found(client, collection, image_bytes, threshold=80):
    """FaceIds SearchFacesByImage finds; None while the collection is unknown to that node"""
    try:
        r = client.search_faces_by_image(CollectionId=collection, Image={"Bytes": image_bytes},
                                         FaceMatchThreshold=threshold, MaxFaces=100)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise
    return {m["Face"]["FaceId"] for m in r["FaceMatches"]}


def all_face_ids(client, collection):
    ids, token = [], None
    while True:
        r = client.list_faces(CollectionId=collection, MaxResults=1000, **({"NextToken": token} if token else {}))
        ids += [f["FaceId"] for f in r["Faces"]]
        token = r.get("NextToken")
        if not token:
            return ids


def test_face_indexed_on_one_node_is_found_on_the_others(nodes, key):
    a, b, c = (n.client(key) for n in nodes)
    collection = unique("reads")
    a.create_collection(CollectionId=collection)
    indexed = a.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(2)}, ExternalImageId="s2",
                            MaxFaces=1, QualityFilter="NONE")["FaceRecords"]
    acknowledged = time.monotonic()
    assert len(indexed) == 1, indexed
    face_id = indexed[0]["Face"]["FaceId"]
    # on the node that wrote it: at once
    assert face_id in face_ids_found(a, collection, sample_bytes(2))
    for other in (b, c):
        poll(lambda: face_id in (face_ids_found(other, collection, sample_bytes(2)) or ()), VISIBLE_WITHIN,
             what="the face indexed on node a found by SearchFacesByImage on another node", since=acknowledged)
    assert all_face_ids(b, collection) == [face_id]
    assert all_face_ids(c, collection) == [face_id]


def test_face_deleted_on_one_node_is_gone_on_the_others(nodes, key):
    a, b, c = (n.client(key) for n in nodes)
    collection = unique("reads")
    a.create_collection(CollectionId=collection)
    records = a.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(4)}, ExternalImageId="s4",
                            QualityFilter="NONE")["FaceRecords"]
    acknowledged = time.monotonic()
    assert len(records) == 4, records
    ids = [r["Face"]["FaceId"] for r in records]
    # the largest face of sample4, the one SearchFacesByImage searches with
    largest = max(records, key=lambda r: r["Face"]["BoundingBox"]["Width"] * r["Face"]["BoundingBox"]["Height"])
    target = largest["Face"]["FaceId"]
    for other in (b, c):
        poll(lambda: target in (face_ids_found(other, collection, sample_bytes(4)) or ()), VISIBLE_WITHIN,
             what="the largest face of sample4 found on another node", since=acknowledged)
    deleted = a.delete_faces(CollectionId=collection, FaceIds=[target])["DeletedFaces"]
    acknowledged = time.monotonic()
    assert deleted == [target]
    assert target not in face_ids_found(a, collection, sample_bytes(4))
    for other in (b, c):
        poll(lambda: target not in face_ids_found(other, collection, sample_bytes(4)), VISIBLE_WITHIN,
             what="the face deleted on node a no longer found on another node", since=acknowledged)
        assert sorted(all_face_ids(other, collection)) == sorted(i for i in ids if i != target)


def test_users_written_on_one_node_are_read_on_the_others(nodes, key):
    a, b, c = nodes
    collection = unique("users")
    a.client(key).create_collection(CollectionId=collection)
    # the same woman in sample1 and sample3 (largest faces): one user with both faces
    f1 = a.client(key).index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)}, ExternalImageId="s1",
                                   MaxFaces=1, QualityFilter="NONE")["FaceRecords"][0]["Face"]["FaceId"]
    f3 = a.client(key).index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(3)}, ExternalImageId="s3",
                                   MaxFaces=1, QualityFilter="NONE")["FaceRecords"][0]["Face"]["FaceId"]
    # a third face of her, left out of the user: SearchUsers by FaceId looks for the users of OTHER faces
    probe = a.client(key).index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(3)},
                                      ExternalImageId="probe", MaxFaces=1,
                                      QualityFilter="NONE")["FaceRecords"][0]["Face"]["FaceId"]
    status, body = a.call(key, "CreateUser", {"CollectionId": collection, "UserId": "anna"})
    assert status == 200, body
    status, body = a.call(key, "AssociateFaces", {"CollectionId": collection, "UserId": "anna", "FaceIds": [f1, f3]})
    assert status == 200 and sorted(f["FaceId"] for f in body["AssociatedFaces"]) == sorted([f1, f3]), body
    acknowledged = time.monotonic()
    for other in (b, c):
        status, body = other.call(key, "ListUsers", {"CollectionId": collection})
        assert status == 200 and [u["UserId"] for u in body["Users"]] == ["anna"], body
        assert body["Users"][0]["UserStatus"] == "ACTIVE", body

        def user_found_by_face():
            s, r = other.call(key, "SearchUsers", {"CollectionId": collection, "FaceId": probe})
            return (s == 200 and [m["User"]["UserId"] for m in r.get("UserMatches", [])] == ["anna"]) or Miss((s, r))

        poll(user_found_by_face, VISIBLE_WITHIN, what="SearchUsers by FaceId on another node", since=acknowledged)

        def user_found_by_image():
            s, r = other.call(key, "SearchUsersByImage", {"CollectionId": collection,
                                                          "Image": {"Bytes": base64.b64encode(sample_bytes(3)).decode("ascii")}})
            return (s == 200 and [m["User"]["UserId"] for m in r.get("UserMatches", [])] == ["anna"]) or Miss((s, r))

        poll(user_found_by_image, VISIBLE_WITHIN, what="SearchUsersByImage on another node", since=acknowledged)
    # the user deleted on b: gone on a and c
    status, body = b.call(key, "DeleteUser", {"CollectionId": collection, "UserId": "anna"})
    assert status == 200, body
    acknowledged = time.monotonic()
    for other in (a, c):
        status, body = other.call(key, "ListUsers", {"CollectionId": collection})
        assert status == 200 and body["Users"] == [], body

        def no_user_match():
            s, r = other.call(key, "SearchUsers", {"CollectionId": collection, "FaceId": probe})
            return (s == 200 and r.get("UserMatches", []) == []) or Miss((s, r))

        poll(no_user_match, VISIBLE_WITHIN, what="no user found on another node after DeleteUser", since=acknowledged)


def test_register_on_one_node_verify_on_another_erase_then_refused(nodes, api, images):
    a, b, c = nodes
    collection = unique("flows")
    r = a.flows(api["flows"]).register(collection, "ana@example.com", images["doc_a"])
    assert r.status_code == 200 and r.json()["decision"] == "accepted" and r.json()["indexed"], r.text
    acknowledged = time.monotonic()

    def accepted_on(node):
        def check():
            v = node.flows(api["flows"]).verify(collection, "ana@example.com", images["selfie_a"], requireLiveness=False)
            return (v.status_code == 200 and v.json()["decision"] == "accepted" and v.json()) or Miss(v.text)
        return check

    for node in (b, c):
        body = poll(accepted_on(node), VISIBLE_WITHIN, interval=0.02, what="verify accepted on another node",
                    since=acknowledged)
        assert body["externalIdMatched"] is True and body["confidence"] >= 80, body
    # the admin console's reads on another node
    user = b.flows(api["admin"]).get(f"/v1/collections/{collection}/users/ana@example.com")
    assert user.status_code == 200 and len(user.json()["faces"]) == 1, user.text
    # erasure on a
    erased = a.flows(api["admin"]).delete(f"/v1/collections/{collection}/users/ana@example.com")
    assert erased.status_code == 200 and erased.json()["deletedFaces"] == 1, erased.text
    acknowledged = time.monotonic()

    def refused_on(node):
        def check():
            v = node.flows(api["flows"]).verify(collection, "ana@example.com", images["selfie_a"], requireLiveness=False)
            return (v.status_code == 200 and v.json()["decision"] != "accepted" and v.json()) or Miss(v.text)
        return check

    for node in (b, c):
        body = poll(refused_on(node), VISIBLE_WITHIN, interval=0.02, what="verify refused on another node after erasure",
                    since=acknowledged)
        assert body["decision"] == "rejected" and "UNKNOWN_EXTERNAL_ID" in body["reasons"], body
    gone = c.flows(api["admin"]).get(f"/v1/collections/{collection}/users/ana@example.com")
    assert gone.status_code == 404, gone.text


def test_access_key_from_the_cli_works_everywhere_and_revoked_stops_everywhere(cluster, nodes):
    key = cluster.access_key()
    created = time.monotonic()
    clients = [n.client(key) for n in nodes]

    def works(client):
        def check():
            try:
                return "CollectionIds" in client.list_collections()
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] == "UnrecognizedClientException":
                    return False
                raise
        return check

    for client in clients:
        poll(works(client), VISIBLE_WITHIN, what="a new access key accepted by every node", since=created)
    revoked = cluster.cli("keys", "revoke", key["accessKeyId"])
    revoked_at = time.monotonic()
    assert revoked, revoked

    def refused(client):
        def check():
            try:
                client.list_collections()
                return False
            except botocore.exceptions.ClientError as e:
                return e.response["Error"]["Code"] == "UnrecognizedClientException"
        return check

    for client in clients:
        poll(refused(client), VISIBLE_WITHIN, what="the revoked access key refused by every node", since=revoked_at)
    listed = cluster.cli("keys", "list")
    assert key["secretAccessKey"] not in str(listed)


def test_api_key_from_the_cli_works_everywhere_and_revoked_stops_everywhere(cluster, nodes, images):
    key = cluster.api_key("admin")
    created = time.monotonic()
    key_id = "_".join(key.split("_")[:2])  # as tests/flows: the id is the key's first two parts

    def status_on(node):
        return node.flows(key).get("/v1/collections").status_code

    for node in nodes:
        poll(lambda: status_on(node) == 200, VISIBLE_WITHIN, what="a new API key accepted by every node", since=created)
    cluster.cli("keys", "revoke", key_id)
    revoked_at = time.monotonic()
    for node in nodes:
        poll(lambda: status_on(node) == 401, VISIBLE_WITHIN, what="the revoked API key refused by every node",
             since=revoked_at)
