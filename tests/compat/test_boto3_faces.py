# SPDX-License-Identifier: MIT
"""Faces through boto3: IndexFaces, ListFaces, DeleteFaces, SearchFaces, SearchFacesByImage,
CompareFaces, DetectFaces. The session collection `indexed_samples` holds every face of
testdata/samples/sample1..6 (3+3+3+4+5+4 = 22 faces, all different people)."""
import pytest

from conftest import (SAME_PERSON, SAMPLE_FACE_COUNTS, assert_bounding_box, assert_face, box_area, iou, last_json,
                      page_all, sample_bytes, shared_photo)

TOTAL_SAMPLE_FACES = sum(SAMPLE_FACE_COUNTS.values())
DEFAULT_DETAIL_KEYS = ("BoundingBox", "Confidence", "Landmarks", "Pose", "Quality")


def assert_face_detail(detail: dict, *, keys=DEFAULT_DETAIL_KEYS) -> None:
    for key in keys:
        assert key in detail, f"FaceDetail lacks {key}: {sorted(detail)}"
    assert_bounding_box(detail["BoundingBox"])
    assert 0 <= detail["Confidence"] <= 100
    if "Landmarks" in detail:
        assert detail["Landmarks"], "FaceDetail.Landmarks is empty"
        for landmark in detail["Landmarks"]:
            assert isinstance(landmark["Type"], str) and isinstance(landmark["X"], float)
            assert isinstance(landmark["Y"], float)
    if "Pose" in detail:
        for angle in ("Roll", "Yaw", "Pitch"):
            assert -180 <= detail["Pose"][angle] <= 180
    if "Quality" in detail:
        for measure in ("Brightness", "Sharpness"):
            assert 0 <= detail["Quality"][measure] <= 100


# ----------------------------------------------------------------------------------------------
# IndexFaces

def test_index_faces_response(indexed_samples):
    face_ids = []
    for n, response in indexed_samples.responses.items():
        records = response["FaceRecords"]
        assert len(records) == SAMPLE_FACE_COUNTS[n], f"sample{n}: {len(records)} faces indexed"
        assert isinstance(response["FaceModelVersion"], str) and response["FaceModelVersion"]
        assert response.get("UnindexedFaces", []) == [], f"QualityFilter NONE left faces out: {response}"
        image_ids = {r["Face"]["ImageId"] for r in records}
        assert len(image_ids) == 1, "the faces of one IndexFaces call must share one ImageId"
        for record in records:
            assert_face(record["Face"], external_image_id=f"sample{n}")
            assert_face_detail(record["FaceDetail"])
            # Face and FaceDetail describe the same face
            assert iou(record["Face"]["BoundingBox"], record["FaceDetail"]["BoundingBox"]) > 0.9
            face_ids.append(record["Face"]["FaceId"])
    assert len(face_ids) == len(set(face_ids)) == TOTAL_SAMPLE_FACES
    image_ids = {r["FaceRecords"][0]["Face"]["ImageId"] for r in indexed_samples.responses.values()}
    assert len(image_ids) == len(SAMPLE_FACE_COUNTS), "each image gets its own ImageId"


def test_index_faces_without_external_image_id(rekognition, collection):
    response = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)},
                                       QualityFilter="NONE")
    assert len(response["FaceRecords"]) == 3
    for record in response["FaceRecords"]:
        assert "ExternalImageId" not in record["Face"]
        assert_face(record["Face"])
    for face in rekognition.list_faces(CollectionId=collection)["Faces"]:
        assert "ExternalImageId" not in face


def test_index_faces_all_attributes(rekognition, collection):
    response = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(1)},
                                       ExternalImageId="all-attrs", QualityFilter="NONE",
                                       DetectionAttributes=["ALL"])
    assert len(response["FaceRecords"]) == 3
    for record in response["FaceRecords"]:
        assert_face_detail(record["FaceDetail"])
        # ALL asks for more than the DEFAULT set
        assert set(record["FaceDetail"]) - set(DEFAULT_DETAIL_KEYS), record["FaceDetail"].keys()


