# SPDX-License-Identifier: MIT
"""Two nodes on one database racing each other (issue 11, point 3): the same write sent to both at
once has one effect, a user never gets more than 100 faces, the same face registered under two
identifiers gives one sign-up, and the verify rate limit is one budget for the whole cluster."""
import threading
import time

import pytest

from cluster import Cluster, sample_bytes, unique

VERIFY_LIMIT_PER_ID = 4
ARGS = ("--verify-limit-per-id", str(VERIFY_LIMIT_PER_ID), "--verify-limit-per-client", "1000",
        "--verify-limit-window", "60", "--register-limit-per-id", "1000", "--register-limit-per-client", "1000")


@pytest.fixture(scope="module")
def cluster(pg, workdir, kek_file):
    c = Cluster(pg, workdir, kek_file)
    c.start_node("a", ARGS)
    c.start_node("b", ARGS)
    yield c
    c.stop()


@pytest.fixture(scope="module")
def key(cluster):
    return cluster.access_key()


@pytest.fixture(scope="module")
def api(cluster):
    return {"admin": cluster.api_key("admin"), "flows": cluster.api_key("flows", "--allow-policy-overrides")}


def at_once(*calls):
    """runs the calls in threads released together; their results (or exceptions, re-raised)"""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as e:  # noqa: B902 - re-raised below
            errors[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for e in errors:
        if e is not None:
            raise e
    return results


def list_faces(node, key, collection, user_id=None):
    faces, token = [], None
    while True:
        body = {"CollectionId": collection, "MaxResults": 1000}
        if user_id:
            body["UserId"] = user_id
        if token:
            body["NextToken"] = token
        status, r = node.call(key, "ListFaces", body)
        assert status == 200, r
        faces += r["Faces"]
        token = r.get("NextToken")
        if not token:
            return faces


def test_the_same_index_faces_on_two_nodes_at_once_stores_the_faces_once(cluster, key):
    a, b = (n.client(key) for n in cluster.nodes)
    collection = unique("race-index")
    a.create_collection(CollectionId=collection)
    expected_total = 0
    for round_, sample in enumerate((2, 4, 5, 6)):
        image = sample_bytes(sample)
        external = f"img-{round_}"

        def index(client):
            return lambda: client.index_faces(CollectionId=collection, Image={"Bytes": image}, ExternalImageId=external,
                                              QualityFilter="NONE")

        ra, rb = at_once(index(a), index(b))
        faces_a = [r["Face"] for r in ra["FaceRecords"]]
        faces_b = [r["Face"] for r in rb["FaceRecords"]]
        assert faces_a, ra
        # both answers name the same stored faces
        key_of = lambda f: (f["FaceId"], f["ImageId"], f.get("ExternalImageId"))  # noqa: E731
        assert sorted(map(key_of, faces_a)) == sorted(map(key_of, faces_b)), (ra, rb)
        for fa in faces_a:
            fb = next(f for f in faces_b if f["FaceId"] == fa["FaceId"])
            for k in ("Width", "Height", "Left", "Top"):
                assert abs(fa["BoundingBox"][k] - fb["BoundingBox"][k]) < 1e-4, (fa, fb)
        expected_total += len(faces_a)
        stored = [f for f in list_faces(cluster.nodes[0], key, collection) if f.get("ExternalImageId") == external]
        assert sorted(f["FaceId"] for f in stored) == sorted(f["FaceId"] for f in faces_a), stored
    everything = list_faces(cluster.nodes[1], key, collection)
    assert len(everything) == expected_total == len({f["FaceId"] for f in everything})


def test_the_same_client_request_token_on_two_nodes_at_once_has_one_effect(cluster, key):
    a, b = cluster.nodes
    collection = unique("race-token")
    a.client(key).create_collection(CollectionId=collection)
    f1 = a.client(key).index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)}, ExternalImageId="s1",
                                   MaxFaces=1, QualityFilter="NONE")["FaceRecords"][0]["Face"]["FaceId"]
    f3 = a.client(key).index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(3)}, ExternalImageId="s3",
                                   MaxFaces=1, QualityFilter="NONE")["FaceRecords"][0]["Face"]["FaceId"]
    for round_ in range(3):
        user = f"anna-{round_}"
        create = {"CollectionId": collection, "UserId": user, "ClientRequestToken": f"create-{user}"}
        (sa, ra), (sb, rb) = at_once(lambda: a.call(key, "CreateUser", create), lambda: b.call(key, "CreateUser", create))
        assert (sa, ra) == (sb, rb) == (200, {}), ((sa, ra), (sb, rb))
        associate = {"CollectionId": collection, "UserId": user, "FaceIds": [f1, f3],
                     "ClientRequestToken": f"associate-{user}"}
        (sa, ra), (sb, rb) = at_once(lambda: a.call(key, "AssociateFaces", associate),
                                     lambda: b.call(key, "AssociateFaces", associate))
        assert sa == sb == 200, ((sa, ra), (sb, rb))
        assert ra == rb, (ra, rb)
        assert sorted(f["FaceId"] for f in ra["AssociatedFaces"]) == sorted([f1, f3]), ra
        status, users = a.call(key, "ListUsers", {"CollectionId": collection})
        assert status == 200 and [u["UserId"] for u in users["Users"]] == [user], users
        assert sorted(f["FaceId"] for f in list_faces(b, key, collection, user)) == sorted([f1, f3])
        # frees the faces for the next round
        status, body = b.call(key, "DeleteUser", {"CollectionId": collection, "UserId": user})
        assert status == 200, body


