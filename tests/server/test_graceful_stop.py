# SPDX-License-Identifier: MIT
"""SIGTERM on a real `facegate serve`: it stops accepting, lets the requests in flight finish and answer
within --shutdown-timeout, and exits 0. Every IndexFaces that was answered 200 is there after a restart
on the same data directory; requests after the stop fail to connect at once (never hang); idle and
silent connections, plain or TLS, do not hold the exit back."""
import itertools
import re
import socket
import ssl
import tempfile
import threading
import time
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from server_process import Server, create_key, sample_bytes
from tls_certs import make_certificates

SHUTDOWN_TIMEOUT = 10  # seconds, the default, given explicitly
MARGIN = 5             # process exit, lanes draining, a loaded 2-core machine
WRITERS = 3            # more than the analysis workers: there is always something in flight and queued
METRICS_KEY = "graceful-stop-test-metrics-key"

CONNECTION_ERRORS = (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                     ConnectionError)


def wait_exit(server, limit):
    """seconds until the server process exits; fails (and kills it) past limit"""
    start = time.monotonic()
    try:
        server.proc.wait(timeout=limit)
    except Exception:
        server.proc.kill()
        server.proc.wait()
        pytest.fail(f"the server did not exit within {limit} s of SIGTERM:\n{open(server.log_path).read()[-3000:]}")
    return time.monotonic() - start


def log_text(server):
    with open(server.log_path) as f:
        return f.read()


def analyses_running(server):
    request = urllib.request.Request(f"{server.endpoint}/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        m = re.search(r"^facegate_analysis_lane_running(?:\{[^}]*\})? ([0-9.e+]+)$", r.read().decode(), re.M)
    return float(m.group(1)) if m else 0.0