def test_index_faces_max_faces(rekognition, collection):
    response = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(5)},
                                       ExternalImageId="sample5", QualityFilter="NONE", MaxFaces=2)
    assert len(response["FaceRecords"]) == 2
    unindexed = response["UnindexedFaces"]
    assert len(unindexed) == SAMPLE_FACE_COUNTS[5] - 2
    for face in unindexed:
        assert "EXCEEDS_MAX_FACES" in face["Reasons"], face
        assert_face_detail(face["FaceDetail"])
    # with the quality filter off, the faces kept are the largest ones
    kept = min(box_area(r["FaceDetail"]["BoundingBox"]) for r in response["FaceRecords"])
    dropped = max(box_area(u["FaceDetail"]["BoundingBox"]) for u in unindexed)
    assert kept >= dropped
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 2


def test_index_faces_quality_filters(rekognition, collection):
    """Every detected face is either indexed or reported in UnindexedFaces; stricter filters index fewer."""
    counts = {}
    for quality in ("NONE", "LOW", "MEDIUM", "HIGH", "AUTO"):
        response = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(5)},
                                           ExternalImageId=f"q-{quality}", QualityFilter=quality)
        indexed, unindexed = response["FaceRecords"], response.get("UnindexedFaces", [])
        counts[quality] = len(indexed)
        assert len(indexed) + len(unindexed) >= SAMPLE_FACE_COUNTS[5], (quality, response)
        for face in unindexed:
            assert face["Reasons"], face
            assert_face_detail(face["FaceDetail"])
    assert counts["NONE"] == SAMPLE_FACE_COUNTS[5]
    assert counts["NONE"] >= counts["LOW"] >= counts["MEDIUM"] >= counts["HIGH"], counts
    # the default is AUTO
    default = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(5)},
                                      ExternalImageId="q-default")
    assert len(default["FaceRecords"]) == counts["AUTO"]


def test_index_same_image_twice_stores_no_duplicates(rekognition, collection):
    first = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(2)},
                                    ExternalImageId="dup", QualityFilter="NONE")
    assert len(first["FaceRecords"]) == 3
    second = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(2)},
                                     ExternalImageId="dup", QualityFilter="NONE")
    assert len(second["FaceRecords"]) == 3
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 3
    listed = rekognition.list_faces(CollectionId=collection)["Faces"]
    assert len(listed) == 3
    assert {f["FaceId"] for f in listed} == {r["Face"]["FaceId"] for r in first["FaceRecords"]}
    # another ExternalImageId is another image: its faces are stored
    rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(2)},
                            ExternalImageId="dup-2", QualityFilter="NONE")
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 6


def test_index_faces_no_face(rekognition, collection, no_face_image):
    response = rekognition.index_faces(CollectionId=collection, Image={"Bytes": no_face_image},
                                       ExternalImageId="nothing")
    assert response["FaceRecords"] == []
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 0


# ----------------------------------------------------------------------------------------------
# ListFaces

def test_list_faces_pagination(rekognition, indexed_samples):
    pages = page_all(rekognition.list_faces, "Faces", CollectionId=indexed_samples.collection_id, MaxResults=5)
    assert len(pages) >= (TOTAL_SAMPLE_FACES + 4) // 5
    for page in pages:
        assert len(page) <= 5
    faces = [f for page in pages for f in page]
    ids = [f["FaceId"] for f in faces]
    assert len(ids) == len(set(ids)), "a face was listed twice"
    assert set(ids) == set(indexed_samples.face_ids())
    for face in faces:
        n = indexed_samples.sample_of(face["FaceId"])
        assert_face(face, external_image_id=f"sample{n}")
        record = next(r for r in indexed_samples.records[n] if r["Face"]["FaceId"] == face["FaceId"])
        assert face["ImageId"] == record["Face"]["ImageId"]
        assert iou(face["BoundingBox"], record["Face"]["BoundingBox"]) > 0.99


def test_list_faces_paginator_and_single_page(rekognition, indexed_samples):
    paginator = rekognition.get_paginator("list_faces")
    pages = list(paginator.paginate(CollectionId=indexed_samples.collection_id, PaginationConfig={"PageSize": 7}))
    ids = [f["FaceId"] for page in pages for f in page["Faces"]]
    assert sorted(ids) == sorted(indexed_samples.face_ids())
    assert all(isinstance(p["FaceModelVersion"], str) for p in pages)
    # without MaxResults the whole (small) collection comes in one page
    one = rekognition.list_faces(CollectionId=indexed_samples.collection_id)
    assert sorted(f["FaceId"] for f in one["Faces"]) == sorted(indexed_samples.face_ids())
    assert "NextToken" not in one


