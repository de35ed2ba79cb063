#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Cross-node visibility (issue 11): how soon a face indexed on node A is found by a search on node B.

Starts a throw-away PostgreSQL 15 (tests/support/postgres.py; or uses the server whose socket
directory is --pg-host), one database, and two `facegate serve --store URI --kek-file F --data DIR
--listen 127.0.0.1:0 --workers 1` nodes on it (tests/cluster/cluster.py). Then, SAMPLES times:
IndexFaces on A (a 300-px crop of a sample photo's face, a new ExternalImageId each time, so no
de-duplication), and as soon as A has answered, a search on B, again and again until B's answer lists
the new FaceId. Two probes, alternately (sample i even / odd), SAMPLES of each:
  SearchFacesByImage  of the same crop: the search a client makes; it analyses the crop first, so one
                      search takes tens of ms and bounds the resolution
  SearchFaces         by the FaceId of a face indexed before (same image, so the new face matches it
                      at ~100%): no image analysis, only the store read of that face and B's in-memory
                      index scan, a few ms: a finer probe of when the face reached B's index
Clients: Debian's boto3 (SigV4), one per node.

Reported per probe, in ms from A's answer (the acknowledged write):
  found        until the answer of B's first search that lists the face (what a client sees)
  first search how long B's first search took, found or not
  and how many of the first searches already found it (then the face was in B's index before that
  search read it, i.e. within one search's time of A's answer).
Also each probe on B for a face present for long (the search's own time), and IndexFaces on A.

usage: /usr/bin/python3 bench/bench_cross_node.py [--samples 100] [--pg-host DIR] [--gap 0.05]"""
import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cluster"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
from cluster import Cluster, face_crop, sample_path  # noqa: E402
from postgres import PostgresServer  # noqa: E402


class Host:
    """an already running server given by its socket directory (for Cluster: create_database, uri, psql)"""

    def __init__(self, host):
        self.host = host

    def create_database(self, name, exist_ok=False):
        from postgres import create_database, database_uri
        create_database(self.host, name, exist_ok=exist_ok)
        return database_uri(self.host, name)

    def psql(self, dbname, sql):
        from postgres import psql
        return psql(self.host, dbname, sql)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def summary(values):
    return (f"median {statistics.median(values):.1f}, p99 {percentile(values, 0.99):.1f}, "
            f"min {min(values):.1f}, max {max(values):.1f} ms")


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--pg-host", help="socket directory of a running PostgreSQL (default: start one)")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between samples")
    args = parser.parse_args()
    pg = None if args.pg_host else PostgresServer().start()
    nodes = []
    with tempfile.TemporaryDirectory(prefix="facegate-xnode-") as work:
        try:
            kek_file = os.path.join(work, "kek")
            with open(kek_file, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            os.chmod(kek_file, 0o600)
            cluster = Cluster(pg if pg else Host(args.pg_host), work, kek_file)
            a = cluster.start_node("a")
            nodes.append(a)
            b = cluster.start_node("b")
            nodes.append(b)
            key = cluster.access_key()
            ca, cb = a.client(key), b.client(key)
            with open(face_crop(sample_path(1), os.path.join(work, "face.jpg")), "rb") as f:
                image = f.read()
            ca.create_collection(CollectionId="xnode")
            ca.index_faces(CollectionId="xnode", Image={"Bytes": image}, ExternalImageId="warm-up")
            time.sleep(1.0)

            old = ca.index_faces(CollectionId="xnode", Image={"Bytes": image}, ExternalImageId="old")
            old_id = old["FaceRecords"][0]["Face"]["FaceId"]
            time.sleep(1.0)
            probes = {
                "SearchFacesByImage": lambda: cb.search_faces_by_image(
                    CollectionId="xnode", Image={"Bytes": image}, MaxFaces=4096, FaceMatchThreshold=50),
                "SearchFaces": lambda: cb.search_faces(
                    CollectionId="xnode", FaceId=old_id, MaxFaces=4096, FaceMatchThreshold=50),
            }
            names = list(probes)
            baseline = {name: [] for name in names}
            for _ in range(20):
                for name in names:
                    t = time.perf_counter()
                    probes[name]()
                    baseline[name].append((time.perf_counter() - t) * 1000)
            print(f"load {load()} at the start", flush=True)
            index_ms = []
            found_ms = {name: [] for name in names}
            first_ms = {name: [] for name in names}
            searches = {name: [] for name in names}
            first_found = {name: 0 for name in names}
            for i in range(2 * args.samples):
                name = names[i % 2]
                search_b = probes[name]
                t0 = time.perf_counter()
                r = ca.index_faces(CollectionId="xnode", Image={"Bytes": image}, ExternalImageId=f"s{i}", MaxFaces=1)
                acked = time.perf_counter()
                index_ms.append((acked - t0) * 1000)
                face_id = r["FaceRecords"][0]["Face"]["FaceId"]
                n = 0
                while True:
                    matches = search_b()["FaceMatches"]
                    now = time.perf_counter()
                    n += 1
                    if n == 1:
                        first_ms[name].append((now - acked) * 1000)
                    if any(m["Face"]["FaceId"] == face_id for m in matches):
                        break
                    if now - acked > 10:
                        raise AssertionError(f"sample {i}: face {face_id} not found on B within 10 s")
                found_ms[name].append((now - acked) * 1000)
                first_found[name] += n == 1
                searches[name].append(n)
                time.sleep(args.gap)
            print(f"load {load()} at the end")
            print(f"IndexFaces on A ({len(index_ms)}): {summary(index_ms)}")
            for name in names:
                print(f"{name} on B:")
                print(f"  of a face present for long (20 runs): {summary(baseline[name])}")
                print(f"  from A's answer to the answer of B's first search that found it: {summary(found_ms[name])}")
                print(f"  B's first search after A's answer took: {summary(first_ms[name])}")
                print(f"  first search already found it: {first_found[name]}/{args.samples}; "
                      f"searches needed: max {max(searches[name])}")
        finally:
            for node in nodes:
                node.stop()
            if pg:
                pg.destroy()


if __name__ == "__main__":
    main()
