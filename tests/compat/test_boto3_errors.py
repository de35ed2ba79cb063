# SPDX-License-Identifier: MIT
"""Errors as Rekognition answers them: the type botocore raises (from `__type`), the HTTP status,
validation the server must do itself (botocore only checks types, required members and minimums,
never patterns, maximums or enums), images, and authentication (SigV4)."""
import datetime
import json
import types
import urllib.error
import urllib.request

import botocore
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ParamValidationError

from conftest import (MAX_IMAGE_BYTES, REGION, client_config, error_code, http_status, make_client, sample_bytes,
                      unique_id)

UNKNOWN_FACE = "00000000-0000-4000-8000-000000000000"


# ----------------------------------------------------------------------------------------------
# unknown collections

OPERATIONS_ON_A_COLLECTION = {
    "describe_collection": {},
    "delete_collection": {},
    "list_faces": {},
    "delete_faces": {"FaceIds": [UNKNOWN_FACE]},
    "search_faces": {"FaceId": UNKNOWN_FACE},
    "index_faces": {"Image": "sample"},
    "search_faces_by_image": {"Image": "sample"},
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS_ON_A_COLLECTION))
def test_unknown_collection(rekognition, operation):
    params = dict(OPERATIONS_ON_A_COLLECTION[operation])
    if params.get("Image") == "sample":
        params["Image"] = {"Bytes": sample_bytes(1)}
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException) as excinfo:
        getattr(rekognition, operation)(CollectionId=unique_id("never-created"), **params)
    assert http_status(excinfo) == 400
    assert excinfo.value.response["Error"]["Message"], "the error has no message"


# ----------------------------------------------------------------------------------------------
# identifiers (patterns and maximum lengths: botocore does not check them, the server must)

BAD_COLLECTION_IDS = ["has space", "slash/inside", "colon:inside", "at@sign", "ünïcode", "x" * 256, "star*"]


@pytest.mark.parametrize("collection_id", BAD_COLLECTION_IDS, ids=lambda s: s[:20])
def test_bad_collection_id(rekognition, collection_id):
    with pytest.raises(rekognition.exceptions.InvalidParameterException) as excinfo:
        rekognition.create_collection(CollectionId=collection_id)
    assert http_status(excinfo) == 400
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.describe_collection(CollectionId=collection_id)


def test_empty_collection_id(rekognition, raw_client):
    # botocore checks the minimum length itself...
    with pytest.raises(ParamValidationError):
        rekognition.create_collection(CollectionId="")
    # ...and the server too when a client does not
    with pytest.raises(raw_client.exceptions.InvalidParameterException):
        raw_client.create_collection(CollectionId="")


def test_missing_required_member(raw_client):
    with pytest.raises(ClientError) as excinfo:
        raw_client.create_collection()
    assert error_code(excinfo) in ("InvalidParameterException", "ValidationException")


@pytest.mark.parametrize("external_image_id", ["a@b.example", "a+b", "has space", "x" * 256, "ñ"],
                         ids=lambda s: s[:20])
def test_bad_external_image_id(rekognition, collection, external_image_id):
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)},
                                ExternalImageId=external_image_id)
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 0


def test_good_external_image_id(rekognition, collection):
    external_image_id = "user:42_photo-1.jpg"
    response = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)},
                                       ExternalImageId=external_image_id, MaxFaces=1)
    assert response["FaceRecords"][0]["Face"]["ExternalImageId"] == external_image_id


@pytest.mark.parametrize("face_id", ["not-a-uuid", UNKNOWN_FACE.upper(), "0" * 36])
def test_bad_face_id(rekognition, collection, face_id):
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.search_faces(CollectionId=collection, FaceId=face_id)


# ----------------------------------------------------------------------------------------------
# numbers and enums

def test_thresholds_out_of_range(rekognition, raw_client, collection):
    # above 100: botocore does not check maximums, the server must refuse
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.search_faces_by_image(CollectionId=collection, Image={"Bytes": sample_bytes(1)},
                                          FaceMatchThreshold=100.5)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.compare_faces(SourceImage={"Bytes": sample_bytes(1)}, TargetImage={"Bytes": sample_bytes(1)},
                                  SimilarityThreshold=101)
    # below 0: botocore refuses first; the server also refuses it
    with pytest.raises(ParamValidationError):
        rekognition.search_faces(CollectionId=collection, FaceId=UNKNOWN_FACE, FaceMatchThreshold=-1)
    with pytest.raises(raw_client.exceptions.InvalidParameterException):
        raw_client.search_faces_by_image(CollectionId=collection, Image={"Bytes": sample_bytes(1)},
                                         FaceMatchThreshold=-0.5)


