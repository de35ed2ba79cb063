# SPDX-License-Identifier: MIT
"""Users through boto3: CreateUser, DeleteUser, ListUsers, AssociateFaces, DisassociateFaces,
SearchUsers, SearchUsersByImage, and ListFaces' UserId/FaceIds filters.

Debian's botocore predates these operations: the `users_client` fixture loads the current model
from ../shared/reference/aws-models (as AWS_DATA_PATH does) and these tests are skipped without it.
"""
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import (UUID_RE, assert_bounding_box, assert_face, box_area, error_code, iou, page_all,
                      sample_bytes, unique_id)

USER_STATUSES = {"ACTIVE", "UPDATING", "CREATING", "CREATED"}
UNKNOWN_FACE = "00000000-0000-4000-8000-000000000000"


class People:
    """A collection with sample1 indexed twice (ExternalImageIds s1a and s1b: the same faces twice)
    and sample2 once (s2)."""

    def __init__(self, client, collection_id):
        self.client = client
        self.collection_id = collection_id
        self.records = {}

    def index(self, external_image_id, n):
        response = self.client.index_faces(CollectionId=self.collection_id, Image={"Bytes": sample_bytes(n)},
                                           ExternalImageId=external_image_id, QualityFilter="NONE")
        self.records[external_image_id] = response["FaceRecords"]
        return response["FaceRecords"]

    def largest(self, external_image_id) -> str:
        records = self.records[external_image_id]
        return max(records, key=lambda r: box_area(r["Face"]["BoundingBox"]))["Face"]["FaceId"]

    def copy_of(self, face_id, external_image_id) -> str:
        """The face of `external_image_id` at the place of `face_id` (the same face of the same photo)."""
        box = next(r["Face"]["BoundingBox"] for records in self.records.values() for r in records
                   if r["Face"]["FaceId"] == face_id)
        best = max(self.records[external_image_id], key=lambda r: iou(r["Face"]["BoundingBox"], box))
        assert iou(best["Face"]["BoundingBox"], box) > 0.9
        return best["Face"]["FaceId"]

    def others(self, external_image_id, but) -> list:
        return [r["Face"]["FaceId"] for r in self.records[external_image_id] if r["Face"]["FaceId"] != but]


@pytest.fixture
def users_collection(users_client):
    collection_id = unique_id("compat-users")
    users_client.create_collection(CollectionId=collection_id)
    yield collection_id
    try:
        users_client.delete_collection(CollectionId=collection_id)
    except ClientError:
        pass


@pytest.fixture
def people(users_client, users_collection):
    p = People(users_client, users_collection)
    assert len(p.index("s1a", 1)) == 3
    assert len(p.index("s1b", 1)) == 3
    assert len(p.index("s2", 2)) == 3
    return p


def list_users(client, collection_id) -> dict:
    users = [u for page in page_all(client.list_users, "Users", CollectionId=collection_id) for u in page]
    ids = [u["UserId"] for u in users]
    assert len(ids) == len(set(ids)), f"a user was listed twice: {ids}"
    return {u["UserId"]: u for u in users}


def user_face_ids(client, collection_id, user_id) -> set:
    faces = [f for page in page_all(client.list_faces, "Faces", CollectionId=collection_id, UserId=user_id)
             for f in page]
    for face in faces:
        assert face.get("UserId") == user_id, face
    return {f["FaceId"] for f in faces}


def only_metadata(response) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# ----------------------------------------------------------------------------------------------

def test_create_list_delete_user(users_client, users_collection):
    c = users_client
    created = c.create_user(CollectionId=users_collection, UserId="alice")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert only_metadata(created) == {}
    users = list_users(c, users_collection)
    assert set(users) == {"alice"}
    assert users["alice"]["UserStatus"] in USER_STATUSES
    assert c.describe_collection(CollectionId=users_collection)["UserCount"] == 1

    with pytest.raises(c.exceptions.ConflictException):
        c.create_user(CollectionId=users_collection, UserId="alice")
    # user ids are case-sensitive, like collection ids
    c.create_user(CollectionId=users_collection, UserId="Alice")
    assert set(list_users(c, users_collection)) == {"alice", "Alice"}

    deleted = c.delete_user(CollectionId=users_collection, UserId="alice")
    assert only_metadata(deleted) == {}
    assert set(list_users(c, users_collection)) == {"Alice"}
    assert c.describe_collection(CollectionId=users_collection)["UserCount"] == 1
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.delete_user(CollectionId=users_collection, UserId="alice")


