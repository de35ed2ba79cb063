#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes tests/auth/sigv4_fixtures.json: requests signed by botocore (Debian's python3-botocore),
an implementation independent of ours, for tests/auth/sigv4_test.cpp to verify.

Offline: boto3 clients are pointed at a local endpoint and their requests captured in the
before-send hook, which answers with a canned response, so nothing goes on the network.
The clock is fixed by patching botocore.auth's clock.
Run with Debian's interpreter (a pyenv/pip python3 on PATH may carry another botocore):
    /usr/bin/python3 tests/auth/make_sigv4_fixtures.py
"""
import base64
import contextlib
import datetime
import json
import os
import sys
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

# test credentials only, invented for these fixtures
AKID = "FGAKFIXTURE234567ABC"
SECRET = "fixtureSecret/0123456789+abcdefghijklmnopq"
NOW = datetime.datetime(2026, 11, 23, 10, 15, 30)


class FakeDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return NOW


@contextlib.contextmanager
def fixed_clock():
    # botocore <= 1.3x calls datetime.datetime.utcnow(); newer ones botocore.auth.get_current_datetime()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("botocore.auth.datetime.datetime", FakeDatetime))
        if hasattr(botocore.auth, "get_current_datetime"):
            stack.enter_context(mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: NOW))
        yield


def host_header(url):
    # what the HTTP client sends as Host: botocore signs the same netloc
    parts = urlsplit(url)
    return parts.netloc


def fixture(name, method, url, headers, body, region, expect="ok", service="rekognition", note=""):
    parts = urlsplit(url)
    header_list = [[k, v] for k, v in headers.items()]
    if not any(k.lower() == "host" for k, _ in header_list):
        header_list.insert(0, ["Host", host_header(url)])
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    return {
        "name": name,
        "note": note,
        "access_key_id": AKID,
        "secret_access_key": SECRET,
        "region": region,
        "service": service,
        "now": NOW.strftime("%Y%m%dT%H%M%SZ"),
        "method": method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": header_list,
        "body_base64": base64.b64encode(body).decode("ascii"),
        "expect": expect,
    }


def captured_client_call(name, region, endpoint, operation, params, session_token=None, expect="ok"):
    """A real boto3/botocore client call, captured before it is sent."""
    session = botocore.session.get_session()
    client = session.create_client(
        "rekognition", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=AKID, aws_secret_access_key=SECRET, aws_session_token=session_token)
    captured = {}

    def before_send(request, **kwargs):
        captured["request"] = request
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"},
                           mock.Mock(content=b"{}", stream=lambda: iter([b"{}"])))

    client.meta.events.register("before-send.rekognition.*", before_send)
    with fixed_clock():
        try:
            getattr(client, operation)(**params)
        except Exception:
            pass  # the canned answer need not parse; the request is what we want
    request = captured["request"]
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    return fixture(name, request.method, request.url, headers, request.body, region, expect,
                   note=f"botocore {botocore.__version__} client.{operation}")


def signed_with_sigv4auth(name, method, url, headers, body, region, expect="ok", service="rekognition"):
    """botocore's SigV4Auth on a hand-made request, for edge cases a client does not produce."""
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    with fixed_clock():
        SigV4Auth(Credentials(AKID, SECRET), service, region).add_auth(request)
    out = {k: v for k, v in request.headers.items()}
    return fixture(name, method, url, out, body, region, expect, service,
                   note=f"botocore {botocore.__version__} SigV4Auth")


def main():
    image = base64.b64encode(bytes(range(256)) * 4).decode()
    fixtures = [
        captured_client_call("client_compare_faces", "us-east-1", "http://localhost:8080", "compare_faces",
                             {"SourceImage": {"Bytes": b"\xff\xd8\xff source"},
                              "TargetImage": {"Bytes": bytes(range(256)) * 4},
                              "SimilarityThreshold": 80.0}),
        captured_client_call("client_list_collections_eu", "eu-west-1", "https://facegate.example.com",
                             "list_collections", {"MaxResults": 10}),
        captured_client_call("client_search_faces_port", "ap-southeast-2", "http://127.0.0.1:9000",
                             "search_faces_by_image",
                             {"CollectionId": "staff-\u00e9quipe", "Image": {"Bytes": image.encode()},
                              "MaxFaces": 3}),
        captured_client_call("client_session_token", "us-east-1", "http://localhost:8080", "list_collections", {},
                             session_token="FQoGZXIvYXdzEXAMPLETOKEN", expect="UNRECOGNIZED_CLIENT"),
        signed_with_sigv4auth("path_and_query", "GET", "http://localhost:8080/a%20b/./c//d/../e?b=2&a=x%2Fy&a=1&c=%20",
                              {"X-Amz-Target": "RekognitionService.ListCollections"}, b"", "us-east-1"),
        signed_with_sigv4auth("header_whitespace", "POST", "http://localhost:8080/",
                              {"Content-Type": "application/x-amz-json-1.1",
                               "X-Facegate-Note": "  several   spaces\tand tab  ",
                               "X-Amz-Target": "RekognitionService.ListCollections"},
                              b"{}", "us-west-2"),
        signed_with_sigv4auth("content_sha256_header", "POST", "http://localhost:8080/",
                              {"Content-Type": "application/x-amz-json-1.1",
                               "X-Amz-Content-SHA256":
                                   "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                               "X-Amz-Target": "RekognitionService.ListCollections"},
                              b"{}", "us-east-1"),
        signed_with_sigv4auth("wrong_service", "POST", "http://localhost:8080/",
                              {"X-Amz-Target": "RekognitionService.ListCollections"},
                              b"{}", "us-east-1", expect="INVALID_SIGNATURE", service="s3"),
    ]
    out = {
        "generator": "tests/auth/make_sigv4_fixtures.py",
        "botocore_version": botocore.__version__,
        "fixtures": fixtures,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sigv4_fixtures.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(fixtures)} fixtures to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