def test_list_faces_bad_token(rekognition, indexed_samples):
    with pytest.raises(rekognition.exceptions.InvalidPaginationTokenException):
        rekognition.list_faces(CollectionId=indexed_samples.collection_id, NextToken="bogus-token", MaxResults=5)


def test_list_faces_empty_collection(rekognition, collection):
    response = rekognition.list_faces(CollectionId=collection)
    assert response["Faces"] == []
    assert "NextToken" not in response


# ----------------------------------------------------------------------------------------------
# DeleteFaces

def test_delete_faces(rekognition, collection):
    indexed = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(4)},
                                      ExternalImageId="sample4", QualityFilter="NONE")
    ids = [r["Face"]["FaceId"] for r in indexed["FaceRecords"]]
    assert len(ids) == 4
    unknown = "00000000-0000-4000-8000-000000000000"
    response = rekognition.delete_faces(CollectionId=collection, FaceIds=ids[:2] + [unknown])
    assert sorted(response["DeletedFaces"]) == sorted(ids[:2])
    # Debian botocore's model predates UnsuccessfulFaceDeletions (botocore drops it): read the wire
    failures = last_json(rekognition).get("UnsuccessfulFaceDeletions", [])
    assert [f["FaceId"] for f in failures] == [unknown]
    assert failures[0]["Reasons"] == ["FACE_NOT_FOUND"]

    remaining = [f["FaceId"] for f in rekognition.list_faces(CollectionId=collection)["Faces"]]
    assert sorted(remaining) == sorted(ids[2:])
    assert rekognition.describe_collection(CollectionId=collection)["FaceCount"] == 2

    # deleted faces are no longer found by a search
    search = rekognition.search_faces_by_image(CollectionId=collection, Image={"Bytes": sample_bytes(4)},
                                               FaceMatchThreshold=0, MaxFaces=10)
    assert {m["Face"]["FaceId"] for m in search["FaceMatches"]} <= set(ids[2:])
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.search_faces(CollectionId=collection, FaceId=ids[0])

    # deleting them again: nothing deleted, both reported
    again = rekognition.delete_faces(CollectionId=collection, FaceIds=ids[:2])
    assert again.get("DeletedFaces", []) == []
    again = last_json(rekognition)
    assert sorted(f["FaceId"] for f in again["UnsuccessfulFaceDeletions"]) == sorted(ids[:2])


# ----------------------------------------------------------------------------------------------
# SearchFacesByImage

def largest_face(indexed_samples, n) -> dict:
    return max(indexed_samples.records[n], key=lambda r: box_area(r["Face"]["BoundingBox"]))["Face"]


def same_person_as(indexed_samples, face_id) -> list:
    """The other faces of the session collection showing the same person (see SAME_PERSON)."""
    a, b = (largest_face(indexed_samples, n)["FaceId"] for n in SAME_PERSON)
    return {a: [b], b: [a]}.get(face_id, [])


def test_search_faces_by_image_finds_the_same_face(rekognition, indexed_samples):
    response = rekognition.search_faces_by_image(CollectionId=indexed_samples.collection_id,
                                                 Image={"Bytes": sample_bytes(1)})
    assert_bounding_box(response["SearchedFaceBoundingBox"])
    assert 50 <= response["SearchedFaceConfidence"] <= 100
    assert isinstance(response["FaceModelVersion"], str)
    matches = response["FaceMatches"]
    assert matches, "the face indexed from sample1 was not found"
    top = matches[0]
    assert top["Similarity"] > 95, top
    assert_face(top["Face"], external_image_id="sample1")
    # the searched face is the largest of the image, and the best match is that very face
    largest = largest_face(indexed_samples, 1)
    assert top["Face"]["FaceId"] == largest["FaceId"]
    assert iou(response["SearchedFaceBoundingBox"], largest["BoundingBox"]) > 0.8
    # other people (the other faces of sample1, the faces of the other samples) do not match at 80;
    # the same woman photographed in sample3 does
    found = [(m["Face"]["FaceId"], m["Face"]["ExternalImageId"], round(m["Similarity"], 1)) for m in matches]
    assert [f[0] for f in found[1:]] == same_person_as(indexed_samples, largest["FaceId"]), found
    assert all(80 <= m["Similarity"] <= 100 for m in matches)
    assert [m["Similarity"] for m in matches] == sorted((m["Similarity"] for m in matches), reverse=True)