def test_create_user_client_request_token(users_client, users_collection):
    c = users_client
    token = uuid.uuid4().hex
    c.create_user(CollectionId=users_collection, UserId="bob", ClientRequestToken=token)
    # the same request with the same token is a retry: answered the same way, not a conflict
    c.create_user(CollectionId=users_collection, UserId="bob", ClientRequestToken=token)
    assert set(list_users(c, users_collection)) == {"bob"}


@pytest.mark.parametrize("user_id", ["a", "with:all_allowed.chars-09", "u" * 128])
def test_valid_user_ids(users_client, users_collection, user_id):
    users_client.create_user(CollectionId=users_collection, UserId=user_id)
    assert user_id in list_users(users_client, users_collection)
    users_client.delete_user(CollectionId=users_collection, UserId=user_id)


@pytest.mark.parametrize("user_id", ["has space", "a@b.example", "a+b", "ü", "u" * 129])
def test_invalid_user_ids(users_client, users_collection, user_id):
    with pytest.raises(users_client.exceptions.InvalidParameterException):
        users_client.create_user(CollectionId=users_collection, UserId=user_id)


def test_users_in_unknown_collection(users_client):
    c = users_client
    missing = unique_id("never-created")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.create_user(CollectionId=missing, UserId="alice")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.list_users(CollectionId=missing)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.search_users(CollectionId=missing, UserId="alice")


def test_list_users_pagination(users_client, users_collection):
    c = users_client
    mine = {f"user-{i:02d}" for i in range(7)}
    for user_id in mine:
        c.create_user(CollectionId=users_collection, UserId=user_id)
    pages = page_all(c.list_users, "Users", CollectionId=users_collection, MaxResults=3)
    assert len(pages) == 3, [len(p) for p in pages]
    assert all(len(p) <= 3 for p in pages)
    listed = [u["UserId"] for p in pages for u in p]
    assert sorted(listed) == sorted(mine)
    assert c.describe_collection(CollectionId=users_collection)["UserCount"] == 7


def test_list_users_bad_token(users_client, users_collection):
    users_client.create_user(CollectionId=users_collection, UserId="u1")
    with pytest.raises(users_client.exceptions.InvalidPaginationTokenException):
        users_client.list_users(CollectionId=users_collection, NextToken="bogus-token", MaxResults=3)


def test_associate_faces(users_client, people):
    c, coll = users_client, people.collection_id
    face = people.largest("s1a")
    copy = people.copy_of(face, "s1b")
    stranger = people.largest("s2")
    c.create_user(CollectionId=coll, UserId="u1")

    first = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face])
    assert first["AssociatedFaces"] == [{"FaceId": face}]
    assert first.get("UnsuccessfulFaceAssociations", []) == []
    assert first["UserStatus"] in USER_STATUSES

    # the same person (a copy of the face) joins; an unknown face does not
    second = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[copy, UNKNOWN_FACE])
    assert second["AssociatedFaces"] == [{"FaceId": copy}]
    failures = second["UnsuccessfulFaceAssociations"]
    assert [f["FaceId"] for f in failures] == [UNKNOWN_FACE]
    assert failures[0]["Reasons"] == ["FACE_NOT_FOUND"]

    # someone else does not match the user's faces (UserMatchThreshold 75 by default)
    third = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[stranger])
    assert third.get("AssociatedFaces", []) == []
    failure = third["UnsuccessfulFaceAssociations"][0]
    assert failure["FaceId"] == stranger
    assert "LOW_MATCH_CONFIDENCE" in failure["Reasons"], failure
    if "Confidence" in failure:
        assert 0 <= failure["Confidence"] < 75

    # a face of u1 cannot be given to u2
    c.create_user(CollectionId=coll, UserId="u2")
    fourth = c.associate_faces(CollectionId=coll, UserId="u2", FaceIds=[face, stranger])
    assert fourth["AssociatedFaces"] == [{"FaceId": stranger}]
    failure = fourth["UnsuccessfulFaceAssociations"][0]
    assert failure["FaceId"] == face
    assert failure["Reasons"] == ["ASSOCIATED_TO_A_DIFFERENT_USER"]
    if "UserId" in failure:
        assert failure["UserId"] == "u1"

    # ListFaces sees the associations
    assert user_face_ids(c, coll, "u1") == {face, copy}
    assert user_face_ids(c, coll, "u2") == {stranger}
    for f in [f for page in page_all(c.list_faces, "Faces", CollectionId=coll) for f in page]:
        expected = {face: "u1", copy: "u1", stranger: "u2"}.get(f["FaceId"])
        assert f.get("UserId") == expected, f
    users = list_users(c, coll)
    assert users["u1"]["UserStatus"] in USER_STATUSES

    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.associate_faces(CollectionId=coll, UserId="nobody", FaceIds=[copy])