def test_max_results_out_of_range(rekognition, raw_client, indexed_samples):
    coll = indexed_samples.collection_id
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.list_faces(CollectionId=coll, MaxResults=4097)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.list_collections(MaxResults=4097)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.search_faces(CollectionId=coll, FaceId=indexed_samples.face_ids(1)[0], MaxFaces=4097)
    with pytest.raises(raw_client.exceptions.InvalidParameterException):
        raw_client.search_faces_by_image(CollectionId=coll, Image={"Bytes": sample_bytes(1)}, MaxFaces=0)
    with pytest.raises(raw_client.exceptions.InvalidParameterException):
        raw_client.index_faces(CollectionId=coll, Image={"Bytes": sample_bytes(1)}, MaxFaces=0)
    # the model's largest values are accepted
    assert len(rekognition.list_faces(CollectionId=coll, MaxResults=4096)["Faces"]) == 22
    rekognition.search_faces(CollectionId=coll, FaceId=indexed_samples.face_ids(1)[0], MaxFaces=4096)


def test_users_numbers_out_of_range(users_client, collection):
    users_client.create_user(CollectionId=collection, UserId="u1")
    with pytest.raises(users_client.exceptions.InvalidParameterException):
        users_client.list_users(CollectionId=collection, MaxResults=501)
    with pytest.raises(users_client.exceptions.InvalidParameterException):
        users_client.search_users(CollectionId=collection, UserId="u1", MaxUsers=501)
    with pytest.raises(users_client.exceptions.InvalidParameterException):
        users_client.search_users(CollectionId=collection, UserId="u1", UserMatchThreshold=100.1)
    with pytest.raises(users_client.exceptions.InvalidParameterException):
        users_client.associate_faces(CollectionId=collection, UserId="u1", FaceIds=[UNKNOWN_FACE],
                                     UserMatchThreshold=150)
    # SearchUsers needs a FaceId or a UserId
    with pytest.raises(users_client.exceptions.InvalidParameterException):
        users_client.search_users(CollectionId=collection)


def test_unknown_enum_values(rekognition, collection):
    # botocore does not check enums
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)}, QualityFilter="BEST")
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.detect_faces(Image={"Bytes": sample_bytes(1)}, Attributes=["EVERYTHING"])


def test_wrong_json_types(raw_client, collection):
    with pytest.raises(ClientError) as excinfo:
        raw_client.list_faces(CollectionId=collection, MaxResults="five")
    assert error_code(excinfo) in ("InvalidParameterException", "SerializationException", "ValidationException")
    assert http_status(excinfo) == 400


# ----------------------------------------------------------------------------------------------
# images

CORRUPT_IMAGES = {
    "random-bytes": bytes((i * 7919 + 13) % 256 for i in range(4096)),
    "text": b"this is not an image at all\n" * 10,
    "jpeg-header-only": None,   # the first 200 bytes of sample1.jpg
    "png-signature-only": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
}


@pytest.mark.parametrize("kind", sorted(CORRUPT_IMAGES))
@pytest.mark.parametrize("operation", ["detect_faces", "index_faces", "search_faces_by_image", "compare_faces"])
def test_corrupt_image(rekognition, indexed_samples, operation, kind):
    data = CORRUPT_IMAGES[kind] if CORRUPT_IMAGES[kind] is not None else sample_bytes(1)[:200]
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException) as excinfo:
        call_with_image(rekognition, operation, data, indexed_samples.collection_id)
    assert http_status(excinfo) == 400


def call_with_image(client, operation, data, collection_id):
    image = {"Bytes": data}
    if operation == "detect_faces":
        return client.detect_faces(Image=image)
    if operation == "compare_faces":
        return client.compare_faces(SourceImage=image, TargetImage={"Bytes": sample_bytes(1)})
    if operation == "index_faces":
        return client.index_faces(CollectionId=collection_id, Image=image, ExternalImageId="corrupt")
    return getattr(client, operation)(CollectionId=collection_id, Image=image)


def test_corrupt_target_image(rekognition):
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
        rekognition.compare_faces(SourceImage={"Bytes": sample_bytes(1)},
                                  TargetImage={"Bytes": CORRUPT_IMAGES["random-bytes"]})


def test_empty_image(raw_client):
    # botocore 1.29 does not check the minimum length of blobs; Rekognition refuses an empty image
    with pytest.raises(ClientError) as excinfo:
        raw_client.detect_faces(Image={"Bytes": b""})
    assert error_code(excinfo) in ("InvalidParameterException", "InvalidImageFormatException")


def test_image_too_large(rekognition, collection):
    """Image.Bytes max is 5,242,880 in the model. Debian's botocore does not check maximum lengths
    (it sends 5 MB + 1 bytes as they are): the server must answer ImageTooLargeException."""
    too_large = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_IMAGE_BYTES + 1 - 4)
    assert len(too_large) == MAX_IMAGE_BYTES + 1
    with pytest.raises(rekognition.exceptions.ImageTooLargeException) as excinfo:
        rekognition.detect_faces(Image={"Bytes": too_large})
    assert 400 <= http_status(excinfo) < 500
    with pytest.raises(rekognition.exceptions.ImageTooLargeException):
        rekognition.index_faces(CollectionId=collection, Image={"Bytes": too_large})


