# SPDX-License-Identifier: MIT
"""Collections through boto3: CreateCollection, DescribeCollection, ListCollections, DeleteCollection."""
import datetime

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, page_all, sample_bytes, unique_id, utcnow


def test_create_describe_delete(rekognition):
    collection_id = unique_id()
    created = rekognition.create_collection(CollectionId=collection_id)
    try:
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert created["StatusCode"] == 200
        assert isinstance(created["CollectionArn"], str) and created["CollectionArn"]
        assert collection_id in created["CollectionArn"]
        assert isinstance(created["FaceModelVersion"], str) and created["FaceModelVersion"]

        described = rekognition.describe_collection(CollectionId=collection_id)
        assert described["FaceCount"] == 0
        assert described.get("UserCount", 0) == 0
        assert described["FaceModelVersion"] == created["FaceModelVersion"]
        assert isinstance(described["CollectionARN"], str) and collection_id in described["CollectionARN"]
        # botocore turns the epoch seconds into an aware datetime: it must be "now" (same machine)
        created_at = described["CreationTimestamp"]
        assert isinstance(created_at, datetime.datetime)
        assert abs((utcnow() - created_at).total_seconds()) < 300, created_at
    finally:
        deleted = rekognition.delete_collection(CollectionId=collection_id)
    assert deleted["StatusCode"] == 200

    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.describe_collection(CollectionId=collection_id)
    ids = [c for page in page_all(rekognition.list_collections, "CollectionIds") for c in page]
    assert collection_id not in ids


def test_create_existing_collection(rekognition, collection):
    with pytest.raises(rekognition.exceptions.ResourceAlreadyExistsException) as excinfo:
        rekognition.create_collection(CollectionId=collection)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_delete_unknown_collection(rekognition):
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.delete_collection(CollectionId=unique_id("never-created"))


def test_collection_ids_are_case_sensitive(rekognition):
    collection_id = unique_id("CaseTest")
    rekognition.create_collection(CollectionId=collection_id)
    try:
        with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
            rekognition.describe_collection(CollectionId=collection_id.lower())
        # the other case is a different, new collection
        rekognition.create_collection(CollectionId=collection_id.upper())
        rekognition.delete_collection(CollectionId=collection_id.upper())
        rekognition.describe_collection(CollectionId=collection_id)
    finally:
        rekognition.delete_collection(CollectionId=collection_id)


@pytest.mark.parametrize("make_id", [
    lambda: "a",  # one character (the server's data directory is new for each session)
    lambda: unique_id("with_all.allowed-chars_0123456789"),
    lambda: unique_id("max")[:20].ljust(255, "x"),  # 255 characters, the maximum
], ids=["one-char", "all-allowed-chars", "255-chars"])
def test_valid_collection_ids(rekognition, make_id):
    collection_id = make_id()
    rekognition.create_collection(CollectionId=collection_id)
    try:
        assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 0
        ids = [c for page in page_all(rekognition.list_collections, "CollectionIds") for c in page]
        assert collection_id in ids
    finally:
        rekognition.delete_collection(CollectionId=collection_id)


def test_list_collections_pagination(rekognition):
    prefix = unique_id("page")
    mine = [f"{prefix}-{i}" for i in range(7)]
    for collection_id in mine:
        rekognition.create_collection(CollectionId=collection_id)
    try:
        # by hand, three at a time
        pages, token = [], None
        while True:
            params = {"MaxResults": 3}
            if token:
                params["NextToken"] = token
            response = rekognition.list_collections(**params)
            ids = response["CollectionIds"]
            assert len(ids) <= 3
            assert len(response["FaceModelVersions"]) == len(ids)
            pages.append(ids)
            token = response.get("NextToken")
            if not token:
                break
            assert len(pages) < 100, "ListCollections never stops paginating"
        listed = [c for page in pages for c in page]
        assert len(listed) == len(set(listed)), f"a collection was listed twice: {listed}"
        assert set(mine) <= set(listed)
        assert len(pages) >= 3  # at least 7 collections, three per page

        # boto3's paginator (Debian botocore's paginators-1.json) agrees
        paginated = [c for page in rekognition.get_paginator("list_collections").paginate(
            PaginationConfig={"PageSize": 2}) for c in page["CollectionIds"]]
        assert sorted(paginated) == sorted(listed)

        # no MaxResults: one page with everything (fewer than Rekognition's 1000 default page)
        everything = rekognition.list_collections()
        assert set(mine) <= set(everything["CollectionIds"])
        assert "NextToken" not in everything
    finally:
        for collection_id in mine:
            rekognition.delete_collection(CollectionId=collection_id)


def test_list_collections_bad_token(rekognition):
    with pytest.raises(ClientError) as excinfo:
        rekognition.list_collections(NextToken="not-a-token-we-ever-gave", MaxResults=2)
    assert error_code(excinfo) == "InvalidPaginationTokenException"


def test_collection_count_follows_index_and_delete(rekognition, collection):
    indexed = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(2)},
                                      ExternalImageId="sample2", QualityFilter="NONE")
    n = len(indexed["FaceRecords"])
    assert n == 3
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == n
    rekognition.delete_faces(CollectionId=collection, FaceIds=[indexed["FaceRecords"][0]["Face"]["FaceId"]])
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == n - 1
    # deleting a collection with faces works, and a new one with the same id starts empty
    rekognition.delete_collection(CollectionId=collection)
    rekognition.create_collection(CollectionId=collection)
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 0
    assert rekognition.list_faces(CollectionId=collection)["Faces"] == []
