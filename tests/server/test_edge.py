# SPDX-License-Identifier: MIT
"""The HTTP edge (src/server/http_edge.cpp) as hostile and overloaded clients meet it, over real
HTTP on loopback, with raw sockets where the request is not one a library would send:

- slowloris and silent sockets are closed at the header deadline while the server keeps answering;
- oversize bodies (chunked or with a huge Content-Length) are refused before they are read, and the
  server's memory does not grow with them;
- header block and field limits (431), request smuggling shapes (400);
- hostile X-Amz-Target values never reach the metrics' labels nor the log raw;
- decompression-bomb images stay within the image memory budget, the analysis pool never runs more
  than --workers at once;
- a burst beyond the analysis queue gets 503 ThrottlingException with Retry-After (raw, boto3, AWS CLI);
- every response has Date and x-amzn-RequestId.

No assertion is on speed: deadlines are checked with generous bounds only."""
import base64
import concurrent.futures
import contextlib
import email.utils
import json
import os
import random
import re
import resource
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from server_process import FACEGATE, SAMPLES, Server, create_key, sample_bytes

AWS_CLI = os.environ.get("FACEGATE_AWS_CLI", "/usr/bin/aws")
HOST = "127.0.0.1"
MB = 1024 * 1024
IMAGE_BODY_LIMIT = 8 * MB
OTHER_BODY_LIMIT = 1 * MB
ADMIN_BODY_LIMIT = 64 * 1024
REKOGNITION_JSON = "application/x-amz-json-1.1"


# ---------------------------------------------------------------------------------------------------
# raw HTTP on sockets


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)