def test_image_at_the_size_limit_is_not_too_large(rekognition):
    """Exactly 5,242,880 bytes (base64: ~7 MB of JSON) is within the limit: the server must read it
    and find it is not an image, not refuse it as too large."""
    at_limit = CORRUPT_IMAGES["random-bytes"] * (MAX_IMAGE_BYTES // 4096)
    assert len(at_limit) == MAX_IMAGE_BYTES
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
        rekognition.detect_faces(Image={"Bytes": at_limit})


def test_large_valid_image(rekognition):
    """A real photo padded to just under 5 MB (JPEG ignores bytes after its end marker)."""
    data = sample_bytes(4)
    padded = data + b"\x00" * (MAX_IMAGE_BYTES - len(data))
    response = rekognition.detect_faces(Image={"Bytes": padded})
    assert len(response["FaceDetails"]) == 4


def test_s3_object_is_refused(rekognition, collection):
    s3 = {"S3Object": {"Bucket": "some-bucket", "Name": "photo.jpg"}}
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.detect_faces(Image=s3)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.index_faces(CollectionId=collection, Image=s3)


# ----------------------------------------------------------------------------------------------
# authentication

def test_unknown_access_key(server):
    client = make_client(server, access_key="AKIAFACEGATEUNKNOWN0", secret_key="x" * 40)
    with pytest.raises(ClientError) as excinfo:
        client.list_collections()
    assert error_code(excinfo) == "UnrecognizedClientException"
    assert http_status(excinfo) in (400, 403)


def test_wrong_secret(server):
    client = make_client(server, secret_key=server.secret_key[:-1] + ("A" if server.secret_key[-1] != "A" else "B"))
    with pytest.raises(ClientError) as excinfo:
        client.list_collections()
    assert error_code(excinfo) == "InvalidSignatureException"
    assert http_status(excinfo) in (400, 403)


def test_unsigned_request(server):
    client = make_client(server, config=client_config(signature_version=botocore.UNSIGNED))
    with pytest.raises(ClientError) as excinfo:
        client.list_collections()
    assert error_code(excinfo) == "MissingAuthenticationTokenException"
    assert http_status(excinfo) == 403


def signed_request(server, operation: str, body: dict | bytes, *, skew=datetime.timedelta(0),
                   monkeypatch=None, secret=None, target_prefix="RekognitionService."):
    """Signs a request by hand with botocore's SigV4Auth, with the clock moved by `skew`, and sends it
    with urllib. Returns (status, parsed JSON body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": target_prefix + operation,
    })
    credentials = Credentials(server.access_key, secret or server.secret_key)
    if skew:
        real = datetime.datetime

        class SkewedDatetime(real):
            @classmethod
            def utcnow(cls):
                return real.utcnow() + skew

        monkeypatch.setattr(botocore.auth, "datetime", types.SimpleNamespace(datetime=SkewedDatetime))
    try:
        botocore.auth.SigV4Auth(credentials, "rekognition", REGION).add_auth(request)
    finally:
        if skew:
            monkeypatch.undo()
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=prepared.body, method="POST",
                                  headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(http, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except json.JSONDecodeError:
            return e.code, {"raw": raw.decode(errors="replace")}


def test_manual_signing_works(server):
    status, body = signed_request(server, "ListCollections", {"MaxResults": 1})
    assert status == 200, body
    assert "CollectionIds" in body


@pytest.mark.parametrize("minutes", [-20, 20, -16, 16])
def test_clock_skew_is_refused(server, monkeypatch, minutes):
    status, body = signed_request(server, "ListCollections", {}, skew=datetime.timedelta(minutes=minutes),
                                  monkeypatch=monkeypatch)
    assert status in (400, 403), body
    assert body.get("__type", "").split("#")[-1] == "InvalidSignatureException", body


@pytest.mark.parametrize("minutes", [-5, 5])
def test_small_clock_skew_is_accepted(server, monkeypatch, minutes):
    status, body = signed_request(server, "ListCollections", {}, skew=datetime.timedelta(minutes=minutes),
                                  monkeypatch=monkeypatch)
    assert status == 200, body


def test_tampered_body_is_refused(server):
    """A signature covers the body: the same headers with another body fail."""
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=b'{"MaxResults": 1}', headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "RekognitionService.ListCollections"})
    botocore.auth.SigV4Auth(Credentials(server.access_key, server.secret_key), "rekognition", REGION).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=b'{"MaxResults": 2}', method="POST",
                                  headers=dict(prepared.headers.items()))
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(http, timeout=60)
    body = json.loads(excinfo.value.read())
    assert body["__type"].split("#")[-1] == "InvalidSignatureException", body


def test_any_region_is_accepted(server):
    eu = make_client(server, region="eu-west-3")
    assert "CollectionIds" in eu.list_collections()


def test_unknown_operation(server):
    status, body = signed_request(server, "FlyToTheMoon", {})
    assert status == 400, body
    assert body.get("__type", "").split("#")[-1] == "UnknownOperationException", body


def test_malformed_json(server):
    status, body = signed_request(server, "ListCollections", b"{not json")
    assert status == 400, body
    assert body.get("__type", "").split("#")[-1] == "SerializationException", body


def test_health_needs_no_signature(server):
    with urllib.request.urlopen(server.endpoint + "/healthz", timeout=10) as response:
        assert response.status == 200
