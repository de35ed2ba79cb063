# SPDX-License-Identifier: MIT
"""Several `facegate serve` nodes on one PostgreSQL database, on loopback, for the cluster tests.

A `Cluster` is one database of the session's PostgreSQL (tests/support/postgres.py) plus the KEK file
every node shares; `cluster.start_node()` starts `facegate serve --store URI --data OWN_DIR --listen
127.0.0.1:0 --kek-file F --workers 1` and waits for its "listening" line and /healthz 200. Keys come
from the CLI (`facegate keys create --store URI --kek-file F`). Clients: boto3 (Debian's
python3-boto3) for the Rekognition API, a SigV4-signed raw call (botocore's signer) for the Users
operations Debian's botocore does not know, requests for /v1."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

CLUSTER_DIR = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.abspath(os.path.join(CLUSTER_DIR, "..", ".."))
sys.path.insert(0, os.path.join(PROJECT, "tests", "support"))
from postgres import PostgresServer, psql  # noqa: E402,F401

FACEGATE = os.environ.get("FACEGATE_BIN", os.path.join(PROJECT, "build", "bin", "facegate"))
MAKE_ID_DOCUMENT = os.environ.get("MAKE_ID_DOCUMENT_BIN", os.path.join(PROJECT, "build", "bin", "make_id_document"))
SAMPLES = os.path.join(PROJECT, "testdata", "samples")
REGION = "us-east-1"
LISTENING = re.compile(r"facegate: listening on (http://127\.0\.0\.1:(\d+))")
# the bound: a write on one node is seen by a search on another within 1 s
VISIBLE_WITHIN = 1.0


def sample_path(n):
    path = os.path.join(SAMPLES, f"sample{n}.jpg")
    if not os.path.isfile(path):
        raise AssertionError(f"{path} is missing: run scripts/setup.sh (it fetches the sample photos)")
    return path


def sample_bytes(n):
    with open(sample_path(n), "rb") as f:
        return f.read()


def clean_env():
    """the environment of our facegate processes: nothing inherited names a store, a KEK or a key"""
    env = dict(os.environ)
    for name in ("FACEGATE_STORE", "FACEGATE_KEK", "FACEGATE_KEK_FILE", "FACEGATE_KEK_COMMAND", "FACEGATE_DATA_DIR",
                 "FACEGATE_ACCESS_KEY_ID", "FACEGATE_SECRET_ACCESS_KEY", "FACEGATE_LISTEN", "FACEGATE_WORKERS",
                 "FACEGATE_METRICS_KEY"):
        env.pop(name, None)
    return env


def http_get(url, timeout=5.0):
    """(status, body text); status 0 when nothing answered"""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


class Miss:
    """a falsy check result that carries what was seen, for poll's message"""

    def __init__(self, detail):
        self.detail = detail

    def __bool__(self):
        return False

    def __repr__(self):
        return f"{self.detail!r:.800}"


def poll(check, within, interval=0.05, what="condition", since=None):
    """calls check() until it returns a truthy value (returned), for `within` seconds from `since`
    (a time.monotonic(); default now). A check that starts before the deadline counts; at least one
    is made. Raises AssertionError with the last value."""
    deadline = (since if since is not None else time.monotonic()) + within
    while True:
        started = time.monotonic()
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            late = f" (the last check started {started - deadline + within:.2f} s after the write)"
            raise AssertionError(f"{what}: not true within {within} s{late} (last: {value!r})")
        time.sleep(interval)


