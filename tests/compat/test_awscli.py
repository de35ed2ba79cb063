# SPDX-License-Identifier: MIT
"""The Debian AWS CLI (/usr/bin/aws) against facegate: only --endpoint-url differs from AWS.

The CLI is slow to start (about a second a call), so this file makes a handful of calls."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import AWS_MODELS_DIR, NO_SHARED_MODEL, REGION, has_shared_model, sample_path, unique_id

AWS_CLI = Path(os.environ.get("FACEGATE_AWS_CLI", "/usr/bin/aws"))

pytestmark = pytest.mark.skipif(not AWS_CLI.is_file(),
                                reason=f"{AWS_CLI} is absent: install Debian's awscli (apt-get install awscli)")


@pytest.fixture(scope="module")
def aws(server, tmp_path_factory):
    home = tmp_path_factory.mktemp("aws-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "HOME": str(home),  # no ~/.aws of the user
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    })

    def run(*args, data_path=None, check=True):
        call_env = dict(env)
        if data_path:
            call_env["AWS_DATA_PATH"] = str(data_path)
        command = [str(AWS_CLI), "--endpoint-url", server.endpoint, "--output", "json", "--cli-read-timeout", "60",
                   "rekognition", *args]
        result = subprocess.run(command, env=call_env, capture_output=True, text=True, timeout=120)
        if check:
            assert result.returncode == 0, f"{' '.join(args)} failed ({result.returncode}): {result.stderr}"
            return json.loads(result.stdout) if result.stdout.strip() else {}
        return result

    return run


def test_collection_lifecycle_and_search(aws):
    collection_id = unique_id("cli")
    created = aws("create-collection", "--collection-id", collection_id)
    assert created["StatusCode"] == 200 and collection_id in created["CollectionArn"]
    try:
        assert collection_id in aws("list-collections")["CollectionIds"]
        described = aws("describe-collection", "--collection-id", collection_id)
        assert described["FaceCount"] == 0 and collection_id in described["CollectionARN"]

        indexed = aws("index-faces", "--collection-id", collection_id, "--image-bytes",
                      f"fileb://{sample_path(1)}", "--external-image-id", "cli-sample1", "--quality-filter", "NONE")
        face_ids = {r["Face"]["FaceId"] for r in indexed["FaceRecords"]}
        assert len(face_ids) == 3
        assert {r["Face"]["ExternalImageId"] for r in indexed["FaceRecords"]} == {"cli-sample1"}

        found = aws("search-faces-by-image", "--collection-id", collection_id, "--image-bytes",
                    f"fileb://{sample_path(1)}")
        assert found["FaceMatches"][0]["Similarity"] > 95
        assert found["FaceMatches"][0]["Face"]["ExternalImageId"] == "cli-sample1"
        assert found["FaceMatches"][0]["Face"]["FaceId"] in face_ids
        assert "SearchedFaceBoundingBox" in found

        # the CLI follows NextToken by itself: two faces a page, all three come back
        listed = aws("list-faces", "--collection-id", collection_id, "--page-size", "2")
        assert {f["FaceId"] for f in listed["Faces"]} == face_ids
        assert len(listed["Faces"]) == 3
    finally:
        deleted = aws("delete-collection", "--collection-id", collection_id, check=False)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout)["StatusCode"] == 200


def test_errors(aws):
    missing = aws("describe-collection", "--collection-id", unique_id("never-created"), check=False)
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr, missing.stderr
    assert "DescribeCollection" in missing.stderr

    bad = aws("create-collection", "--collection-id", "no spaces allowed", check=False)
    assert bad.returncode != 0
    assert "InvalidParameterException" in bad.stderr, bad.stderr


def test_detect_and_compare(aws):
    detected = aws("detect-faces", "--image-bytes", f"fileb://{sample_path(4)}")
    assert len(detected["FaceDetails"]) == 4
    compared = aws("compare-faces", "--source-image-bytes", f"fileb://{sample_path(2)}",
                   "--target-image-bytes", f"fileb://{sample_path(2)}")
    assert len(compared["FaceMatches"]) == 1 and compared["FaceMatches"][0]["Similarity"] > 95


def test_users_with_the_shared_model(aws):
    if not has_shared_model():
        pytest.skip(NO_SHARED_MODEL)
    collection_id = unique_id("cli-users")
    aws("create-collection", "--collection-id", collection_id)
    try:
        aws("create-user", "--collection-id", collection_id, "--user-id", "cli-user", data_path=AWS_MODELS_DIR)
        users = aws("list-users", "--collection-id", collection_id, data_path=AWS_MODELS_DIR)
        assert [u["UserId"] for u in users["Users"]] == ["cli-user"]
    finally:
        aws("delete-collection", "--collection-id", collection_id, check=False)
