# SPDX-License-Identifier: MIT
"""Fixtures of the Rekognition compatibility suite.

The suite starts one `facegate serve` for the whole session, on a temporary data directory and a
free port, and drives it with the AWS clients of Debian (python3-boto3 / botocore, awscli).

Every successful or failed call made through the `rekognition` / `users_client` / `raw_client`
fixtures is checked against the Rekognition service model as it arrives (see `ModelChecker`):
the raw JSON body must only use members the model declares, with the model's types, enums and
patterns, and errors must carry a `__type`. A violation fails the call that caused it.
"""
from __future__ import annotations

import base64
import datetime
import json
import os
import re
import signal
import struct
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

import boto3
import botocore
import botocore.session
import pytest
from botocore.config import Config
from botocore.model import ServiceModel

# ----------------------------------------------------------------------------------------------
# locations

COMPAT_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = COMPAT_DIR.parents[1]
# ../shared beside the project; FACEGATE_COMPAT_SHARED_DIR points elsewhere (a missing path shows
# what a machine without it runs and skips)
SHARED_DIR = Path(os.environ.get("FACEGATE_COMPAT_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
AWS_MODELS_DIR = SHARED_DIR / "reference" / "aws-models"
SERVICE_MODEL_FILE = AWS_MODELS_DIR / "rekognition" / "2016-06-27" / "service-2.json"
SHARED_FACES_DIR = SHARED_DIR / "data" / "faces"
SAMPLES_DIR = PROJECT_ROOT / "testdata" / "samples"
FACEGATE_BIN = Path(os.environ.get("FACEGATE_BIN", PROJECT_ROOT / "build" / "bin" / "facegate"))

# faces in testdata/samples/sampleN.jpg (group photos of different people)
SAMPLE_FACE_COUNTS = {1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4}
# ...with one exception, checked by eye: the largest face of sample1 (the woman on the right) and the
# largest face of sample3 (the woman in the middle) are the same woman, photographed twice (about 96.6
# similar). Every other pair of faces is two different people (the next highest is about 64).
SAME_PERSON = (1, 3)  # the largest faces of these two samples

REGION = "us-east-1"
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # Image.Bytes max in the model: 5,242,880

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

NO_SHARED_MODEL = (
    f"{SERVICE_MODEL_FILE} is absent: Debian's botocore predates the Users operations "
    "(CreateUser, AssociateFaces, SearchUsers...), so these tests need the newer service model "
    "from ../shared/reference/aws-models beside the project"
)
NO_SHARED_PHOTOS = f"{SHARED_FACES_DIR} is absent: the shared photos live beside the project in ../shared/data"


def has_shared_model() -> bool:
    return SERVICE_MODEL_FILE.is_file()


def has_shared_photos() -> bool:
    return SHARED_FACES_DIR.is_dir()


# ----------------------------------------------------------------------------------------------
# images

def sample_path(n: int) -> Path:
    return SAMPLES_DIR / f"sample{n}.jpg"


def sample_bytes(n: int) -> bytes:
    path = sample_path(n)
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/setup.sh (it fetches the sample photos)")
    return path.read_bytes()


def shared_photo(relative: str) -> bytes:
    """A photo of ../shared/data/faces (skips the calling test when the folder is absent)."""
    if not has_shared_photos():
        pytest.skip(NO_SHARED_PHOTOS)
    path = SHARED_FACES_DIR / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent from the shared photos")
    return path.read_bytes()


def png_bytes(width: int, height: int, pixel) -> bytes:
    """An RGB PNG written with zlib and struct only; pixel(x, y) -> (r, g, b)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
            + chunk(b"IEND", b""))


def no_face_png() -> bytes:
    """A 200x200 smooth colour gradient with a little deterministic noise: a valid image without a face."""
    def pixel(x, y):
        n = (x * 7919 + y * 104729) % 23
        return ((x + n) % 256, (y + n) % 256, (x + y) // 2 % 256)
    return png_bytes(200, 200, pixel)


@pytest.fixture(scope="session")
def no_face_image() -> bytes:
    return no_face_png()


# ----------------------------------------------------------------------------------------------
# the model checker

class ModelViolation(AssertionError):
    pass


def _check_liveness(value, where, problems):
    if not isinstance(value, dict) or set(value) - {"Score", "Live"}:
        problems.append(f"{where}: expected {{Score, Live}}, got {value!r:.120}")
        return
    score, live = value.get("Score"), value.get("Live")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100:
        problems.append(f"{where}.Score: expected a number in 0..100, got {score!r}")
    if not isinstance(live, bool):
        problems.append(f"{where}.Live: expected a boolean, got {live!r}")


# Members facegate adds on purpose (documented in README.md and docs/server.md). AWS SDKs ignore
# members their model does not declare, so they do not break clients; they are checked here
# for their own shape. Anything else undeclared is a violation.
EXTENSIONS = {
    ("FaceDetail", "Liveness"): _check_liveness,
}


class ModelChecker:
    """Checks raw JSON responses against the Rekognition service model.

    Uses ../shared's current model when present (it declares the Users operations and newer
    members such as Face.UserId); otherwise Debian botocore's older model, and then members the
    old model does not declare are tolerated (they may be newer ones)."""

    def __init__(self, model: ServiceModel, strict_members: bool):
        self.model = model
        self.strict_members = strict_members

    @classmethod
    def load(cls, fallback: ServiceModel) -> "ModelChecker":
        if has_shared_model():
            return cls(ServiceModel(json.loads(SERVICE_MODEL_FILE.read_text()), "rekognition"), True)
        return cls(fallback, False)

    def check_output(self, operation: str, body) -> list[str]:
        if operation not in self.model.operation_names:
            return [] if not self.strict_members else [f"{operation} is not an operation of the model"]
        shape = self.model.operation_model(operation).output_shape
        problems: list[str] = []
        if shape is None:
            if body not in ({}, None):
                problems.append(f"{operation}: the model declares no output, got {body!r:.200}")
            return problems
        self._check(shape, body, operation, problems)
        return problems

    def _check(self, shape, value, where: str, problems: list[str]) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not isinstance(value, dict):
                problems.append(f"{where}: expected an object ({shape.name}), got {type(value).__name__}")
                return
            for name, member_value in value.items():
                member = shape.members.get(name)
                if member is None and (shape.name, name) in EXTENSIONS:
                    EXTENSIONS[(shape.name, name)](member_value, f"{where}.{name}", problems)
                    continue
                if member is None:
                    if self.strict_members:
                        problems.append(f"{where}.{name}: not a member of {shape.name} in the model")
                    continue
                if member_value is None:
                    problems.append(f"{where}.{name}: null (absent members must be omitted)")
                    continue
                self._check(member, member_value, f"{where}.{name}", problems)
            for name in shape.required_members:
                if name not in value:
                    problems.append(f"{where}: required member {name} of {shape.name} is missing")
        elif kind == "list":
            if not isinstance(value, list):
                problems.append(f"{where}: expected a list ({shape.name}), got {type(value).__name__}")
                return
            if "max" in meta and len(value) > meta["max"]:
                problems.append(f"{where}: {len(value)} items, the model allows at most {meta['max']}")
            for i, item in enumerate(value):
                self._check(shape.member, item, f"{where}[{i}]", problems)
        elif kind == "map":
            if not isinstance(value, dict):
                problems.append(f"{where}: expected an object map ({shape.name})")
                return
            for k, v in value.items():
                self._check(shape.value, v, f"{where}[{k!r}]", problems)
        elif kind == "string":
            if not isinstance(value, str):
                problems.append(f"{where}: expected a string ({shape.name}), got {value!r:.80}")
                return
            if shape.enum and value not in shape.enum:
                problems.append(f"{where}: {value!r} is not one of {shape.name}'s values {shape.enum}")
            if "min" in meta and len(value) < meta["min"]:
                problems.append(f"{where}: {value!r} is shorter than {meta['min']}")
            if "max" in meta and len(value) > meta["max"]:
                problems.append(f"{where}: {value!r:.80} is longer than {meta['max']}")
            pattern = meta.get("pattern")
            if pattern:
                try:
                    ok = re.fullmatch(pattern, value) is not None
                except re.error:
                    ok = True
                if not ok:
                    problems.append(f"{where}: {value!r:.80} does not match {shape.name}'s pattern {pattern}")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{where}: expected an integer ({shape.name}), got {value!r:.80}")
                return
            self._range(shape, value, where, problems)
        elif kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{where}: expected a number ({shape.name}), got {value!r:.80}")
                return
            self._range(shape, value, where, problems)
        elif kind == "boolean":
            if not isinstance(value, bool):
                problems.append(f"{where}: expected a boolean ({shape.name}), got {value!r:.80}")
        elif kind == "timestamp":
            # awsJson 1.1 sends timestamps as epoch seconds (a JSON number)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{where}: expected epoch seconds (a number) for {shape.name}, got {value!r:.80}")
        elif kind == "blob":
            if not isinstance(value, str):
                problems.append(f"{where}: expected base64 text for {shape.name}")

    @staticmethod
    def _range(shape, value, where, problems):
        meta = shape.metadata
        if "min" in meta and value < meta["min"]:
            problems.append(f"{where}: {value} is below the model's minimum {meta['min']}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{where}: {value} is above the model's maximum {meta['max']}")


def check_error_body(status: int, raw: bytes) -> list[str]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [f"HTTP {status} error body is not JSON: {raw[:200]!r}"]
    if not isinstance(body, dict):
        return [f"HTTP {status} error body is not a JSON object: {raw[:200]!r}"]
    problems = []
    if not isinstance(body.get("__type"), str) or not body["__type"]:
        problems.append(f"HTTP {status} error body has no __type: {body}")
    if not isinstance(body.get("message", body.get("Message")), str):
        problems.append(f"HTTP {status} error body has no message/Message: {body}")
    return problems


def attach_model_checks(client, checker: ModelChecker):
    """Validates each response of `client` on arrival; keeps the last raw body on client.last_raw."""

    def after_call(http_response, parsed, model, **kwargs):
        raw = http_response.content or b""
        client.last_raw = raw
        status = http_response.status_code
        problems: list[str] = []
        content_type = http_response.headers.get("content-type", "")
        if not content_type.startswith("application/x-amz-json-1.1"):
            problems.append(f"Content-Type is {content_type!r}, expected application/x-amz-json-1.1")
        if status >= 300:
            problems += check_error_body(status, raw)
        else:
            try:
                body = json.loads(raw.decode("utf-8")) if raw else {}
            except (UnicodeDecodeError, json.JSONDecodeError):
                problems.append(f"response body is not JSON: {raw[:200]!r}")
            else:
                problems += checker.check_output(model.name, body)
        if problems:
            raise ModelViolation(f"{model.name} response (HTTP {status}) breaks the Rekognition model:\n  "
                                 + "\n  ".join(problems[:20]))

    client.last_raw = None
    client.meta.events.register("after-call.rekognition", after_call)
    return client


# ----------------------------------------------------------------------------------------------
# the server

class Server:
    def __init__(self, endpoint: str, access_key: str, secret_key: str, process: subprocess.Popen, log: Path,
                 data_dir: Path):
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.process = process
        self.log = log
        self.data_dir = data_dir

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _server_env() -> dict:
    env = dict(os.environ)
    # the keys are the suite's own; an inherited extra key would be accepted by the server too
    env.pop("FACEGATE_ACCESS_KEY_ID", None)
    env.pop("FACEGATE_SECRET_ACCESS_KEY", None)
    return env


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return 0


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not FACEGATE_BIN.is_file():
        pytest.fail(f"{FACEGATE_BIN} does not exist: build the server first (scripts/setup.sh)", pytrace=False)
    env = _server_env()
    data_dir = tmp_path_factory.mktemp("facegate-data")
    created = subprocess.run([str(FACEGATE_BIN), "keys", "create", "--data", str(data_dir)], env=env,
                             capture_output=True, text=True, timeout=60)
    if created.returncode != 0:
        pytest.fail(f"`facegate keys create` failed ({created.returncode}): {created.stderr.strip()}", pytrace=False)
    try:
        key = json.loads(created.stdout)
        access_key, secret_key = key["accessKeyId"], key["secretAccessKey"]
    except (json.JSONDecodeError, KeyError, TypeError):
        pytest.fail(f"`facegate keys create` printed no key JSON: {created.stdout!r}", pytrace=False)

    log = data_dir.parent / "facegate-serve.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [str(FACEGATE_BIN), "serve", "--data", str(data_dir), "--listen", "127.0.0.1:0"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    listening = re.compile(r"facegate: listening on (http://127\.0\.0\.1:(\d+))")
    endpoint = None
    deadline = time.monotonic() + 120  # loads the models first
    try:
        while time.monotonic() < deadline:
            match = listening.search(log.read_text(errors="replace"))
            if match:
                endpoint = match.group(1)
                break
            if process.poll() is not None:
                break
            time.sleep(0.1)
        if endpoint is None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
            pytest.fail(f"facegate serve {state} before listening; its output:\n{tail}", pytrace=False)
        while time.monotonic() < deadline and _get(endpoint + "/healthz") != 200:
            if process.poll() is not None:
                pytest.fail(f"facegate serve exited with {process.returncode}", pytrace=False)
            time.sleep(0.1)
        if _get(endpoint + "/healthz") != 200:
            pytest.fail(f"GET {endpoint}/healthz never answered 200", pytrace=False)
        running = Server(endpoint, access_key, secret_key, process, log, data_dir)
        yield running
    finally:
        # idle keep-alive connections would hold the server's stop for its keep-alive timeout
        for client in SESSION_CLIENTS:
            try:
                client.close()
            except Exception:
                pass
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# ----------------------------------------------------------------------------------------------
# clients

def client_config(**overrides) -> Config:
    settings = dict(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
    settings.update(overrides)
    return Config(**settings)


def _isolated_botocore_session(data_path: Path | None = None) -> botocore.session.Session:
    # ignore the user's ~/.aws files and profiles: only what the suite passes counts
    session = botocore.session.Session()
    session.set_config_variable("config_file", os.devnull)
    session.set_config_variable("credentials_file", os.devnull)
    if data_path is not None:
        # the same as AWS_DATA_PATH=<data_path> in the environment
        session.set_config_variable("data_path", str(data_path))
    return session


SESSION_CLIENTS: list = []


def make_client(server: Server, *, access_key=None, secret_key=None, data_path=None, config=None, region=REGION):
    session = boto3.session.Session(botocore_session=_isolated_botocore_session(data_path))
    client = session.client(
        "rekognition", region_name=region, endpoint_url=server.endpoint,
        aws_access_key_id=access_key if access_key is not None else server.access_key,
        aws_secret_access_key=secret_key if secret_key is not None else server.secret_key,
        config=config or client_config())
    SESSION_CLIENTS.append(client)
    return client


@pytest.fixture(scope="session")
def model_checker(server) -> ModelChecker:
    plain = make_client(server)
    return ModelChecker.load(plain.meta.service_model)


@pytest.fixture(scope="session")
def rekognition(server, model_checker):
    """boto3 client with Debian botocore's own Rekognition model (no Users operations)."""
    return attach_model_checks(make_client(server), model_checker)


@pytest.fixture(scope="session")
def raw_client(server, model_checker):
    """Like `rekognition` but without botocore's client-side parameter validation, to reach the
    server's own validation with values botocore would refuse (empty strings, minimums)."""
    if has_shared_model():
        client = make_client(server, data_path=AWS_MODELS_DIR, config=client_config(parameter_validation=False))
    else:
        client = make_client(server, config=client_config(parameter_validation=False))
    return attach_model_checks(client, model_checker)


@pytest.fixture(scope="session")
def users_client(server, model_checker):
    """boto3 client built with AWS_DATA_PATH=../shared/reference/aws-models: knows the Users operations."""
    if not has_shared_model():
        pytest.skip(NO_SHARED_MODEL)
    client = make_client(server, data_path=AWS_MODELS_DIR)
    if not hasattr(client, "create_user"):
        pytest.fail(f"botocore did not load {SERVICE_MODEL_FILE} through its data path")
    return attach_model_checks(client, model_checker)


# ----------------------------------------------------------------------------------------------
# collections

def unique_id(prefix: str = "compat") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def collection(rekognition):
    """A new, empty collection for one test, deleted afterwards."""
    collection_id = unique_id()
    rekognition.create_collection(CollectionId=collection_id)
    yield collection_id
    try:
        rekognition.delete_collection(CollectionId=collection_id)
    except botocore.exceptions.ClientError:
        pass


class IndexedSamples:
    """The session collection holding every face of sample1..6 (ExternalImageId sampleN)."""

    def __init__(self, collection_id: str, records: dict[int, list[dict]], responses: dict[int, dict]):
        self.collection_id = collection_id
        self.records = records      # sample number -> FaceRecords
        self.responses = responses  # sample number -> IndexFaces response

    def face_ids(self, n: int | None = None) -> list[str]:
        samples = [n] if n is not None else sorted(self.records)
        return [r["Face"]["FaceId"] for s in samples for r in self.records[s]]

    def sample_of(self, face_id: str) -> int:
        for s, records in self.records.items():
            if any(r["Face"]["FaceId"] == face_id for r in records):
                return s
        raise KeyError(face_id)


@pytest.fixture(scope="session")
def indexed_samples(rekognition):
    """Read-only for the tests: index sample1..6 once (QualityFilter NONE: every detected face)."""
    collection_id = unique_id("compat-samples")
    rekognition.create_collection(CollectionId=collection_id)
    records, responses = {}, {}
    for n in SAMPLE_FACE_COUNTS:
        response = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": sample_bytes(n)},
                                           ExternalImageId=f"sample{n}", QualityFilter="NONE")
        responses[n] = response
        records[n] = response["FaceRecords"]
    yield IndexedSamples(collection_id, records, responses)
    try:
        rekognition.delete_collection(CollectionId=collection_id)
    except botocore.exceptions.ClientError:
        pass