@pytest.mark.parametrize("n", sorted(set(SAMPLE_FACE_COUNTS) - {1}))
def test_search_faces_by_image_other_samples(rekognition, indexed_samples, n):
    response = rekognition.search_faces_by_image(CollectionId=indexed_samples.collection_id,
                                                 Image={"Bytes": sample_bytes(n)})
    matches = response["FaceMatches"]
    largest = largest_face(indexed_samples, n)["FaceId"]
    found = [(m["Face"]["ExternalImageId"], round(m["Similarity"], 1)) for m in matches]
    assert [m["Face"]["FaceId"] for m in matches] == [largest] + same_person_as(indexed_samples, largest), found
    assert matches[0]["Similarity"] > 95


def test_search_faces_by_image_threshold_and_max_faces(rekognition, indexed_samples):
    response = rekognition.search_faces_by_image(CollectionId=indexed_samples.collection_id,
                                                 Image={"Bytes": sample_bytes(1)}, FaceMatchThreshold=0,
                                                 MaxFaces=4)
    similarities = [m["Similarity"] for m in response["FaceMatches"]]
    assert len(similarities) == 4
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 <= s <= 100 for s in similarities)
    # a high threshold keeps only the genuine match
    strict = rekognition.search_faces_by_image(CollectionId=indexed_samples.collection_id,
                                               Image={"Bytes": sample_bytes(1)}, FaceMatchThreshold=99,
                                               MaxFaces=4096)
    assert all(m["Similarity"] >= 99 for m in strict["FaceMatches"])
    assert [m["Face"]["ExternalImageId"] for m in strict["FaceMatches"]] in (["sample1"], [])


def test_search_faces_by_image_no_face(rekognition, indexed_samples, no_face_image):
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.search_faces_by_image(CollectionId=indexed_samples.collection_id,
                                          Image={"Bytes": no_face_image})


def test_search_faces_by_image_empty_collection(rekognition, collection):
    response = rekognition.search_faces_by_image(CollectionId=collection, Image={"Bytes": sample_bytes(1)})
    assert response["FaceMatches"] == []
    assert_bounding_box(response["SearchedFaceBoundingBox"])


# ----------------------------------------------------------------------------------------------
# SearchFaces

def test_search_faces_by_id(rekognition, indexed_samples):
    """Different people do not match at the default threshold (only the one woman seen in two
    samples does), and the searched face itself is never returned."""
    for face_id in indexed_samples.face_ids():
        response = rekognition.search_faces(CollectionId=indexed_samples.collection_id, FaceId=face_id)
        assert response["SearchedFaceId"] == face_id
        assert isinstance(response["FaceModelVersion"], str)
        found = [(m["Face"].get("ExternalImageId"), round(m["Similarity"], 1)) for m in response["FaceMatches"]]
        assert [m["Face"]["FaceId"] for m in response["FaceMatches"]] == same_person_as(indexed_samples, face_id), \
            f"{face_id} of sample{indexed_samples.sample_of(face_id)} matched {found}"


def test_search_faces_threshold_and_max_faces(rekognition, indexed_samples):
    face_id = indexed_samples.face_ids(1)[0]
    response = rekognition.search_faces(CollectionId=indexed_samples.collection_id, FaceId=face_id,
                                        FaceMatchThreshold=0, MaxFaces=5)
    matches = response["FaceMatches"]
    assert len(matches) == 5
    similarities = [m["Similarity"] for m in matches]
    assert similarities == sorted(similarities, reverse=True)
    for match in matches:
        assert match["Face"]["FaceId"] != face_id
        assert_face(match["Face"])
    everything = rekognition.search_faces(CollectionId=indexed_samples.collection_id, FaceId=face_id,
                                          FaceMatchThreshold=0, MaxFaces=4096)
    assert len(everything["FaceMatches"]) == TOTAL_SAMPLE_FACES - 1


