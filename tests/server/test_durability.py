# SPDX-License-Identifier: MIT
"""kill -9 during a stream of IndexFaces: every acknowledged face survives, nothing is half-written."""
import sqlite3
import tempfile
import threading
import time

import botocore

from server_process import Server, create_key, sample_bytes


def test_acknowledged_faces_survive_sigkill():
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data)
        client = server.client(key)
        client.create_collection(CollectionId="durable")
        acknowledged = []  # FaceIds the API confirmed
        stop = threading.Event()

        def index_forever():
            i = 0
            while not stop.is_set():
                try:
                    # a different ExternalImageId each time, so nothing is de-duplicated
                    r = client.index_faces(CollectionId="durable", Image={"Bytes": sample_bytes(1 + i % 6)},
                                           ExternalImageId=f"img-{i}", QualityFilter="NONE")
                    acknowledged.extend(f["Face"]["FaceId"] for f in r["FaceRecords"])
                except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                        botocore.exceptions.ReadTimeoutError, ConnectionError):
                    return  # the server is gone: this call was not acknowledged
                i += 1

        writers = [threading.Thread(target=index_forever) for _ in range(2)]
        for w in writers:
            w.start()
        deadline = time.time() + 120
        while len(acknowledged) < 25 and time.time() < deadline:
            time.sleep(0.05)
        server.kill()  # SIGKILL: no chance to flush or close anything
        stop.set()
        for w in writers:
            w.join()
        assert len(acknowledged) >= 25, "the server indexed too slowly to test"

        # the database is sound before the server even opens it again
        db = sqlite3.connect(f"{data}/facegate.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.close()

        server = Server(data)
        try:
            client = server.client(key)
            stored, token = [], None
            while True:
                kwargs = {"CollectionId": "durable", "MaxResults": 1000}
                if token:
                    kwargs["NextToken"] = token
                page = client.list_faces(**kwargs)
                stored.extend(f["FaceId"] for f in page["Faces"])
                token = page.get("NextToken")
                if not token:
                    break
            missing = set(acknowledged) - set(stored)
            assert not missing, f"{len(missing)} acknowledged faces lost"
            assert len(stored) == len(set(stored)), "duplicated faces"
            # an image's faces are written together or not at all: counts are multiples of that image's faces
            assert client.describe_collection(CollectionId="durable")["FaceCount"] == len(stored)
            # the index was rebuilt: the faces are searchable again
            r = client.search_faces_by_image(CollectionId="durable", Image={"Bytes": sample_bytes(1)})
            assert r["FaceMatches"] and r["FaceMatches"][0]["Similarity"] > 95
        finally:
            server.stop()
