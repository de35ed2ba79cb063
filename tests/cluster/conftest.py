# SPDX-License-Identifier: MIT
"""Fixtures of the cluster suite: one throw-away PostgreSQL 15 for the session (tests/support/postgres.py;
when it cannot start every test fails with the reason), one KEK file shared by every node, the
documents and selfies of tests/flows, and per-module clusters of nodes (cluster.py)."""
import os
import secrets
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import (FACEGATE, MAKE_ID_DOCUMENT, PostgresServer, face_crop, make_document,  # noqa: E402
                     sample_path, selfie_from)


@pytest.fixture(scope="session")
def pg():
    for binary in (FACEGATE, MAKE_ID_DOCUMENT):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} does not exist: build it first (scripts/setup.sh)", pytrace=False)
    server = PostgresServer()
    try:
        server.start()  # PostgresError says why (initdb / pg_ctl output): the tests fail, never skip
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cluster")


@pytest.fixture(scope="session")
def kek_file(workdir):
    path = os.path.join(str(workdir), "kek")
    with open(path, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path


@pytest.fixture(scope="session")
def images(workdir):
    """person A: the woman of sample1 and sample3; person B: sample2's largest face"""
    d = str(workdir)
    return {
        "doc_a": make_document(sample_path(1), os.path.join(d, "doc-a.jpg"), "td3", seed=3),
        "doc_a_card": make_document(sample_path(1), os.path.join(d, "doc-a-card.jpg"), "td1", seed=4),
        "doc_b": make_document(sample_path(2), os.path.join(d, "doc-b.jpg"), "td1", seed=6, surname="NILSSON",
                               given="ERIK"),
        "selfie_a": selfie_from(sample_path(3), os.path.join(d, "selfie-a.jpg")),
        "selfie_b": selfie_from(sample_path(2), os.path.join(d, "selfie-b.jpg")),
        "face_b": face_crop(sample_path(2), os.path.join(d, "face-b.jpg")),
        "face_c": face_crop(sample_path(5), os.path.join(d, "face-c.jpg")),
    }
