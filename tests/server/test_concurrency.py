# SPDX-License-Identifier: MIT
"""many clients indexing and searching at once: counts add up exactly, nothing is lost or doubled."""
import tempfile
import threading

from server_process import Server, create_key, sample_bytes

FACES_PER_SAMPLE = {1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4}


def test_concurrent_index_and_search_counts_add_up():
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data, extra_args=("--http-threads", "12"))
        try:
            setup = server.client(key)
            setup.create_collection(CollectionId="busy")
            errors, indexed, searches = [], [], []
            lock = threading.Lock()

            def worker(n):
                client = server.client(key)
                try:
                    for round_ in range(3):
                        sample = 1 + (n + round_) % 6
                        r = client.index_faces(CollectionId="busy", Image={"Bytes": sample_bytes(sample)},
                                               ExternalImageId=f"w{n}-r{round_}", QualityFilter="NONE")
                        with lock:
                            indexed.extend(f["Face"]["FaceId"] for f in r["FaceRecords"])
                        s = client.search_faces_by_image(CollectionId="busy", Image={"Bytes": sample_bytes(sample)},
                                                         MaxFaces=5)
                        with lock:
                            searches.append(s["FaceMatches"][0]["Similarity"] if s["FaceMatches"] else 0)
                except Exception as e:  # collected and reported below
                    with lock:
                        errors.append(repr(e))

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors
            expected = sum(FACES_PER_SAMPLE[1 + (n + r) % 6] for n in range(6) for r in range(3))
            assert len(indexed) == expected
            assert len(set(indexed)) == expected
            assert setup.describe_collection(CollectionId="busy")["FaceCount"] == expected
            listed = setup.list_faces(CollectionId="busy", MaxResults=4096)["Faces"]
            assert sorted(f["FaceId"] for f in listed) == sorted(indexed)
            # every search ran after its own worker indexed that photo: it finds the face
            assert len(searches) == 18 and min(searches) > 95
        finally:
            server.stop()