def test_concurrent_associate_faces_never_put_more_than_100_faces_in_a_user(cluster, key, images):
    a, b = cluster.nodes
    collection = unique("race-user")
    a.client(key).create_collection(CollectionId=collection)
    with open(images["face_b"], "rb") as f:
        face = f.read()
    # 120 faces of one person (the same crop under 120 ExternalImageIds), indexed on both nodes
    face_ids = []
    lock = threading.Lock()

    def index_range(node, numbers):
        client = node.client(key)
        for i in numbers:
            r = client.index_faces(CollectionId=collection, Image={"Bytes": face}, ExternalImageId=f"crop-{i}",
                                   MaxFaces=1, QualityFilter="NONE")
            assert len(r["FaceRecords"]) == 1, r
            with lock:
                face_ids.append(r["FaceRecords"][0]["Face"]["FaceId"])

    at_once(*(lambda node=node, part=part: index_range(node, range(part, 120, 4))
              for part, node in enumerate((a, b, a, b))))
    assert len(set(face_ids)) == 120
    for round_ in range(3):
        user = f"erik-{round_}"
        status, body = a.call(key, "CreateUser", {"CollectionId": collection, "UserId": user})
        assert status == 200, body
        half_a, half_b = face_ids[round_ % 2::2], face_ids[1 - round_ % 2::2]
        answers = at_once(
            lambda: a.call(key, "AssociateFaces", {"CollectionId": collection, "UserId": user, "FaceIds": half_a}),
            lambda: b.call(key, "AssociateFaces", {"CollectionId": collection, "UserId": user, "FaceIds": half_b}))
        associated = set()
        for status, body in answers:
            if status == 200:
                associated |= {f["FaceId"] for f in body["AssociatedFaces"]}
            else:
                assert body.get("__type") == "ServiceQuotaExceededException", (status, body)
        in_user = [f["FaceId"] for f in list_faces(b, key, collection, user)]
        assert len(in_user) <= 100, f"{len(in_user)} faces in one user"
        assert set(in_user) == associated and len(in_user) == len(set(in_user)), (len(in_user), len(associated))
        assert len(in_user) == 100, answers  # 120 offered: the user is filled, not more
        status, body = b.call(key, "DeleteUser", {"CollectionId": collection, "UserId": user})
        assert status == 200, body


def test_the_same_face_registered_on_two_nodes_at_once_signs_up_once(cluster, api, images):
    a, b = cluster.nodes
    for round_ in range(3):
        collection = unique("race-register")
        ra, rb = at_once(lambda: a.flows(api["flows"]).register(collection, f"ana-{round_}@example.com", images["doc_a"]),
                         lambda: b.flows(api["flows"]).register(collection, f"anna-{round_}@example.org",
                                                                images["doc_a_card"]))
        assert ra.status_code == 200 and rb.status_code == 200, (ra.text, rb.text)
        bodies = [ra.json(), rb.json()]
        accepted = [x for x in bodies if x["decision"] == "accepted"]
        duplicate = [x for x in bodies if x["decision"] == "existing_user" or
                     (x["decision"] == "rejected" and "DUPLICATE_FACE" in x["reasons"])]
        assert len(accepted) == 1 and len(duplicate) == 1, bodies
        assert accepted[0]["indexed"] is True and duplicate[0]["indexed"] is False, bodies
        users = a.flows(api["admin"]).get(f"/v1/collections/{collection}/users").json()["users"]
        assert [(u["externalId"], u["faceCount"]) for u in users] == [(accepted[0]["externalId"], 1)], users


def test_the_verify_rate_limit_is_one_budget_across_nodes(cluster, api, images):
    a, b = cluster.nodes
    collection = unique("limits")
    external = f"ana-{time.time_ns()}"
    r = a.flows(api["flows"]).register(collection, external, images["doc_a"])
    assert r.status_code == 200 and r.json()["decision"] == "accepted", r.text
    statuses = []
    for i in range(2 * VERIFY_LIMIT_PER_ID + 2):
        node = (a, b)[i % 2]
        v = node.flows(api["flows"]).verify(collection, external, images["selfie_a"], requireLiveness=False)
        statuses.append(v.status_code)
        if v.status_code == 429:
            assert v.json()["__type"] == "ThrottlingException" and int(v.headers["Retry-After"]) >= 1, v.text
        else:
            assert v.status_code == 200 and v.json()["decision"] == "accepted", v.text
    assert statuses == [200] * VERIFY_LIMIT_PER_ID + [429] * (VERIFY_LIMIT_PER_ID + 2), statuses
