# SPDX-License-Identifier: MIT
"""Face templates at rest, with the real server: the database file holds no plain embedding, the KEK is
required (and checked) at start, and `keys rotate-kek` / `keys rotate-data-key` run beside a server that
keeps answering SearchFacesByImage with unchanged similarities."""
import hashlib
import math
import os
import sqlite3
import stat
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from server_process import FACEGATE, Server, create_key, sample_bytes

EMBEDDING_FLOATS = 512


def file_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def unit_norm_windows(data):
    """offsets where 512 consecutive float32 (at any byte alignment) are all finite, within [-1, 1] and of
    norm 1 +- 2%: what a plain embedding looks like"""
    found = []
    for align in range(4):
        count = (len(data) - align) // 4
        if count < EMBEDDING_FLOATS:
            continue
        values = struct.unpack_from(f"<{count}f", data, align)
        squares, bad = [0.0], [0]
        for v in values:
            ok = math.isfinite(v) and -1.0 <= v <= 1.0
            squares.append(squares[-1] + (v * v if ok else 0.0))
            bad.append(bad[-1] + (0 if ok else 1))
        for i in range(count - EMBEDDING_FLOATS + 1):
            if bad[i + EMBEDDING_FLOATS] == bad[i] and abs(squares[i + EMBEDDING_FLOATS] - squares[i] - 1.0) < 0.02:
                found.append(align + 4 * i)
                break
    return found


def test_the_detector_finds_a_plain_embedding():
    v = [math.sin(i * 0.37 + 0.1) for i in range(EMBEDDING_FLOATS)]
    norm = math.sqrt(sum(x * x for x in v))
    plain = struct.pack(f"<{EMBEDDING_FLOATS}f", *(x / norm for x in v))
    assert unit_norm_windows(os.urandom(3001) + plain + os.urandom(999))
    assert not unit_norm_windows(os.urandom(8192) + bytes(8192))


def index_samples(client, collection, rounds):
    faces = 0
    for r in range(rounds):
        for n in range(1, 7):
            out = client.index_faces(CollectionId=collection, Image={"Bytes": sample_bytes(n)},
                                     ExternalImageId=f"s{n}-r{r}", QualityFilter="NONE")
            faces += len(out["FaceRecords"])
    return faces


def search(client, collection, sample):
    out = client.search_faces_by_image(CollectionId=collection, Image={"Bytes": sample_bytes(sample)},
                                       MaxFaces=4096, FaceMatchThreshold=0)
    return {m["Face"]["FaceId"]: m["Similarity"] for m in out["FaceMatches"]}


def facegate(*args, check=True):
    return subprocess.run([FACEGATE, *args], capture_output=True, text=True, check=check, timeout=600)


def refused_start(data, *extra):
    """starts `facegate serve`, which must exit at once: returns its output"""
    try:
        server = Server(data, extra_args=extra)
    except RuntimeError as e:
        return str(e)
    server.stop()
    raise AssertionError("the server started")


def test_the_database_holds_no_plain_embedding_and_needs_its_kek():
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data)
        try:
            log = server.log_bytes().decode()
            assert "created one in" in log and os.path.join(data, "kek") in log
            assert stat.S_IMODE(os.stat(os.path.join(data, "kek")).st_mode) == 0o600
            client = server.client(key)
            client.create_collection(CollectionId="members")
            faces = index_samples(client, "members", 1)
            assert faces >= 20
            before = search(client, "members", 1)
            assert max(before.values()) > 99
        finally:
            server.stop()

        db = os.path.join(data, "facegate.db")
        with sqlite3.connect(db) as c:
            blobs = [row[0] for row in c.execute("SELECT embedding FROM face_embeddings")]
            versions = {row[0] for row in c.execute("SELECT key_version FROM face_embeddings")}
        assert len(blobs) == faces and versions == {1}
        for blob in blobs:
            assert len(blob) == 2081 and blob[0] == 1
            assert not unit_norm_windows(blob)
        assert not unit_norm_windows(file_bytes(db) + file_bytes(db + "-wal"))

        # without its KEK, or with a wrong one, the server refuses to start and changes nothing
        digest = hashlib.sha256(file_bytes(db)).hexdigest()
        os.rename(os.path.join(data, "kek"), os.path.join(data, "kek.saved"))
        out = refused_start(data)
        assert "no key-encryption key (KEK) is configured" in out
        assert not os.path.exists(os.path.join(data, "kek")), "no new KEK is made for sealed data"
        wrong = os.path.join(data, "wrong.kek")
        with open(wrong, "w") as f:
            f.write(os.urandom(32).hex())
        assert "wrong key-encryption key" in refused_start(data, "--kek-file", wrong)
        assert hashlib.sha256(file_bytes(db)).hexdigest() == digest
        # the CLI commands too
        r = facegate("collection", "list", "--data", data, "--kek-file", wrong, check=False)
        assert r.returncode == 2 and "wrong key-encryption key" in r.stderr

        server = Server(data, extra_args=("--kek-file", os.path.join(data, "kek.saved")))
        try:
            assert search(server.client(key), "members", 1) == before
        finally:
            server.stop()