def test_delete_faces_of_a_user_is_refused(users_client, people):
    c, coll = users_client, people.collection_id
    face = people.largest("s1a")
    free = people.others("s1a", face)[0]
    c.create_user(CollectionId=coll, UserId="u1")
    c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face])
    response = c.delete_faces(CollectionId=coll, FaceIds=[face, free])
    assert response["DeletedFaces"] == [free]
    failures = response["UnsuccessfulFaceDeletions"]
    assert len(failures) == 1
    assert failures[0]["FaceId"] == face
    assert failures[0]["Reasons"] == ["ASSOCIATED_TO_AN_EXISTING_USER"]
    assert failures[0].get("UserId") == "u1"
    listed = {f["FaceId"] for f in c.list_faces(CollectionId=coll)["Faces"]}
    assert face in listed and free not in listed


def test_disassociate_faces(users_client, people):
    c, coll = users_client, people.collection_id
    face = people.largest("s1a")
    copy = people.copy_of(face, "s1b")
    stranger = people.largest("s2")
    c.create_user(CollectionId=coll, UserId="u1")
    c.create_user(CollectionId=coll, UserId="u2")
    c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face, copy])
    c.associate_faces(CollectionId=coll, UserId="u2", FaceIds=[stranger])

    response = c.disassociate_faces(CollectionId=coll, UserId="u1", FaceIds=[copy, stranger, UNKNOWN_FACE])
    assert response["DisassociatedFaces"] == [{"FaceId": copy}]
    assert response["UserStatus"] in USER_STATUSES
    reasons = {f["FaceId"]: f["Reasons"] for f in response["UnsuccessfulFaceDisassociations"]}
    assert reasons == {stranger: ["ASSOCIATED_TO_A_DIFFERENT_USER"], UNKNOWN_FACE: ["FACE_NOT_FOUND"]}

    assert user_face_ids(c, coll, "u1") == {face}
    assert user_face_ids(c, coll, "u2") == {stranger}
    # the disassociated face stays in the collection, without a user, and can be deleted now
    listed = {f["FaceId"]: f for f in c.list_faces(CollectionId=coll, FaceIds=[copy])["Faces"]}
    assert set(listed) == {copy} and "UserId" not in listed[copy]
    assert c.delete_faces(CollectionId=coll, FaceIds=[copy])["DeletedFaces"] == [copy]

    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.disassociate_faces(CollectionId=coll, UserId="nobody", FaceIds=[face])


def test_delete_user_disassociates_its_faces(users_client, people):
    c, coll = users_client, people.collection_id
    face = people.largest("s1a")
    copy = people.copy_of(face, "s1b")
    c.create_user(CollectionId=coll, UserId="u1")
    c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face, copy])
    assert c.describe_collection(CollectionId=coll)["UserCount"] == 1

    c.delete_user(CollectionId=coll, UserId="u1")
    assert "u1" not in list_users(c, coll)
    assert c.describe_collection(CollectionId=coll)["UserCount"] == 0
    faces = {f["FaceId"]: f for page in page_all(c.list_faces, "Faces", CollectionId=coll) for f in page}
    assert face in faces and copy in faces, "DeleteUser must keep the faces"
    assert all("UserId" not in f for f in faces.values())
    deleted = c.delete_faces(CollectionId=coll, FaceIds=[face, copy])
    assert sorted(deleted["DeletedFaces"]) == sorted([face, copy])
    assert deleted.get("UnsuccessfulFaceDeletions", []) == []