def test_search_faces_finds_a_copy(rekognition, collection):
    """The same face indexed twice (two ExternalImageIds) matches itself at ~100."""
    first = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(3)},
                                    ExternalImageId="copy-a", QualityFilter="NONE")
    second = rekognition.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(3)},
                                     ExternalImageId="copy-b", QualityFilter="NONE")
    assert len(first["FaceRecords"]) == len(second["FaceRecords"]) == 3
    for record in first["FaceRecords"]:
        response = rekognition.search_faces(CollectionId=collection, FaceId=record["Face"]["FaceId"])
        matches = response["FaceMatches"]
        assert len(matches) == 1, matches
        assert matches[0]["Face"]["ExternalImageId"] == "copy-b"
        assert matches[0]["Similarity"] > 99
        copy = next(r for r in second["FaceRecords"] if r["Face"]["FaceId"] == matches[0]["Face"]["FaceId"])
        assert iou(copy["Face"]["BoundingBox"], record["Face"]["BoundingBox"]) > 0.95


def test_search_faces_unknown_face(rekognition, indexed_samples):
    # Rekognition: InvalidParameterException "faceId was not found in the collection"
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.search_faces(CollectionId=indexed_samples.collection_id,
                                 FaceId="00000000-0000-4000-8000-000000000000")


# ----------------------------------------------------------------------------------------------
# DetectFaces

@pytest.mark.parametrize("n", sorted(SAMPLE_FACE_COUNTS))
def test_detect_faces_counts(rekognition, n):
    response = rekognition.detect_faces(Image={"Bytes": sample_bytes(n)})
    details = response["FaceDetails"]
    assert len(details) == SAMPLE_FACE_COUNTS[n]
    for detail in details:
        assert_face_detail(detail)
    if n == 1:
        assert "Landmarks" in details[0] and len(details[0]["Landmarks"]) >= 5


def test_detect_faces_all_attributes(rekognition):
    default = rekognition.detect_faces(Image={"Bytes": sample_bytes(4)})
    everything = rekognition.detect_faces(Image={"Bytes": sample_bytes(4)}, Attributes=["ALL"])
    assert len(everything["FaceDetails"]) == len(default["FaceDetails"]) == 4
    for detail in everything["FaceDetails"]:
        assert_face_detail(detail)
        extra = set(detail) - set(DEFAULT_DETAIL_KEYS)
        assert extra, "Attributes ALL added nothing to DEFAULT"
        if "EyesOpen" in detail:
            assert isinstance(detail["EyesOpen"]["Value"], bool)
            assert 0 <= detail["EyesOpen"]["Confidence"] <= 100


def test_detect_faces_no_face(rekognition, no_face_image):
    assert rekognition.detect_faces(Image={"Bytes": no_face_image})["FaceDetails"] == []


# ----------------------------------------------------------------------------------------------
# CompareFaces

def test_compare_faces_same_image(rekognition):
    response = rekognition.compare_faces(SourceImage={"Bytes": sample_bytes(1)},
                                         TargetImage={"Bytes": sample_bytes(1)})
    source = response["SourceImageFace"]
    assert_bounding_box(source["BoundingBox"])
    assert 0 <= source["Confidence"] <= 100
    matches, unmatched = response["FaceMatches"], response["UnmatchedFaces"]
    assert len(matches) == 1, [m["Similarity"] for m in matches]
    assert len(unmatched) == 2
    match = matches[0]
    assert match["Similarity"] > 95
    assert_bounding_box(match["Face"]["BoundingBox"])
    assert 0 <= match["Face"]["Confidence"] <= 100
    # the source face is the largest one, and it is the one found in the target
    assert iou(match["Face"]["BoundingBox"], source["BoundingBox"]) > 0.8
    assert all(box_area(source["BoundingBox"]) >= box_area(u["BoundingBox"]) * 0.95 for u in unmatched)