def test_key_rotations_beside_a_server_that_keeps_searching():
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data)
        try:
            client = server.client(key)
            client.create_collection(CollectionId="members")
            index_samples(client, "members", 2)
            baseline = {n: search(client, "members", n) for n in (1, 4)}
            stop = threading.Event()
            errors, searches = [], [0]

            def keep_searching():
                c = server.client(key)
                while not stop.is_set():
                    for n, expected in baseline.items():
                        try:
                            got = search(c, "members", n)
                            # faces indexed during the test may join the matches; the others are unchanged
                            changed = {f: (s, got.get(f)) for f, s in expected.items() if got.get(f) != s}
                            if changed:
                                errors.append(f"sample{n}: {changed}")
                            searches[0] += 1
                        except Exception as e:  # reported below
                            errors.append(repr(e))

            searcher = threading.Thread(target=keep_searching)
            searcher.start()
            try:
                time.sleep(1)
                # a new data key and every template re-sealed, in small batches, while the server searches
                # and indexes (the server must seal new faces with the new key at once)
                rotation = subprocess.Popen([FACEGATE, "keys", "rotate-data-key", "--data", data, "--batch", "4"],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                added = client.index_faces(CollectionId="members", Image={"Bytes": sample_bytes(2)},
                                           ExternalImageId="during-rotation", QualityFilter="NONE")
                out, err = rotation.communicate(timeout=600)
                assert rotation.returncode == 0, err
                assert '"dataKeyVersion": 2' in out and '"pending": 0' in out

                # a new KEK; the operator puts it where the server's KEK source reads (here DATA/kek)
                new_kek = os.path.join(data, "new.kek")
                with open(new_kek, "w") as f:
                    f.write(os.urandom(32).hex() + "\n")
                r = facegate("keys", "rotate-kek", "--data", data, "--new-kek-file", new_kek)
                assert '"kekId"' in r.stdout
                tmp = os.path.join(data, "kek.tmp")
                with open(tmp, "w") as f:
                    f.write(open(new_kek).read())
                os.chmod(tmp, 0o600)
                os.replace(tmp, os.path.join(data, "kek"))

                # another data key, under the new KEK; then a face indexed by the CLI, which the server
                # reads from the store (sealed with a key it never saw, wrapped by a KEK it had not loaded)
                r = facegate("keys", "rotate-data-key", "--data", data, "--batch", "4")
                assert '"dataKeyVersion": 3' in r.stdout and '"retiredDataKeys": [\n    2\n  ]' in r.stdout
                facegate("index", "--data", data, "--collection", "members", "--external-id", "from-cli",
                         os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "samples", "sample3.jpg"))
                time.sleep(0.5)
            finally:
                stop.set()
                searcher.join()
            assert not errors, errors[:5]
            assert searches[0] >= 4
            found = client.search_faces_by_image(CollectionId="members", Image={"Bytes": sample_bytes(3)},
                                                 MaxFaces=100, FaceMatchThreshold=99)
            assert "from-cli" in {m["Face"].get("ExternalImageId") for m in found["FaceMatches"]}
            assert added["FaceRecords"]
        finally:
            server.stop()

        db = os.path.join(data, "facegate.db")
        with sqlite3.connect(db) as c:
            assert {row[0] for row in c.execute("SELECT key_version FROM face_embeddings")} == {3}
            assert [row[0] for row in c.execute("SELECT version FROM template_keys")] == [3]

        # a restart loads every template, re-sealed twice, under the new KEK: the same answers
        server = Server(data)
        try:
            c = server.client(key)
            for n, expected in baseline.items():
                got = search(c, "members", n)
                assert {f: got.get(f) for f in expected} == expected
        finally:
            server.stop()


@pytest.mark.parametrize("erase", ["delete_faces", "delete_collection"])
def test_erasure_leaves_no_sealed_bytes_in_the_files(erase):
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data)
        try:
            client = server.client(key)
            client.create_collection(CollectionId="members")
            face_ids = [f["Face"]["FaceId"] for f in client.index_faces(
                CollectionId="members", Image={"Bytes": sample_bytes(1)}, QualityFilter="NONE")["FaceRecords"]]
            db = os.path.join(data, "facegate.db")
            with sqlite3.connect(db) as c:
                blobs = [row[0] for row in c.execute("SELECT embedding FROM face_embeddings")]
            pieces = [blob[1000:1032] for blob in blobs]
            assert all(p in file_bytes(db) + file_bytes(db + "-wal") for p in pieces)
            if erase == "delete_faces":
                client.delete_faces(CollectionId="members", FaceIds=face_ids)
            else:
                client.delete_collection(CollectionId="members")
            # the server still runs; the WAL was checkpointed and truncated after the erasure (the audit row
            # written after it may be there)
            files = file_bytes(db) + file_bytes(db + "-wal")
            assert not any(p in files for p in pieces)
        finally:
            server.stop()