def probe_after_stop(port):
    """a new connection once the server logged that it is stopping: refused, or closed unanswered"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.settimeout(5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            data = sock.recv(4096)
    except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
        return "refused"
    except socket.timeout:
        return "hang"
    return "answered" if data.startswith(b"HTTP/") else "closed"


def list_face_ids(client, collection):
    ids, token = [], None
    while True:
        kwargs = {"CollectionId": collection, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        page = client.list_faces(**kwargs)
        ids.extend(f["FaceId"] for f in page["Faces"])
        token = page.get("NextToken")
        if not token:
            return ids


def test_sigterm_mid_stream_finishes_in_flight_requests_and_loses_no_acknowledged_face():
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data, extra_args=("--shutdown-timeout", str(SHUTDOWN_TIMEOUT), "--metrics-key", METRICS_KEY))
        server.client(key).create_collection(CollectionId="stream")
        lock = threading.Lock()
        acknowledged = {}  # ExternalImageId -> FaceIds, answered 200
        calls = []         # (writer, start, end, outcome) of every IndexFaces call, monotonic seconds
        started = threading.Event()

        def writer(n):
            client = server_client(server, key)
            for i in itertools.count():
                external_id = f"w{n}-{i}"
                t0 = time.monotonic()
                try:
                    r = client.index_faces(CollectionId="stream", Image={"Bytes": sample_bytes(1 + (n + i) % 6)},
                                           ExternalImageId=external_id, QualityFilter="NONE")
                    outcome = "200"
                    with lock:
                        acknowledged[external_id] = [f["Face"]["FaceId"] for f in r["FaceRecords"]]
                    started.set()
                except botocore.exceptions.ClientError as e:
                    # 503 at admission is not an acknowledgement: try again; anything else is reported
                    outcome = "503" if e.response["Error"]["Code"] == "ThrottlingException" else repr(e)
                except CONNECTION_ERRORS as e:
                    outcome = type(e).__name__  # refused, or the connection closed: the stream ends here
                except botocore.exceptions.ReadTimeoutError:
                    outcome = "hang"
                except Exception as e:  # reported below
                    outcome = repr(e)
                with lock:
                    calls.append((n, t0, time.monotonic(), outcome))
                if outcome not in ("200", "503"):
                    return

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
        for t in threads:
            t.start()
        try:
            assert started.wait(120), "no IndexFaces answered within 120 s"
            deadline = time.monotonic() + 120
            while len(acknowledged) < 2 * WRITERS and time.monotonic() < deadline:
                assert all(t.is_alive() for t in threads), calls[-3:]
                time.sleep(0.05)
            # SIGTERM while analyses run
            while analyses_running(server) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            sigterm_at = time.monotonic()
            server.proc.terminate()

            # once it says it is stopping, nothing new is served
            while "stopping: no new connections" not in log_text(server) and server.proc.poll() is None:
                assert time.monotonic() - sigterm_at < 5, "no 'stopping' line within 5 s of SIGTERM"
                time.sleep(0.005)
            assert probe_after_stop(server.port) in ("refused", "closed")

            exit_seconds = wait_exit(server, SHUTDOWN_TIMEOUT + MARGIN)
            for t in threads:
                t.join(timeout=SHUTDOWN_TIMEOUT + MARGIN)
            assert not any(t.is_alive() for t in threads), "a client call hung after the stop"
        finally:
            server.stop()
        log = log_text(server)
        calls.sort(key=lambda c: c[1])
        summary = [(n, round(t0 - sigterm_at, 3), round(t1 - sigterm_at, 3), outcome)
                   for n, t0, t1, outcome in calls if t1 > sigterm_at - 1]
        print(f"{len(acknowledged)} IndexFaces answered; exit {exit_seconds:.2f} s after SIGTERM; "
              f"calls around it (writer, start, end, outcome; seconds from SIGTERM): {summary}")

        assert server.proc.returncode == 0, f"exit status {server.proc.returncode}:\n{log[-3000:]}"
        assert exit_seconds <= SHUTDOWN_TIMEOUT + MARGIN
        assert "still open after the shutdown timeout" not in log
        outcomes = {outcome for *_, outcome in calls}
        assert outcomes <= {"200", "503", "EndpointConnectionError", "ConnectionClosedError", "ConnectionError"}, \
            summary
        # requests in flight at SIGTERM were finished and answered: every call begun well before it got
        # its answer, and some answers came after it
        assert all(outcome in ("200", "503") for _, t0, _, outcome in calls if t0 < sigterm_at - 0.5), summary
        assert any(outcome == "200" and t1 > sigterm_at for _, _, t1, outcome in calls), summary
        # every writer's stream ended on a connection error (refused, or its kept-alive connection closed),
        # and promptly: none waited for a read timeout
        assert all(t1 - t0 <= SHUTDOWN_TIMEOUT + MARGIN for _, t0, t1, _ in calls), summary
        # and now the port is closed: a request fails at once
        t0 = time.monotonic()
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            server_client(server, key).list_collections()
        assert time.monotonic() - t0 < 5

        # nothing answered 200 was lost
        server = Server(data)
        try:
            stored = list_face_ids(server.client(key), "stream")
        finally:
            server.stop()
        answered = {face for faces in acknowledged.values() for face in faces}
        assert answered, "no face acknowledged"
        missing = answered - set(stored)
        assert not missing, f"{len(missing)} of {len(answered)} acknowledged faces missing after the restart"
        assert len(stored) == len(set(stored))


def server_client(server, key):
    """a client that never retries (each call is one request, so what the server did to it shows) and
    whose calls end within the stop's bounds: a read timeout would be a hang"""
    return boto3.client("rekognition", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key["accessKeyId"], aws_secret_access_key=key["secretAccessKey"],
                        verify=server.verify,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                                      read_timeout=SHUTDOWN_TIMEOUT + MARGIN))


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(str(tmp_path_factory.mktemp("certs")))


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_idle_and_silent_connections_do_not_delay_the_exit(scheme, certs, tmp_path):
    # long header and idle deadlines: if the stop waited for them, it would show
    args = ["--shutdown-timeout", str(SHUTDOWN_TIMEOUT), "--idle-timeout", "30", "--header-timeout", "30"]
    if scheme == "https":
        args += ["--tls-cert", certs.first.cert, "--tls-key", certs.first.key]
    server = Server(str(tmp_path), extra_args=args, verify=certs.ca)
    assert server.scheme == scheme
    opened = []
    try:
        # a kept-alive connection after one request
        kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        if scheme == "https":
            kept = server.ssl_context().wrap_socket(kept, server_hostname="127.0.0.1")
        opened.append(kept)
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        response = b""
        while not response.endswith(b'{"status":"ok"}'):
            chunk = kept.recv(4096)
            assert chunk, "closed before the answer"
            response += chunk
        assert b"connection: close" not in response.lower()
        # a connection that sent nothing (for https: still in its handshake)
        opened.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        if scheme == "https":
            # handshake done, no request yet
            opened.append(server.ssl_context().wrap_socket(socket.create_connection(("127.0.0.1", server.port), timeout=10),
                                                           server_hostname="127.0.0.1"))
        time.sleep(0.2)  # all accepted

        server.proc.terminate()
        seconds = wait_exit(server, SHUTDOWN_TIMEOUT + MARGIN)
        assert server.proc.returncode == 0, log_text(server)[-3000:]
        assert seconds < 2, f"the exit took {seconds:.1f} s with idle connections open"
        # each of them was closed by the server, unanswered
        for sock in opened:
            sock.settimeout(2)
            try:
                rest = sock.recv(4096)
            except (ConnectionResetError, ssl.SSLError):
                rest = b""
            assert rest == b"", rest
    finally:
        for sock in opened:
            sock.close()
        server.stop()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_request_begun_before_sigterm_is_answered(scheme, certs, tmp_path):
    # a kept-alive connection whose next request has started to arrive is not idle: the stop lets it
    # finish and answers it (Connection: close) rather than dropping what the client already sent
    args = ["--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
    if scheme == "https":
        args += ["--tls-cert", certs.first.cert, "--tls-key", certs.first.key]
    server = Server(str(tmp_path), extra_args=args, verify=certs.ca)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        if scheme == "https":
            sock = server.ssl_context().wrap_socket(sock, server_hostname="127.0.0.1")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):
            chunk = sock.recv(4096)
            assert chunk, "closed before the first answer"
            first += chunk
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the header block is not finished
        time.sleep(0.2)
        server.proc.terminate()
        while "stopping: no new connections" not in log_text(server):
            assert server.proc.poll() is None or "stopping" in log_text(server), "the server exited without stopping"
            time.sleep(0.01)
        time.sleep(0.2)
        try:
            sock.sendall(b"User-Agent: graceful-stop-test\r\n\r\n")
            second = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                second += chunk
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
            pytest.fail(f"the request begun before SIGTERM was dropped: {e!r}")
        assert second.startswith(b"HTTP/1.1 200 "), f"the request begun before SIGTERM was not answered: {second!r}"
        assert b"connection: close" in second.lower()
        seconds = wait_exit(server, SHUTDOWN_TIMEOUT + MARGIN)
        assert server.proc.returncode == 0 and seconds < 2
    finally:
        sock.close()
        server.stop()