class Node:
    """one `facegate serve` process of a cluster"""

    def __init__(self, cluster, name, extra_args=()):
        self.cluster = cluster
        self.name = name
        self.data_dir = os.path.join(cluster.workdir, f"node-{name}")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(cluster.workdir, f"node-{name}-{time.time_ns()}.log")
        self.extra_args = list(extra_args)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [FACEGATE, "serve", "--store", cluster.uri, "--data", self.data_dir, "--listen", "127.0.0.1:0",
             "--kek-file", cluster.kek_file, "--workers", "1", *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=clean_env())
        self.endpoint = self._wait_until_listening()
        self._clients = []

    def log_text(self, lines=40):
        self.log.flush()
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_until_listening(self, timeout=120):
        deadline = time.monotonic() + timeout
        endpoint = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited with {self.proc.returncode} before listening:\n"
                                     f"{self.log_text()}")
            with open(self.log_path, "rb") as f:
                m = LISTENING.search(f.read().decode("utf-8", "replace"))
            if m:
                endpoint = m.group(1)
                break
            time.sleep(0.05)
        if endpoint is None:
            raise AssertionError(f"node {self.name} did not listen within {timeout} s:\n{self.log_text()}")
        while time.monotonic() < deadline:
            if http_get(endpoint + "/healthz")[0] == 200:
                return endpoint
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited with {self.proc.returncode}:\n{self.log_text()}")
            time.sleep(0.05)
        raise AssertionError(f"node {self.name}: /healthz never answered 200:\n{self.log_text()}")

    # ------------------------------------------------------------------------------------------
    def alive(self):
        return self.proc.poll() is None

    def healthz(self, timeout=5.0):
        return http_get(self.endpoint + "/healthz", timeout)

    def client(self, key, read_timeout=60):
        """boto3 Rekognition client (Debian's botocore model), no retries"""
        c = boto3.session.Session().client(
            "rekognition", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=key["accessKeyId"], aws_secret_access_key=key["secretAccessKey"],
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10,
                          read_timeout=read_timeout))
        self._clients.append(c)
        return c

    def call(self, key, operation, body, timeout=60):
        """a SigV4-signed Rekognition call with any X-Amz-Target (the Users operations are missing from
        Debian's botocore): (HTTP status, parsed JSON body)"""
        return signed_call(self.endpoint, key, operation, body, timeout)

    def flows(self, api_key):
        return FlowClient(self.endpoint, api_key)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close()

    def stop(self):
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close()

    def _close(self):
        if not self.log.closed:
            self.log.close()


_SESSION = requests.Session()


def signed_call(endpoint, key, operation, body, timeout=60):
    """body: a JSON-able object, or bytes sent as they are (signed all the same)"""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"RekognitionService.{operation}"}
    request = AWSRequest(method="POST", url=endpoint + "/", data=data, headers=headers)
    SigV4Auth(Credentials(key["accessKeyId"], key["secretAccessKey"]), "rekognition", REGION).add_auth(request)
    r = _SESSION.post(endpoint + "/", data=data, headers=dict(request.headers.items()), timeout=timeout)
    try:
        parsed = r.json()
    except ValueError:
        parsed = {"__raw": r.text}
    return r.status_code, parsed


class FlowClient:
    """the /v1 flow API with a Bearer key (as tests/flows)"""

    def __init__(self, endpoint, key=None):
        self.endpoint = endpoint
        self.session = requests.Session()
        if key:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def register(self, collection, external_id, document_path, **fields):
        with open(document_path, "rb") as f:
            files = {"document": ("document.jpg", f.read(), "image/jpeg")}
        data = {"collectionId": collection, "externalId": external_id, **{k: str(v) for k, v in fields.items()}}
        return self.session.post(f"{self.endpoint}/v1/register", data=data, files=files, timeout=120)

    def verify(self, collection, external_id, selfie_path, **fields):
        with open(selfie_path, "rb") as f:
            files = {"selfie": ("selfie.jpg", f.read(), "image/jpeg")}
        data = {"collectionId": collection, "externalId": external_id,
                **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}}
        return self.session.post(f"{self.endpoint}/v1/verify", data=data, files=files, timeout=120)

    def get(self, path, **params):
        return self.session.get(f"{self.endpoint}{path}", params=params, timeout=60)

    def delete(self, path):
        return self.session.delete(f"{self.endpoint}{path}", timeout=60)