def test_compare_faces_different_people(rekognition):
    response = rekognition.compare_faces(SourceImage={"Bytes": sample_bytes(1)},
                                         TargetImage={"Bytes": sample_bytes(2)})
    assert response["FaceMatches"] == []
    assert len(response["UnmatchedFaces"]) == 3
    everyone = rekognition.compare_faces(SourceImage={"Bytes": sample_bytes(1)},
                                         TargetImage={"Bytes": sample_bytes(2)}, SimilarityThreshold=0)
    assert len(everyone["FaceMatches"]) == 3
    assert everyone.get("UnmatchedFaces", []) == []
    similarities = [m["Similarity"] for m in everyone["FaceMatches"]]
    assert similarities == sorted(similarities, reverse=True)
    assert all(s < 80 for s in similarities)


def test_compare_faces_no_face_in_source(rekognition, no_face_image):
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.compare_faces(SourceImage={"Bytes": no_face_image}, TargetImage={"Bytes": sample_bytes(1)})


def test_compare_faces_no_face_in_target(rekognition, no_face_image):
    response = rekognition.compare_faces(SourceImage={"Bytes": sample_bytes(1)},
                                         TargetImage={"Bytes": no_face_image})
    assert response["FaceMatches"] == []
    assert response.get("UnmatchedFaces", []) == []
    assert_bounding_box(response["SourceImageFace"]["BoundingBox"])


# ----------------------------------------------------------------------------------------------
# shared photos (../shared/data/faces): genuine and impostor pairs of real people

def test_compare_faces_shared_genuine_and_impostor(rekognition):
    obama1, obama2 = shared_photo("obama/obama1.jpg"), shared_photo("obama/obama2.jpg")
    biden = shared_photo("biden/biden1.jpg")
    genuine = rekognition.compare_faces(SourceImage={"Bytes": obama1}, TargetImage={"Bytes": obama2})
    assert len(genuine["FaceMatches"]) == 1 and genuine["FaceMatches"][0]["Similarity"] >= 80
    impostor = rekognition.compare_faces(SourceImage={"Bytes": obama1}, TargetImage={"Bytes": biden})
    assert impostor["FaceMatches"] == []


def test_search_shared_photos(rekognition, collection):
    two = shared_photo("_multi/two_people.jpg")
    kit1, kit2 = shared_photo("kit_harington/kit1.jpg"), shared_photo("kit_harington/kit2.jpg")
    rose = shared_photo("rose_leslie/rose1.jpg")
    indexed = rekognition.index_faces(CollectionId=collection, Image={"Bytes": two}, ExternalImageId="two_people",
                                      QualityFilter="NONE")
    assert len(indexed["FaceRecords"]) == 2
    rekognition.index_faces(CollectionId=collection, Image={"Bytes": kit1}, ExternalImageId="kit1")
    rekognition.index_faces(CollectionId=collection, Image={"Bytes": rose}, ExternalImageId="rose1")
    found = rekognition.search_faces_by_image(CollectionId=collection, Image={"Bytes": kit2})
    assert [m["Face"]["ExternalImageId"] for m in found["FaceMatches"]] == ["kit1"]
    obama = rekognition.search_faces_by_image(CollectionId=collection,
                                              Image={"Bytes": shared_photo("obama/obama3.jpg")})
    assert [m["Face"]["ExternalImageId"] for m in obama["FaceMatches"]] == ["two_people"]


def test_concurrent_requests(server, rekognition, indexed_samples):
    """Several threads sharing one boto3 client, as applications do: every call succeeds."""
    from concurrent.futures import ThreadPoolExecutor

    def search(n):
        response = rekognition.search_faces_by_image(CollectionId=indexed_samples.collection_id,
                                                     Image={"Bytes": sample_bytes(n)})
        return n, response["FaceMatches"][0]["Face"]["ExternalImageId"]

    def listing(_):
        return len([f for p in page_all(rekognition.list_faces, "Faces", CollectionId=indexed_samples.collection_id,
                                        MaxResults=6) for f in p])

    with ThreadPoolExecutor(max_workers=4) as pool:
        searches = pool.map(search, [1, 2, 4, 5, 6, 2])
        listings = pool.map(listing, range(4))
        assert [external for n, external in searches] == [f"sample{n}" for n in [1, 2, 4, 5, 6, 2]]
        assert list(listings) == [TOTAL_SAMPLE_FACES] * 4