# ----------------------------------------------------------------------------------------------
# helpers for the tests

def last_json(client) -> dict:
    """The raw JSON body of the client's last response (members the client's model lacks included)."""
    return json.loads(client.last_raw or b"{}")


def error_code(excinfo) -> str:
    return excinfo.value.response.get("Error", {}).get("Code", "")


def http_status(excinfo) -> int:
    return excinfo.value.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def box_area(box: dict) -> float:
    return box["Width"] * box["Height"]


def iou(a: dict, b: dict) -> float:
    ax2, ay2 = a["Left"] + a["Width"], a["Top"] + a["Height"]
    bx2, by2 = b["Left"] + b["Width"], b["Top"] + b["Height"]
    w = max(0.0, min(ax2, bx2) - max(a["Left"], b["Left"]))
    h = max(0.0, min(ay2, by2) - max(a["Top"], b["Top"]))
    inter = w * h
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def assert_bounding_box(box: dict) -> None:
    for key in ("Width", "Height", "Left", "Top"):
        assert isinstance(box.get(key), float), f"BoundingBox.{key} missing or not a float: {box}"
    assert 0 < box["Width"] <= 1.0 + 1e-6 and 0 < box["Height"] <= 1.0 + 1e-6, box
    # Rekognition's boxes may stick out of the image a little (negative Left/Top) but stay near it
    assert -0.5 < box["Left"] < 1.0 and -0.5 < box["Top"] < 1.0, box


def assert_face(face: dict, *, external_image_id: str | None = None) -> None:
    """A Face of IndexFaces/ListFaces/SearchFaces*."""
    assert UUID_RE.match(face["FaceId"]), face
    assert UUID_RE.match(face["ImageId"]), face
    assert_bounding_box(face["BoundingBox"])
    assert 0 <= face["Confidence"] <= 100, face
    if external_image_id is not None:
        assert face.get("ExternalImageId") == external_image_id, face


def page_all(call, key: str, token_key: str = "NextToken", max_pages: int = 200, **kwargs) -> list[list]:
    """Calls `call` page by page until NextToken is absent; returns the pages' `key` lists."""
    pages, token = [], None
    for _ in range(max_pages):
        params = dict(kwargs)
        if token:
            params[token_key] = token
        response = call(**params)
        pages.append(response.get(key, []))
        token = response.get(token_key)
        if not token:
            return pages
    raise AssertionError(f"pagination did not end after {max_pages} pages")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