class Cluster:
    """one database of the PostgreSQL server, the KEK all its nodes share, and the nodes started on it"""

    def __init__(self, pg: PostgresServer, workdir, kek_file, dbname=None):
        self.pg = pg
        self.workdir = str(workdir)
        self.kek_file = kek_file
        self.dbname = dbname or f"fg_cluster_{uuid.uuid4().hex[:10]}"
        self.uri = pg.create_database(self.dbname)
        self.nodes = []

    def start_node(self, name=None, extra_args=()):
        node = Node(self, name or f"n{len(self.nodes)}", extra_args)
        self.nodes.append(node)
        return node

    def cli(self, *args, check=True, timeout=120):
        """facegate ARGS --store URI --kek-file F; parsed JSON stdout"""
        done = subprocess.run([FACEGATE, *args, "--store", self.uri, "--kek-file", self.kek_file],
                              capture_output=True, text=True, timeout=timeout, env=clean_env(),
                              stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise AssertionError(f"facegate {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else done

    def access_key(self):
        """a new access key (CLI); returns once every running node accepts it (within 1 s, or fails)"""
        key = self.cli("keys", "create")
        assert key["accessKeyId"] and key["secretAccessKey"], key
        created = time.monotonic()
        for node in self.running_nodes():
            poll(lambda: node.call(key, "ListCollections", {})[0] == 200, VISIBLE_WITHIN, since=created,
                 what=f"the new access key accepted by node {node.name}")
        return key

    def api_key(self, scope, *extra):
        """a new /v1 API key (CLI); returns once every running node knows it (within 1 s, or fails):
        GET /v1/collections answers 200 (admin) or 403 (flows), not 401"""
        key = self.cli("keys", "create", "--kind", "api", "--scope", scope, *extra)["apiKey"]
        created = time.monotonic()
        for node in self.running_nodes():
            poll(lambda: FlowClient(node.endpoint, key).get("/v1/collections").status_code in (200, 403),
                 VISIBLE_WITHIN, since=created, what=f"the new API key accepted by node {node.name}")
        return key

    def running_nodes(self):
        return [n for n in self.nodes if n.alive()]

    def sql(self, query):
        return self.pg.psql(self.dbname, query)

    def table_counts(self, exclude=()):
        """{table: row count} of every table of the database's public schema"""
        tables = [t for t in self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split()
                  if t not in exclude]
        if not tables:
            return {}
        query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
        return {line.split("|")[0]: int(line.split("|")[1]) for line in self.sql(query).splitlines() if line}

    def stop(self):
        for node in self.nodes:
            node.stop()


# ----------------------------------------------------------------------------------------------
# images: ID documents (tools/id_document) and selfies cut from the sample photos, as tests/flows

def largest_face_box(path):
    out = subprocess.run([FACEGATE, "detect", path], check=True, capture_output=True, text=True, env=clean_env())
    faces = json.loads(out.stdout)["FaceDetails"]
    assert faces, f"no face in {path}"
    return max(faces, key=lambda f: f["BoundingBox"]["Width"] * f["BoundingBox"]["Height"])["BoundingBox"]


def image_size(path):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout.strip()
    w, h = (int(v) for v in probe.split(","))
    return w, h


def selfie_from(photo, out_path, width=1280, height=720):
    """the photo's largest face alone, framed as a front camera would (tests/flows/conftest.py)"""
    box = largest_face_box(photo)
    w, h = image_size(photo)
    face_w, face_h = box["Width"] * w, box["Height"] * h
    cx, cy = (box["Left"] + box["Width"] / 2) * w, (box["Top"] + box["Height"] / 2) * h
    crop_h = min(h, face_h * 2.2)
    crop_w = min(w, face_w * 1.7)
    x = min(max(0, cx - crop_w / 2), w - crop_w)
    y = min(max(0, cy - crop_h / 2), h - crop_h)
    crop = f"crop={int(crop_w)}:{int(crop_h)}:{int(x)}:{int(y)},scale=-2:{height}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", photo, "-filter_complex",
                    f"[0:v]split[a][b];[a]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                    f"boxblur=20[bg];[b]{crop}[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2", "-q:v", "3", out_path], check=True)
    return out_path


def face_crop(photo, out_path, height=300):
    """a small image of the photo's largest face alone (cheap to index many times)"""
    box = largest_face_box(photo)
    w, h = image_size(photo)
    face_w, face_h = box["Width"] * w, box["Height"] * h
    cx, cy = (box["Left"] + box["Width"] / 2) * w, (box["Top"] + box["Height"] / 2) * h
    crop_h = min(h, face_h * 2.2)
    crop_w = min(w, face_w * 2.5)
    x = min(max(0, cx - crop_w / 2), w - crop_w)
    y = min(max(0, cy - crop_h / 2), h - crop_h)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", photo, "-vf",
                    f"crop={int(crop_w)}:{int(crop_h)}:{int(x)}:{int(y)},scale=-2:{height}", "-q:v", "3", out_path],
                   check=True)
    faces = json.loads(subprocess.run([FACEGATE, "detect", out_path], check=True, capture_output=True, text=True,
                                      env=clean_env()).stdout)["FaceDetails"]
    assert len(faces) == 1, f"{out_path}: {len(faces)} faces detected, expected 1"
    return out_path


def make_document(photo, out_path, doc_type="td3", seed=1, surname="ERIKSSON", given="ANNA MARIA", expiry="341231"):
    out = subprocess.run([MAKE_ID_DOCUMENT, "--photo", photo, "--type", doc_type, "--seed", str(seed),
                          "--surname", surname, "--given-names", given, "--expiry", expiry, "--out", out_path],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["file"]


def unique(prefix="c"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def utc_ms():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()
