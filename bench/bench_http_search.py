#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""SearchFacesByImage over real HTTP with Debian's boto3 (SigV4 included): latency with one client,
throughput with several. usage: bench_http_search.py ENDPOINT KEY_JSON COLLECTION IMAGE [REQUESTS] [CLIENTS...]"""
import json
import statistics
import sys
import threading
import time

import boto3
from botocore.config import Config


def client(endpoint, key):
    return boto3.client("rekognition", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key["accessKeyId"], aws_secret_access_key=key["secretAccessKey"],
                        config=Config(retries={"max_attempts": 1}, read_timeout=120, max_pool_connections=32))


def main():
    endpoint, key_file, collection, image = sys.argv[1:5]
    requests = int(sys.argv[5]) if len(sys.argv) > 5 else 50
    client_counts = [int(c) for c in sys.argv[6:]] or [2, 4]
    key = json.load(open(key_file))
    photo = open(image, "rb").read()
    c = client(endpoint, key)
    for _ in range(3):  # warm-up
        c.search_faces_by_image(CollectionId=collection, Image={"Bytes": photo}, MaxFaces=10)
    latencies = []
    matched = 0
    for _ in range(requests):
        start = time.perf_counter()
        r = c.search_faces_by_image(CollectionId=collection, Image={"Bytes": photo}, MaxFaces=10)
        latencies.append((time.perf_counter() - start) * 1000)
        matched += bool(r["FaceMatches"])
    latencies.sort()
    print(f"one client, {requests} requests: median {statistics.median(latencies):.1f} ms, "
          f"p99 {latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]:.1f} ms, matched {matched}/{requests}")
    for clients in client_counts:
        done = [0]
        lock = threading.Lock()
        per_client = max(1, requests // clients)

        def run():
            cl = client(endpoint, key)
            for _ in range(per_client):
                cl.search_faces_by_image(CollectionId=collection, Image={"Bytes": photo}, MaxFaces=10)
                with lock:
                    done[0] += 1

        threads = [threading.Thread(target=run) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
        print(f"{clients} clients: {done[0] / seconds:.1f} requests/s ({done[0]} requests in {seconds:.1f} s)")


if __name__ == "__main__":
    main()
