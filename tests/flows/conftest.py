# SPDX-License-Identifier: MIT
"""Fixtures of the /v1 flow tests: a real `facegate serve` on loopback, API keys made with the CLI,
ID documents made by the generator (tools/id_document) from the sample photos setup fetches, and
selfies cut from those photos with ffmpeg. Needs no ../shared."""
import json
import os
import subprocess
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
from server_process import FACEGATE, PROJECT, SAMPLES, Server  # noqa: E402

MAKE_ID_DOCUMENT = os.environ.get("MAKE_ID_DOCUMENT_BIN", os.path.join(PROJECT, "build", "bin", "make_id_document"))


def api_key(data_dir, scope, *extra):
    out = subprocess.run([FACEGATE, "keys", "create", "--kind", "api", "--scope", scope, "--data", data_dir, *extra],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["apiKey"]


def largest_face_box(path):
    out = subprocess.run([FACEGATE, "detect", path], check=True, capture_output=True, text=True)
    faces = json.loads(out.stdout)["FaceDetails"]
    assert faces, f"no face in {path}"
    return faces[0]["BoundingBox"]


def selfie_from(photo, out_path, width=1280, height=720):
    """a 1280x720 'selfie': the photo's largest face, alone, framed as a phone's front camera would"""
    box = largest_face_box(photo)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", photo], check=True, capture_output=True, text=True).stdout.strip()
    w, h = (int(v) for v in probe.split(","))
    face_w, face_h = box["Width"] * w, box["Height"] * h
    cx, cy = (box["Left"] + box["Width"] / 2) * w, (box["Top"] + box["Height"] / 2) * h
    # tight enough that the neighbours of a group photo stay out, padded to the camera's frame
    crop_h = min(h, face_h * 2.2)
    crop_w = min(w, face_w * 1.7)
    x = min(max(0, cx - crop_w / 2), w - crop_w)
    y = min(max(0, cy - crop_h / 2), h - crop_h)
    # the crop over a blurred copy of the scene: black bars would read as a screen's edges to the liveness model
    crop = f"crop={int(crop_w)}:{int(crop_h)}:{int(x)}:{int(y)},scale=-2:{height}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", photo, "-filter_complex",
                    f"[0:v]split[a][b];[a]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                    f"boxblur=20[bg];[b]{crop}[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2", "-q:v", "3", out_path], check=True)
    return out_path


def make_document(photo, out_path, doc_type="td3", seed=1, surname="ERIKSSON", given="ANNA MARIA", expiry="341231",
                  extra=()):
    out = subprocess.run([MAKE_ID_DOCUMENT, "--photo", photo, "--type", doc_type, "--seed", str(seed),
                          "--surname", surname, "--given-names", given, "--expiry", expiry, "--out", out_path,
                          *extra],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("flows")


@pytest.fixture(scope="session")
def images(workdir):
    """documents of person A (the woman of sample1/sample3) and person B (sample2), selfies of both"""
    d = str(workdir)
    s = lambda n: os.path.join(SAMPLES, f"sample{n}.jpg")  # noqa: E731
    return {
        "doc_a": make_document(s(1), os.path.join(d, "doc-a.jpg"), "td3", seed=3)["file"],
        "doc_a_card": make_document(s(1), os.path.join(d, "doc-a-card.jpg"), "td1", seed=4)["file"],
        "doc_a_card_back": make_document(s(1), os.path.join(d, "doc-a-card-back.jpg"), "td1", seed=8,
                                         extra=("--side", "back"))["file"],
        "doc_a_expired": make_document(s(1), os.path.join(d, "doc-a-expired.jpg"), "td3", seed=5, expiry="200101")["file"],
        "doc_b": make_document(s(2), os.path.join(d, "doc-b.jpg"), "td1", seed=6, surname="NILSSON", given="ERIK")["file"],
        "selfie_a": selfie_from(s(3), os.path.join(d, "selfie-a.jpg")),
        "selfie_b": selfie_from(s(2), os.path.join(d, "selfie-b.jpg")),
        "selfie_c": selfie_from(s(5), os.path.join(d, "selfie-c.jpg")),
    }


class FlowClient:
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
        data = {"collectionId": collection, "externalId": external_id, **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}}
        return self.session.post(f"{self.endpoint}/v1/verify", data=data, files=files, timeout=120)

    def get(self, path, **params):
        return self.session.get(f"{self.endpoint}{path}", params=params, timeout=60)

    def delete(self, path):
        return self.session.delete(f"{self.endpoint}{path}", timeout=60)


@pytest.fixture(scope="session")
def server(workdir):
    data = os.path.join(str(workdir), "data")
    os.makedirs(data)
    srv = Server(data, extra_args=("--verify-limit-per-id", "1000", "--verify-limit-per-client", "1000",
                                   "--register-limit-per-id", "1000", "--register-limit-per-client", "1000"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def keys(server):
    # "flows": an integrator's key allowed to set its own thresholds (most tests turn liveness off for
    # selfies cut from photos); "plain": a flows key as created by default, which may not
    return {"admin": api_key(server.data_dir, "admin"),
            "flows": api_key(server.data_dir, "flows", "--allow-policy-overrides"),
            "plain": api_key(server.data_dir, "flows")}


@pytest.fixture(scope="session")
def flows(server, keys):
    return FlowClient(server.endpoint, keys["flows"])


@pytest.fixture(scope="session")
def admin(server, keys):
    return FlowClient(server.endpoint, keys["admin"])