def test_list_faces_filters(users_client, people):
    c, coll = users_client, people.collection_id
    wanted = [people.records["s1a"][0]["Face"]["FaceId"], people.records["s2"][1]["Face"]["FaceId"]]
    listed = c.list_faces(CollectionId=coll, FaceIds=wanted)["Faces"]
    assert sorted(f["FaceId"] for f in listed) == sorted(wanted)
    for f in listed:
        assert_face(f)
    # unknown ids in the filter are simply not listed
    assert c.list_faces(CollectionId=coll, FaceIds=[UNKNOWN_FACE])["Faces"] == []
    c.create_user(CollectionId=coll, UserId="nobody-yet")
    assert c.list_faces(CollectionId=coll, UserId="nobody-yet")["Faces"] == []


def test_search_users(users_client, people):
    c, coll = users_client, people.collection_id
    face = people.largest("s1a")
    copy = people.copy_of(face, "s1b")
    stranger = people.largest("s2")
    c.create_user(CollectionId=coll, UserId="u1")
    c.create_user(CollectionId=coll, UserId="u2")
    c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face])
    c.associate_faces(CollectionId=coll, UserId="u2", FaceIds=[stranger])

    # by a face that belongs to no user: the copy of u1's face
    by_face = c.search_users(CollectionId=coll, FaceId=copy)
    assert by_face["SearchedFace"] == {"FaceId": copy}
    assert isinstance(by_face["FaceModelVersion"], str)
    matches = by_face["UserMatches"]
    assert [m["User"]["UserId"] for m in matches] == ["u1"], matches
    assert matches[0]["Similarity"] > 95
    assert matches[0]["User"]["UserStatus"] in USER_STATUSES

    # by a user: u2 is someone else
    by_user = c.search_users(CollectionId=coll, UserId="u1")
    assert by_user["SearchedUser"] == {"UserId": "u1"}
    assert "u2" not in [m["User"]["UserId"] for m in by_user["UserMatches"]]
    low = c.search_users(CollectionId=coll, UserId="u1", UserMatchThreshold=0, MaxUsers=10)
    assert "u2" in [m["User"]["UserId"] for m in low["UserMatches"]]
    similarities = [m["Similarity"] for m in low["UserMatches"]]
    assert similarities == sorted(similarities, reverse=True)

    one = c.search_users(CollectionId=coll, FaceId=copy, UserMatchThreshold=0, MaxUsers=1)
    assert [m["User"]["UserId"] for m in one["UserMatches"]] == ["u1"]

    with pytest.raises(ClientError) as excinfo:
        c.search_users(CollectionId=coll, UserId="nobody")
    assert error_code(excinfo) in ("ResourceNotFoundException", "InvalidParameterException")


def test_search_users_by_image(users_client, people, no_face_image):
    c, coll = users_client, people.collection_id
    face = people.largest("s1a")
    stranger = people.largest("s2")
    c.create_user(CollectionId=coll, UserId="u1")
    c.create_user(CollectionId=coll, UserId="u2")
    c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face])
    c.associate_faces(CollectionId=coll, UserId="u2", FaceIds=[stranger])

    response = c.search_users_by_image(CollectionId=coll, Image={"Bytes": sample_bytes(1)})
    assert isinstance(response["FaceModelVersion"], str)
    matches = response["UserMatches"]
    assert [m["User"]["UserId"] for m in matches] == ["u1"], matches
    assert matches[0]["Similarity"] > 95
    assert matches[0]["User"]["UserStatus"] in USER_STATUSES
    searched = response["SearchedFace"]["FaceDetail"]
    assert_bounding_box(searched["BoundingBox"])
    largest_box = next(r["Face"]["BoundingBox"] for r in people.records["s1a"] if r["Face"]["FaceId"] == face)
    assert iou(searched["BoundingBox"], largest_box) > 0.8
    unsearched = response["UnsearchedFaces"]
    assert len(unsearched) == 2
    for u in unsearched:
        assert "FACE_NOT_LARGEST" in u["Reasons"], u
        assert_bounding_box(u["FaceDetails"]["BoundingBox"])

    other = c.search_users_by_image(CollectionId=coll, Image={"Bytes": sample_bytes(2)})
    assert [m["User"]["UserId"] for m in other["UserMatches"]] == ["u2"]

    # sample5 shows nobody of sample1 or sample2 (sample3 would: its largest face is u1's woman)
    nobody = c.search_users_by_image(CollectionId=coll, Image={"Bytes": sample_bytes(5)})
    assert nobody["UserMatches"] == []

    # no face: an empty UserMatches and no SearchedFace, not an error (unlike SearchFacesByImage)
    empty = c.search_users_by_image(CollectionId=coll, Image={"Bytes": no_face_image})
    assert empty["UserMatches"] == []
    assert "SearchedFace" not in empty


