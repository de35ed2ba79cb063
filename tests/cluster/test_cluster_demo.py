# SPDX-License-Identifier: MIT
"""The demo pages' sessions on several nodes: a session made on one node is valid on every node (the
token is signed with a key the nodes share through the store), a forged or foreign token is refused,
and the creation limit per address is one budget across the nodes."""
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster  # noqa: E402

PER_MINUTE = 4


@pytest.fixture(scope="module")
def cluster(pg, workdir, kek_file):
    c = Cluster(pg, workdir, kek_file)
    limits = ["--demo-sessions-per-minute", str(PER_MINUTE)]
    c.start_node("a", limits)
    c.start_node("b", limits)
    yield c
    c.stop()


def demo_verify(session, endpoint, selfie):
    with open(selfie, "rb") as f:
        files = {"selfie": ("selfie.jpg", f.read(), "image/jpeg")}
    return session.post(f"{endpoint}/v1/verify", data={"collectionId": "demo", "externalId": "someone@example.com"},
                        files=files, timeout=120)


def test_a_session_made_on_one_node_works_on_the_others_and_forgeries_do_not(cluster, pg, workdir, kek_file, images):
    a, b = cluster.nodes
    session = requests.Session()
    made = session.post(f"{a.endpoint}/v1/demo/session", timeout=30)
    assert made.status_code == 200, made.text
    token = session.cookies.get("facegate_demo")
    assert token, made.headers

    on_b = demo_verify(session, b.endpoint, images["selfie_a"])
    assert on_b.status_code == 200, on_b.text  # an outcome, not 401
    assert set(on_b.json()) <= {"decision", "outcome", "advice"}, on_b.json()  # the public view only

    forged = requests.Session()
    last = "0" if token[-1] != "0" else "1"
    forged.cookies.set("facegate_demo", token[:-1] + last, path="/v1")
    r = demo_verify(forged, b.endpoint, images["selfie_a"])
    assert r.status_code == 401, r.text

    # a session of another deployment (another store, so another signing key) is not one of ours
    other = Cluster(pg, workdir, kek_file)
    try:
        stranger = other.start_node("stranger")
        foreign = requests.Session()
        assert foreign.post(f"{stranger.endpoint}/v1/demo/session", timeout=30).status_code == 200
        r = demo_verify(foreign, a.endpoint, images["selfie_a"])
        assert r.status_code == 401, r.text
    finally:
        other.stop()


def test_the_creation_limit_is_one_budget_across_nodes(cluster):
    a, b = cluster.nodes
    statuses = []
    for i in range(PER_MINUTE + 2):
        node = (a, b)[i % 2]
        statuses.append(requests.post(f"{node.endpoint}/v1/demo/session", timeout=30).status_code)
    # the first test made one from this address already: PER_MINUTE in all, across both nodes
    assert statuses.count(200) == PER_MINUTE - 1, statuses
    assert statuses[-1] == 429, statuses