def read_response(sock, timeout=30):
    """one HTTP/1.1 response (Content-Length framed, as the edge always sends) from the socket"""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the connection closed before a whole response head arrived: {data[:200]!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = int(headers.get("content-length", ["0"])[0])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawResponse(status, headers, rest[:length])


def wait_closed(sock, timeout):
    """True when the peer closes (EOF or reset) within timeout seconds; bytes that arrive are dropped"""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


def raw_exchange(port, request, timeout=30, close_wait=10):
    """sends request bytes on a new connection; returns (response, whether the server closed the
    connection within close_wait seconds; None when close_wait is 0)"""
    if len(request) > 64 * 1024:
        # the server may answer and close before a large request is all sent: send from a thread
        response, closed, _ = streamed_exchange(port, request, (), timeout, close_wait)
        return response, closed
    with socket.create_connection((HOST, port), timeout=10) as s:
        s.sendall(request)
        response = read_response(s, timeout)
        closed = wait_closed(s, close_wait) if close_wait else None
    return response, closed


def keepalive_exchange(sock, request, timeout=30):
    sock.sendall(request)
    return read_response(sock, timeout)


def get_request(path, extra=b""):
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n" + extra + b"\r\n"


def streamed_exchange(port, head, pieces, timeout=60, close_wait=15):
    """sends the header block, then streams pieces, from a second thread while the response is read.
    returns (response, closed, bytes of body sent)"""
    s = socket.create_connection((HOST, port), timeout=10)
    sent = [0]
    stop = threading.Event()

    def writer():
        try:
            s.sendall(head)
            for piece in pieces:
                if stop.is_set():
                    return
                s.sendall(piece)
                sent[0] += len(piece)
        except OSError:
            pass  # the server closed: what is expected

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        response = read_response(s, timeout)
        closed = wait_closed(s, close_wait) if close_wait else None
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()
        t.join(30)
    assert not t.is_alive(), "the body writer did not stop"
    return response, closed, sent[0]


def chunked_pieces(total, chunk=MB):
    block = b"%x\r\n" % chunk + os.urandom(1024) * (chunk // 1024) + b"\r\n"
    for _ in range(total // chunk):
        yield block
    yield b"0\r\n\r\n"


def plain_pieces(total, chunk=MB):
    block = b"x" * chunk
    for _ in range(total // chunk):
        yield block


def check_common_headers(response, what):
    date = response.header("date")
    assert date, f"{what}: no Date header ({response.headers})"
    parsed = email.utils.parsedate_to_datetime(date)
    assert abs((parsed - datetime.now(timezone.utc)).total_seconds()) < 300, f"{what}: Date {date} is off"
    request_id = response.header("x-amzn-requestid")
    assert request_id, f"{what}: no x-amzn-RequestId header ({response.headers})"
    uuid.UUID(request_id)
    return request_id


# ---------------------------------------------------------------------------------------------------
# signed requests without boto3 (to see the raw status, headers and body)


def signed_headers(server, key, operation, body):
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"X-Amz-Target": f"RekognitionService.{operation}", "Content-Type": REKOGNITION_JSON})
    SigV4Auth(Credentials(key["accessKeyId"], key["secretAccessKey"]), "rekognition", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def signed_post(server, key, operation, payload, session=None, timeout=120):
    body = json.dumps(payload).encode()
    headers = signed_headers(server, key, operation, body)
    return (session or requests).post(server.endpoint + "/", data=body, headers=headers, timeout=timeout)


def signed_raw_request(server, key, operation, payload):
    body = json.dumps(payload).encode()
    headers = signed_headers(server, key, operation, body)
    head = f"POST / HTTP/1.1\r\nHost: {HOST}:{server.port}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def detect_payload(image):
    return {"Image": {"Bytes": base64.b64encode(image).decode()}}


def bogus_sigv4(key_id):
    return (f"AWS4-HMAC-SHA256 Credential={key_id}/20260101/us-east-1/rekognition/aws4_request, "
            f"SignedHeaders=host;x-amz-date;x-amz-target, Signature={'0' * 64}")


# ---------------------------------------------------------------------------------------------------
# metrics


def metric_value(text, name):
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def requests_total(text):
    """{(operation, status): count} of facegate_requests_total"""
    out = {}
    for m in re.finditer(r'^facegate_requests_total\{operation="((?:[^"\\]|\\.)*)",status="(\d+)"\} (\S+)$', text, re.M):
        out[(m.group(1), int(m.group(2)))] = float(m.group(3))
    return out


# ---------------------------------------------------------------------------------------------------
# servers


def create_admin_api_key(data_dir):
    out = subprocess.run([FACEGATE, "keys", "create", "--kind", "api", "--scope", "admin", "--data", data_dir],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["apiKey"]


def scrape(server, timeout=30):
    """/metrics, with the admin API key (servers that keep /metrics for operators ask for one)"""
    return server.metrics_text(timeout=timeout, token=server.admin_api_key)


@contextlib.contextmanager
def running_server(*extra_args):
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        admin_api_key = create_admin_api_key(data)
        server = Server(data, extra_args=extra_args)
        server.admin_api_key = admin_api_key
        try:
            yield server, key
        finally:
            server.stop()


@pytest.fixture(scope="module")
def default_server():
    """a server with the edge's defaults (only the shared one: its log and metrics see every test)"""
    with running_server() as (server, key):
        yield server, key


@pytest.fixture(scope="module")
def throttled_server():
    """one analysis worker behind a queue of 4"""
    with running_server("--workers", "1", "--queue-depth", "4") as (server, key):
        yield server, key


@contextlib.contextmanager
def flood(server, key, threads=8):
    """keeps the analysis queue full with signed DetectFaces calls; yields the statuses seen so far"""
    stop = threading.Event()
    statuses = []
    errors = []
    payload = detect_payload(sample_bytes(1))

    def loop():
        session = requests.Session()
        while not stop.is_set():
            try:
                r = signed_post(server, key, "DetectFaces", payload, session=session, timeout=120)
                statuses.append(r.status_code)
                if r.status_code == 503:
                    time.sleep(0.01)
            except Exception as e:  # reported by the caller
                errors.append(repr(e))
                return

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    # wait until the queue is seen full at least once (bounded: a refusal comes soon with 8 clients)
    deadline = time.monotonic() + 60
    while 503 not in statuses and not errors and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield statuses
    finally:
        stop.set()
        for w in workers:
            w.join(150)
        assert not any(w.is_alive() for w in workers), "a flooding client hung"
        assert not errors, errors
        assert set(statuses) <= {200, 503}, sorted(set(statuses))


def raise_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------------------------------------------
# 1. slowloris and silent sockets


HEADER_TIMEOUT = 4
IDLE_TIMEOUT = 1


def test_slow_and_silent_sockets_are_closed_at_the_header_deadline_while_the_server_answers():
    slow_count, silent_count = 500, 500
    assert raise_fd_limit(4096) >= slow_count + silent_count + 200
    with running_server("--header-timeout", str(HEADER_TIMEOUT), "--idle-timeout", str(IDLE_TIMEOUT)) as (server, key):
        slow, silent = [], []
        stop = threading.Event()
        try:
            opened = time.monotonic()
            for i in range(slow_count):
                s = socket.create_connection((HOST, server.port), timeout=10)
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n".encode())
                slow.append(s)
            for i in range(silent_count):
                silent.append(socket.create_connection((HOST, server.port), timeout=10))
            last_opened = time.monotonic()
            for s in slow + silent:
                s.setblocking(False)  # (with a timeout, Python's recv would first wait for readability)

            def slowloris():
                n = 0
                while not stop.wait(1.0):
                    n += 1
                    for s in slow:
                        try:
                            s.send(f"X-Slow-{n}: {'y' * 20}\r\n".encode(), socket.MSG_DONTWAIT)
                        except OSError:
                            pass  # closed by the server

            sender = threading.Thread(target=slowloris, daemon=True)
            sender.start()

            # the server holds them all (its own gauge), and still answers
            deadline = time.monotonic() + 30
            held = 0
            while time.monotonic() < deadline:
                held = metric_value(scrape(server), "facegate_open_connections") or 0
                if held >= slow_count + silent_count:
                    break
                time.sleep(0.05)
            checked_at = None
            health = requests.get(server.endpoint + "/healthz", timeout=30)
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            faces = server.client(key).detect_faces(Image={"Bytes": sample_bytes(1)})["FaceDetails"]
            checked_at = time.monotonic()
            assert len(faces) >= 1
            assert held >= slow_count + silent_count, f"the server held only {held} of the open sockets"

            # none was closed early (only checkable when we got here well before the deadline)
            if checked_at - last_opened < HEADER_TIMEOUT - 1:
                early = 0
                for s in slow + silent:
                    try:
                        if s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                            early += 1
                    except BlockingIOError:
                        pass
                    except ConnectionResetError:
                        early += 1
                assert early == 0, f"{early} sockets were closed before the header deadline"

            # every one is closed once the header deadline (from accept) has passed
            pending = {s.fileno(): s for s in slow + silent}
            limit = opened + HEADER_TIMEOUT + 5
            closed_at = []
            while pending and time.monotonic() < limit:
                for fd, s in list(pending.items()):
                    try:
                        data = s.recv(65536, socket.MSG_DONTWAIT)
                        if data == b"":
                            closed_at.append(time.monotonic() - opened)
                            del pending[fd]
                    except BlockingIOError:
                        pass
                    except (ConnectionResetError, BrokenPipeError):
                        closed_at.append(time.monotonic() - opened)
                        del pending[fd]
                time.sleep(0.1)
            slow_left = sum(1 for s in slow if s.fileno() in pending)
            silent_left = sum(1 for s in silent if s.fileno() in pending)
            assert not pending, (f"{slow_left} slowloris and {silent_left} silent sockets still open "
                                 f"{HEADER_TIMEOUT + 5} s after they were opened")
            print(f"slow/silent sockets closed {min(closed_at):.1f}-{max(closed_at):.1f} s after opening")
        finally:
            stop.set()
            for s in slow + silent:
                s.close()

        # the server is fine afterwards, and lets go of them all
        assert requests.get(server.endpoint + "/healthz", timeout=30).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (metric_value(scrape(server), "facegate_open_connections") or 0) <= 5:
                break
            time.sleep(0.1)
        assert metric_value(scrape(server), "facegate_open_connections") <= 5

        # a kept-alive connection serves a second request, then is closed after the idle timeout
        with socket.create_connection((HOST, server.port), timeout=10) as s:
            for _ in range(2):
                r = keepalive_exchange(s, get_request("/healthz"))
                assert r.status == 200
            assert wait_closed(s, IDLE_TIMEOUT + 5), "an idle kept-alive connection stayed open"


# ---------------------------------------------------------------------------------------------------
# 2. oversize bodies are refused before they are read


def test_oversize_bodies_are_refused_unread_and_memory_does_not_grow(default_server):
    server, key = default_server
    total = 200 * MB
    rss_before = server.rss_kb()
    peak = [rss_before]
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.05):
            peak[0] = max(peak[0], server.rss_kb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results = {}
    try:
        # unauthenticated chunked 200 MB to the Rekognition API: refused on the headers
        head = (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nX-Amz-Target: RekognitionService.DetectFaces\r\n"
                f"Content-Type: {REKOGNITION_JSON}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        r, closed, sent = streamed_exchange(server.port, head, chunked_pieces(total))
        results["rekognition chunked"] = (r.status, sent)
        assert r.status == 403 and r.json()["__type"] == "MissingAuthenticationTokenException", r.body
        assert closed, "the connection stayed open after refusing an unauthenticated chunked body"
        assert sent < total

        # the same to /v1/verify: 401 (the flows' status for no credentials)
        head = (f"POST /v1/verify HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Content-Type: multipart/form-data; boundary=xyz\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        r, closed, sent = streamed_exchange(server.port, head, chunked_pieces(total))
        results["v1 chunked"] = (r.status, sent)
        assert r.status in (401, 403) and r.json()["__type"] == "MissingAuthenticationTokenException", r.body
        assert closed and sent < total

        # Content-Length of a terabyte, then data
        head = (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nX-Amz-Target: RekognitionService.DetectFaces\r\n"
                f"Content-Type: {REKOGNITION_JSON}\r\nContent-Length: 1000000000000\r\n\r\n").encode()
        r, closed, sent = streamed_exchange(server.port, head, plain_pieces(total))
        results["content-length 1e12"] = (r.status, sent)
        assert r.status in (401, 403, 413), r.body
        assert closed and sent < total

        # a known key id with a bogus signature passes the header checks: the body is read up to
        # the image endpoints' 8 MB, then refused
        head = (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nX-Amz-Target: RekognitionService.DetectFaces\r\n"
                f"Content-Type: {REKOGNITION_JSON}\r\nX-Amz-Date: 20260101T000000Z\r\n"
                f"Authorization: {bogus_sigv4(key['accessKeyId'])}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        r, closed, sent = streamed_exchange(server.port, head, chunked_pieces(total))
        results["signed-looking chunked"] = (r.status, sent)
        assert r.status == 413, r.body
        assert r.json()["__type"] == "ImageTooLargeException" and str(IMAGE_BODY_LIMIT) in r.json()["message"], r.body
        assert closed, "the connection stayed open after a chunked body past the limit"
        assert sent < total
    finally:
        sampling.set()
        sampler.join(10)
    rss_after = server.rss_kb()
    print(f"RSS before {rss_before} kB, peak {peak[0]} kB, after {rss_after} kB; {results}")
    assert rss_after - rss_before < 64 * 1024, f"RSS grew from {rss_before} to {rss_after} kB"
    assert peak[0] - rss_before < 64 * 1024, f"RSS peaked at {peak[0]} kB from {rss_before} kB"


def test_declared_lengths_past_the_limit_are_refused_before_the_body(default_server):
    server, key = default_server
    key_id = key["accessKeyId"]

    def head(target, operation, length, authorization=None, method="POST"):
        text = f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {length}\r\n"
        if operation:
            text += f"X-Amz-Target: RekognitionService.{operation}\r\nContent-Type: {REKOGNITION_JSON}\r\n"
        if authorization:
            text += f"X-Amz-Date: 20260101T000000Z\r\nAuthorization: {authorization}\r\n"
        return (text + "\r\n").encode()

    # no body byte is ever sent: a server that waited for it would answer 408 after the body timeout
    r, closed = raw_exchange(server.port, head("/", "DetectFaces", 10**12, bogus_sigv4(key_id)))
    assert r.status == 413 and r.json()["__type"] == "ImageTooLargeException" and closed, r.body
    r, closed = raw_exchange(server.port, head("/", "DetectFaces", IMAGE_BODY_LIMIT + 1, bogus_sigv4(key_id)))
    assert r.status == 413 and closed, r.body
    r, closed = raw_exchange(server.port, head("/", "ListCollections", OTHER_BODY_LIMIT + 1, bogus_sigv4(key_id)))
    assert r.status == 413 and str(OTHER_BODY_LIMIT) in r.json()["message"] and closed, r.body
    r, closed = raw_exchange(server.port, head("/v1/collections", None, ADMIN_BODY_LIMIT + 1, bogus_sigv4(key_id),
                                               method="GET"))
    assert r.status == 413 and str(ADMIN_BODY_LIMIT) in r.json()["message"] and closed, r.body
    # an unknown access key id: refused on the headers
    r, closed = raw_exchange(server.port, head("/", "DetectFaces", 4 * MB, bogus_sigv4("FGAKNOSUCHKEY0000000")))
    assert r.status == 403 and r.json()["__type"] == "UnrecognizedClientException" and closed, r.body
    # no Authorization at all
    r, closed = raw_exchange(server.port, head("/", "DetectFaces", 4 * MB))
    assert r.status == 403 and r.json()["__type"] == "MissingAuthenticationTokenException" and closed, r.body


# ---------------------------------------------------------------------------------------------------
# 3. header limits and smuggling shapes


def test_header_limits_and_ambiguous_framing(default_server):
    server, _ = default_server
    port = server.port

    def check(request, status, what):
        r, closed = raw_exchange(port, request, close_wait=10 if status >= 400 else 0)
        assert r.status == status, f"{what}: {r.status} {r.body!r}"
        check_common_headers(r, what)
        if status >= 400:
            assert closed, f"{what}: the connection stayed open after {status}"
        return r

    # the header block: under 16 KB passes, one field of 20 KB or many fields adding up does not
    check(get_request("/healthz", b"X-Pad: " + b"a" * (15 * 1024) + b"\r\n"), 200, "15 KB of headers")
    check(get_request("/healthz", b"X-Big: " + b"a" * (20 * 1024) + b"\r\n"), 431, "a 20 KB header")
    check(get_request("/healthz", b"".join(b"X-Pad-%d: %s\r\n" % (i, b"b" * 900) for i in range(40))), 431,
          "40 fields of 900 bytes")
    check(get_request("/healthz", b"X-Big: " + b"a" * (1024 * 1024) + b"\r\n"), 431, "a 1 MB header")

    # at most 100 fields (Host is one of them)
    check(get_request("/healthz", b"".join(b"X-F%d: v\r\n" % i for i in range(99))), 200, "100 fields")
    check(get_request("/healthz", b"".join(b"X-F%d: v\r\n" % i for i in range(100))), 431, "101 fields")
    check(get_request("/healthz", b"".join(b"X-F%d: v\r\n" % i for i in range(1000))), 431, "1001 fields")

    post = (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nX-Amz-Target: RekognitionService.ListCollections\r\n"
            f"Content-Type: {REKOGNITION_JSON}\r\n").encode()
    check(post + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, "two equal Content-Lengths")
    check(post + b"Content-Length: 2\r\nContent-Length: 7\r\n\r\n{}", 400, "two different Content-Lengths")
    check(post + b"Content-Length: 2, 2\r\n\r\n{}", 400, "a Content-Length list")
    check(post + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400,
          "Content-Length then chunked")
    check(post + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400,
          "chunked then Content-Length")
    # the same shapes on a route that reads no body
    check(get_request("/healthz", b"Content-Length: 0\r\nContent-Length: 0\r\n"), 400, "GET with two lengths")


# ---------------------------------------------------------------------------------------------------
# 4. hostile operation names: closed metric labels, escaped log


def bogus_target(i, rng):
    marker = f"Zq{i:05d}"
    if i % 2 == 0:
        # control characters a header value may not hold (the parser may refuse them)
        alphabet = [chr(c) for c in range(0x01, 0x09)] + ["\x0b", "\x0c", "\x1b", "\x7f", "\x1f"] + list("abcXYZ\"\\{}")
    else:
        # what a parser lets through: quotes, backslashes, braces, bytes above 0x7f
        alphabet = list("abcXYZ\"\\{}=,;") + [chr(c) for c in range(0x80, 0x100, 7)]
    filler = "".join(rng.choice(alphabet) for _ in range(4096 - len(marker) - 20))
    return ("RekognitionService." + marker + filler).encode("latin-1")


def test_hostile_operation_names_stay_out_of_metrics_and_log_raw(default_server):
    server, _ = default_server
    count = 2000
    rng = random.Random(1234)
    targets = [bogus_target(i, rng) for i in range(count)]

    def send(indices):
        statuses = []
        for i in indices:
            request = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: " + targets[i] +
                       b"\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            with socket.create_connection((HOST, server.port), timeout=10) as s:
                s.sendall(request)
                statuses.append(read_response(s).status)
        return statuses

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = [st for part in pool.map(send, [range(k, count, 4) for k in range(4)]) for st in part]
    assert len(statuses) == count
    assert set(statuses) == {400}, sorted(set(statuses))

    text = scrape(server)
    print(f"/metrics after {count} hostile names: {len(text.encode())} bytes")
    assert len(text.encode()) < 64 * 1024, f"/metrics grew to {len(text.encode())} bytes"
    assert not re.search(r"Zq\d{5}", text), "a client's operation name became a metric label"
    totals = requests_total(text)
    for operation, _ in totals:
        assert re.fullmatch(r"[A-Za-z0-9_.]+", operation), f"odd operation label {operation!r}"
    assert sum(n for (op, st), n in totals.items() if op == "unknown" and st == 400) >= count

    log = server.log_bytes()
    raw = sorted({b for b in log if (b < 0x20 and b not in (0x0a, 0x09)) or b == 0x7f})
    assert not raw, f"the log holds raw control bytes {[hex(b) for b in raw]}"


def test_operation_names_that_are_not_utf8_are_refused_and_the_server_lives(default_server):
    """an unknown operation's name is echoed in the error message: bytes that are not UTF-8 (or a
    character cut at the echo's length) must not make rendering the JSON error throw"""
    server, _ = default_server
    for name in (b"Abc\xff", b"a" * 63 + "\u00e9".encode(), "\u00e9t\u00e9".encode(), b"\xc3"):
        request = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: RekognitionService." + name +
                   b"\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}")
        r, _ = raw_exchange(server.port, request, close_wait=0)
        assert r.status == 400 and r.json()["__type"] == "UnknownOperationException", (name, r.status, r.body)
        assert server.proc.poll() is None, f"the server died on X-Amz-Target {name!r}"
    assert requests.get(server.endpoint + "/healthz", timeout=30).status_code == 200


def test_refusals_on_a_kept_alive_connection_are_counted_under_their_own_name(default_server):
    """the operation label of a request refused on its headers is not the previous request's"""
    server, _ = default_server
    before = requests_total(scrape(server))
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        assert keepalive_exchange(s, get_request("/healthz")).status == 200
        assert keepalive_exchange(s, get_request("/no/such/thing")).status == 404
    after = requests_total(scrape(server))
    grew = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert grew.get(("healthz", 200)) == 1, grew
    assert ("healthz", 404) not in grew, f"the 404 was counted as healthz: {grew}"
    assert grew.get(("unknown", 404)) == 1, grew


# ---------------------------------------------------------------------------------------------------
# 5. decompression bombs and the image memory budget


def png_bomb(width, height):
    """an RGB PNG of one colour: width x height x 3 bytes decoded, a few hundred KB encoded"""
    row = b"\x00" + b"\x7f" * (3 * width)
    deflate = zlib.compressobj(6)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_decompression_bombs_stay_within_the_memory_budget():
    workers, budget_mb, margin_mb = 2, 700, 400
    bomb = png_bomb(16000, 6000)  # 96 MP: within the decoder's 16384-a-side and 100 MP limits
    assert len(bomb) < 5 * MB
    payload = detect_payload(bomb)
    with running_server("--workers", str(workers), "--memory-budget", str(budget_mb)) as (server, key):
        # warm up: the idle figure includes the models and a first analysis
        assert server.client(key).detect_faces(Image={"Bytes": sample_bytes(1)})["FaceDetails"]
        idle_kb = server.rss_kb()
        stop = threading.Event()
        rss, health, running, problems = [], [], [], []

        def sample_rss():
            while not stop.wait(0.05):
                rss.append(server.rss_kb())

        def poll_health():
            while not stop.wait(0.1):
                try:
                    health.append(requests.get(server.endpoint + "/healthz", timeout=10).status_code)
                except Exception as e:
                    problems.append(f"/healthz: {e!r}")

        def poll_running():
            while not stop.wait(0.1):
                try:
                    value = metric_value(scrape(server, timeout=10), "facegate_analysis_lane_running")
                    if value is not None:
                        running.append(value)
                except Exception as e:
                    problems.append(f"/metrics: {e!r}")

        samplers = [threading.Thread(target=f, daemon=True) for f in (sample_rss, poll_health, poll_running)]
        for t in samplers:
            t.start()
        barrier = threading.Barrier(8)

        def one(_):
            barrier.wait(30)
            return signed_post(server, key, "DetectFaces", payload, timeout=120)

        try:
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(one, range(8), timeout=300))
        finally:
            stop.set()
            for t in samplers:
                t.join(30)
        peak_kb = max(rss)
        outcomes = [(r.status_code, r.json().get("__type")) for r in answers]
        print(f"bombs: idle RSS {idle_kb // 1024} MB, peak {peak_kb // 1024} MB (+{(peak_kb - idle_kb) // 1024} MB), "
              f"budget {budget_mb} MB; outcomes {outcomes}; max running {max(running, default=None)}; "
              f"{len(health)} health checks")
        for status, kind in outcomes:
            assert (status, kind) in {(200, None), (503, "ThrottlingException"), (400, "ImageTooLargeException"),
                                      (400, "InvalidImageFormatException")}, outcomes
        assert any(status == 200 for status, _ in outcomes), f"no bomb was analysed at all: {outcomes}"
        assert all(status == 200 for status in health) and len(health) >= 5 and not problems, (health, problems)
        assert running and max(running) <= workers, f"the analysis lane ran {max(running, default=None)} at once"
        assert peak_kb - idle_kb < (budget_mb + margin_mb) * 1024, (
            f"RSS peaked at {peak_kb // 1024} MB, {(peak_kb - idle_kb) // 1024} MB over idle with a {budget_mb} MB budget")
        # the server is still whole
        assert server.client(key).detect_faces(Image={"Bytes": sample_bytes(1)})["FaceDetails"]


# ---------------------------------------------------------------------------------------------------
# 6. a burst past the analysis queue


def test_burst_past_the_queue_is_throttled_with_retry_after(throttled_server):
    server, key = throttled_server
    payload = detect_payload(sample_bytes(1))
    burst = 40
    barrier = threading.Barrier(burst)

    def one(_):
        barrier.wait(30)
        return signed_post(server, key, "DetectFaces", payload, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(burst) as pool:
        answers = list(pool.map(one, range(burst), timeout=300))
    statuses = [r.status_code for r in answers]
    print(f"burst of {burst}: {statuses.count(200)} x 200, {statuses.count(503)} x 503")
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    for r in answers:
        if r.status_code == 503:
            assert r.json()["__type"] == "ThrottlingException", r.text
            assert int(r.headers["Retry-After"]) >= 1, r.headers
        else:
            assert "FaceDetails" in r.json()
        assert r.headers.get("x-amzn-RequestId") and r.headers.get("Date")


def test_sdk_and_cli_see_throttling_as_throttling(throttled_server):
    server, key = throttled_server
    client = server.client(key)  # retries disabled (max_attempts 1)
    with flood(server, key) as statuses:
        assert 503 in statuses, "the flood never filled the queue"
        throttled = None
        for _ in range(100):
            try:
                client.detect_faces(Image={"Bytes": sample_bytes(1)})
            except ClientError as e:
                throttled = e
                break
        assert throttled is not None, "boto3 never met a full queue"
        assert throttled.response["Error"]["Code"] == "ThrottlingException"
        assert throttled.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert int(throttled.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]) >= 1

        if os.path.isfile(AWS_CLI):
            with tempfile.TemporaryDirectory() as home:
                env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
                env.update({"HOME": home, "AWS_ACCESS_KEY_ID": key["accessKeyId"],
                            "AWS_SECRET_ACCESS_KEY": key["secretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_CONFIG_FILE": os.path.join(home, "config"),
                            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
                            "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"})
                command = [AWS_CLI, "rekognition", "detect-faces", "--endpoint-url", server.endpoint,
                           "--cli-read-timeout", "60", "--cli-connect-timeout", "10",
                           "--image-bytes", "fileb://" + os.path.join(SAMPLES, "sample1.jpg")]
                seen = []
                for _ in range(8):
                    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
                    seen.append((result.returncode, result.stderr.strip()[-300:]))
                    if "ThrottlingException" in result.stderr:
                        break
                    assert result.returncode == 0, seen
                assert "ThrottlingException" in seen[-1][1], f"the AWS CLI was never throttled: {seen}"
                assert seen[-1][0] != 0
    # the queue drains: the next call succeeds
    assert client.detect_faces(Image={"Bytes": sample_bytes(1)})["FaceDetails"]


# ---------------------------------------------------------------------------------------------------
# 7. Date and x-amzn-RequestId everywhere


def test_every_response_has_date_and_request_id(default_server, throttled_server):
    server, key = default_server
    client = server.client(key)

    ok = client.list_collections()
    assert ok["ResponseMetadata"]["RequestId"]
    uuid.UUID(ok["ResponseMetadata"]["RequestId"])
    assert email.utils.parsedate_to_datetime(ok["ResponseMetadata"]["HTTPHeaders"]["date"])

    with pytest.raises(ClientError) as error:
        client.describe_collection(CollectionId="no-such-collection")
    meta = error.value.response["ResponseMetadata"]
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    uuid.UUID(meta["RequestId"])
    assert email.utils.parsedate_to_datetime(meta["HTTPHeaders"]["date"])

    ids = set()
    r, _ = raw_exchange(server.port, get_request("/healthz"), close_wait=0)
    assert r.status == 200
    ids.add(check_common_headers(r, "/healthz"))
    r, _ = raw_exchange(server.port, get_request("/no/such/page"))
    assert r.status == 404
    ids.add(check_common_headers(r, "404"))
    r, _ = raw_exchange(server.port, get_request("/healthz", b"X-Big: " + b"a" * (20 * 1024) + b"\r\n"))
    assert r.status == 431
    ids.add(check_common_headers(r, "431"))
    r, _ = raw_exchange(server.port, get_request("/healthz", b"Content-Length: 1\r\nContent-Length: 1\r\n"))
    assert r.status == 400
    ids.add(check_common_headers(r, "400 on framing"))

    busy, busy_key = throttled_server
    with flood(busy, busy_key):
        request = signed_raw_request(busy, busy_key, "DetectFaces", detect_payload(sample_bytes(1)))
        for _ in range(200):
            r, _ = raw_exchange(busy.port, request, close_wait=0)
            if r.status == 503:
                break
        assert r.status == 503, "never throttled"
        assert r.json()["__type"] == "ThrottlingException" and int(r.header("retry-after")) >= 1
        ids.add(check_common_headers(r, "503"))
    assert len(ids) == 5, "request ids repeat"

    # the request id a client sees is the one in the server's log line
    created = client.create_collection(CollectionId="edge-" + uuid.uuid4().hex[:8])
    request_id = created["ResponseMetadata"]["RequestId"]
    deadline = time.monotonic() + 10
    line = None
    while time.monotonic() < deadline and line is None:
        for candidate in server.log_bytes().decode("utf-8", "replace").splitlines():
            if request_id in candidate:
                line = candidate
        time.sleep(0.05)
    assert line is not None, f"request id {request_id} is not in the server log"
    assert "CreateCollection" in line and " 200 " in line, line
