#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""IndexFaces throughput with 1 and 2 nodes on one PostgreSQL database (issue 11).

Starts a throw-away PostgreSQL 15 (tests/support/postgres.py; or uses --pg-host), then for each
configuration in --configs, in that order (e.g. 1x2 2x1 1x2 2x1: alternated, so the load of other
work on the machine hits each), a fresh database and NODES `facegate serve --store URI --kek-file F
--workers WORKERS` nodes on it (tests/cluster/cluster.py); CLIENTS threads, each with its own
Debian boto3 client on node (thread % NODES), send IndexFaces of the same image with a new
ExternalImageId each (so no de-duplication) for DURATION seconds, after 2 s of warm-up.

Reported per run: IndexFaces/s, latency median / p99, errors, and the CPU time (user + system, from
/proc) of the facegate nodes, of this PostgreSQL's processes (the postmaster and its children) and of
the clients (this process) during the measured window, as a share of the machine's 2 cores.

usage: /usr/bin/python3 bench/bench_cluster_index.py [--configs 1x2 2x1 1x2 2x1] [--clients 4]
           [--duration 30] [--image PATH] [--pg-host DIR]"""
import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cluster"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
import cluster as cluster_module  # noqa: E402
from cluster import Cluster  # noqa: E402
from postgres import PostgresServer  # noqa: E402
from bench_cross_node import Host  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class Node(cluster_module.Node):
    """cluster.Node with --workers W (cluster.Node always starts --workers 1)"""

    def __init__(self, cluster, name, workers):
        self.cluster = cluster
        self.name = name
        self.data_dir = os.path.join(cluster.workdir, f"node-{name}")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(cluster.workdir, f"node-{name}.log")
        self.extra_args = []
        self.log = open(self.log_path, "wb")
        self.proc = cluster_module.subprocess.Popen(
            [cluster_module.FACEGATE, "serve", "--store", cluster.uri, "--data", self.data_dir,
             "--listen", "127.0.0.1:0", "--kek-file", cluster.kek_file, "--workers", str(workers)],
            stdout=self.log, stderr=cluster_module.subprocess.STDOUT, stdin=cluster_module.subprocess.DEVNULL,
            env=cluster_module.clean_env())
        cluster.nodes.append(self)
        self.endpoint = self._wait_until_listening()
        self._clients = []


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    except OSError:
        return 0.0


def children_of(ppid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                        out.append(int(entry))
            except OSError:
                pass
    return out


def postgres_pids(socket_dir):
    with open(os.path.join(socket_dir, "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    return [postmaster, *children_of(postmaster)]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def run(pg_like, socket_dir, work, kek_file, nodes_n, workers, clients, duration, image, tag):
    cluster = Cluster(pg_like, os.path.join(work, tag), kek_file)
    os.makedirs(cluster.workdir, exist_ok=True)
    try:
        nodes = [Node(cluster, f"n{i}", workers) for i in range(nodes_n)]
        key = cluster.access_key()
        nodes[0].client(key).create_collection(CollectionId="tput")
        time.sleep(1.0)  # the collection reaches the other node
        stop_warm = time.monotonic() + 2.0
        stop_at = stop_warm + duration
        lat, errors = [], []
        lock = threading.Lock()

        def client(c):
            boto = nodes[c % nodes_n].client(key)
            i = 0
            while True:
                t = time.monotonic()
                if t >= stop_at:
                    return
                try:
                    boto.index_faces(CollectionId="tput", Image={"Bytes": image}, ExternalImageId=f"c{c}-{i}")
                    ok = True
                except Exception as e:  # noqa: BLE001
                    ok = False
                    err = repr(e)[:200]
                done = time.monotonic()
                i += 1
                if t >= stop_warm and done <= stop_at:
                    with lock:
                        (lat.append((done - t) * 1000) if ok else errors.append(err))

        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        for th in threads:
            th.start()
        time.sleep(max(0.0, stop_warm - time.monotonic()))
        pids = postgres_pids(socket_dir)
        node_cpu0 = sum(cpu_seconds(n.proc.pid) for n in nodes)
        pg_cpu0 = {p: cpu_seconds(p) for p in pids}
        me0 = sum(os.times()[:2])
        load0 = load()
        t0 = time.monotonic()
        time.sleep(max(0.0, stop_at - time.monotonic()))
        wall = time.monotonic() - t0
        node_cpu = sum(cpu_seconds(n.proc.pid) for n in nodes) - node_cpu0
        pids_now = postgres_pids(socket_dir)
        pg_cpu = sum(cpu_seconds(p) - pg_cpu0.get(p, 0.0) for p in pids_now)
        me = sum(os.times()[:2]) - me0
        load1 = load()
        for th in threads:
            th.join()
        faces = int(cluster.sql("SELECT count(*) FROM faces").strip() or 0) if nodes_n else 0
        cores = os.cpu_count()
        print(f"{nodes_n} node(s) x {workers} worker(s), {clients} clients, {wall:.1f} s: "
              f"{len(lat) / wall:.1f} IndexFaces/s, median {statistics.median(lat):.1f} ms, "
              f"p99 {percentile(lat, 0.99):.1f} ms, errors {len(errors)}{(' ' + errors[0]) if errors else ''}; "
              f"CPU of {cores} cores: nodes {100 * node_cpu / wall / cores:.0f}%, "
              f"PostgreSQL {100 * pg_cpu / wall / cores:.0f}%, clients {100 * me / wall / cores:.0f}%; "
              f"PostgreSQL CPU per IndexFaces {1000 * pg_cpu / max(1, len(lat)):.2f} ms, "
              f"nodes' CPU per IndexFaces {1000 * node_cpu / max(1, len(lat)):.1f} ms; "
              f"faces in the database {faces}; load {load0} -> {load1}", flush=True)
    finally:
        cluster.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", nargs="+", default=["1x2", "2x1", "1x2", "2x1"],
                        help="NODESxWORKERS each, run in this order")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--image", default=os.path.join(HERE, "..", "..", "shared", "data", "faces", "obama",
                                                        "obama-720p.jpg"))
    parser.add_argument("--pg-host", help="socket directory of a running PostgreSQL (default: start one)")
    args = parser.parse_args()
    with open(args.image, "rb") as f:
        image = f.read()
    pg = None if args.pg_host else PostgresServer().start()
    socket_dir = args.pg_host or pg.host
    with tempfile.TemporaryDirectory(prefix="facegate-tput-") as work:
        try:
            kek_file = os.path.join(work, "kek")
            with open(kek_file, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            os.chmod(kek_file, 0o600)
            for i, config in enumerate(args.configs):
                nodes_n, workers = (int(v) for v in config.split("x"))
                run(pg or Host(socket_dir), socket_dir, work, kek_file, nodes_n, workers, args.clients,
                    args.duration, image, f"run{i}")
        finally:
            if pg:
                pg.destroy()


if __name__ == "__main__":
    main()
