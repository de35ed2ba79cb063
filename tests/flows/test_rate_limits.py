# SPDX-License-Identifier: MIT
"""verify is rate limited per external ID and per client: 429 ThrottlingException with Retry-After"""
import os

import pytest

from conftest import FlowClient, api_key
from server_process import Server


@pytest.fixture(scope="module")
def limited(workdir):
    data = os.path.join(str(workdir), "limited")
    os.makedirs(data)
    srv = Server(data, extra_args=("--verify-limit-per-id", "3", "--verify-limit-per-client", "5",
                                   "--verify-limit-window", "60"))
    yield srv
    srv.stop()


def test_limits_per_external_id_then_per_client(limited, images):
    client = FlowClient(limited.endpoint, api_key(limited.data_dir, "flows"))
    assert client.register("c", "ana", images["doc_a"]).json()["indexed"]
    for _ in range(3):
        assert client.verify("c", "ana", images["selfie_a"]).status_code == 200
    r = client.verify("c", "ana", images["selfie_a"])
    assert r.status_code == 429 and r.json()["__type"] == "ThrottlingException", r.text
    assert int(r.headers["Retry-After"]) >= 1
    # another external ID still passes until the client's own limit (5 in the window, the refused
    # attempt on ana included: the client's limit is checked first)
    assert client.verify("c", "erik", images["selfie_a"]).status_code == 200
    r = client.verify("c", "olga", images["selfie_a"])
    assert r.status_code == 429 and "client" in r.json()["message"]
    # another client is not held back by this one
    other = FlowClient(limited.endpoint, api_key(limited.data_dir, "flows"))
    assert other.verify("c", "olga", images["selfie_a"]).status_code == 200