def test_user_face_limit_and_ids(users_client, people):
    """AssociateFaces takes at most 100 ids a call (model); ids must be face ids."""
    c, coll = users_client, people.collection_id
    c.create_user(CollectionId=coll, UserId="u1")
    response = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[people.largest("s1a")])
    assert UUID_RE.match(response["AssociatedFaces"][0]["FaceId"])
    with pytest.raises(ClientError) as excinfo:
        c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[str(uuid.uuid4()) for _ in range(101)])
    assert error_code(excinfo) == "InvalidParameterException"


def test_idempotency_tokens(users_client, people):
    c, coll = users_client, people.collection_id
    token = uuid.uuid4().hex
    c.create_user(CollectionId=coll, UserId="u1", ClientRequestToken=token)
    # the same token with other parameters is not a retry
    with pytest.raises(c.exceptions.IdempotentParameterMismatchException):
        c.create_user(CollectionId=coll, UserId="u2", ClientRequestToken=token)
    face = people.largest("s1a")
    associate_token = uuid.uuid4().hex
    first = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face], ClientRequestToken=associate_token)
    assert first["AssociatedFaces"] == [{"FaceId": face}]
    # "If you use the same token with multiple AssociateFaces requests, the same response is returned"
    again = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face], ClientRequestToken=associate_token)
    assert only_metadata(again) == only_metadata(first)
    assert user_face_ids(c, coll, "u1") == {face}
    # without a token, a face the user already has is ignored: in neither list of the answer
    plain = c.associate_faces(CollectionId=coll, UserId="u1", FaceIds=[face])
    assert plain.get("AssociatedFaces", []) == [] and plain.get("UnsuccessfulFaceAssociations", []) == []

    disassociate_token = uuid.uuid4().hex
    first = c.disassociate_faces(CollectionId=coll, UserId="u1", FaceIds=[face], ClientRequestToken=disassociate_token)
    assert first["DisassociatedFaces"] == [{"FaceId": face}]
    again = c.disassociate_faces(CollectionId=coll, UserId="u1", FaceIds=[face], ClientRequestToken=disassociate_token)
    assert only_metadata(again) == only_metadata(first)
    assert user_face_ids(c, coll, "u1") == set()


def test_delete_collection_deletes_its_users(users_client, users_collection):
    c = users_client
    c.create_user(CollectionId=users_collection, UserId="u1")
    c.delete_collection(CollectionId=users_collection)
    c.create_collection(CollectionId=users_collection)
    assert list_users(c, users_collection) == {}
    assert c.describe_collection(CollectionId=users_collection)["UserCount"] == 0


def test_user_face_limit(users_client, users_collection):
    """At most 100 faces per user: once a user has 100, AssociateFaces answers
    ServiceQuotaExceededException (Rekognition's AssociateFaces documentation)."""
    c = users_client
    face_ids = []
    for i in range(21):  # 21 x 5 faces of sample5: 105 faces
        response = c.index_faces(CollectionId=users_collection, Image={"Bytes": sample_bytes(5)},
                                 ExternalImageId=f"five-{i}", QualityFilter="NONE")
        face_ids += [r["Face"]["FaceId"] for r in response["FaceRecords"]]
    assert len(face_ids) == 105
    c.create_user(CollectionId=users_collection, UserId="crowd")
    # five different people: UserMatchThreshold 0 lets them all in
    full = c.associate_faces(CollectionId=users_collection, UserId="crowd", FaceIds=face_ids[:100],
                             UserMatchThreshold=0)
    assert len(full["AssociatedFaces"]) == 100
    assert full.get("UnsuccessfulFaceAssociations", []) == []
    with pytest.raises(c.exceptions.ServiceQuotaExceededException):
        c.associate_faces(CollectionId=users_collection, UserId="crowd", FaceIds=face_ids[100:101],
                          UserMatchThreshold=0)
    assert len(user_face_ids(c, users_collection, "crowd")) == 100
