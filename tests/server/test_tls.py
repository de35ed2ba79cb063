# SPDX-License-Identifier: MIT
"""HTTPS on a real `facegate serve --tls-cert --tls-key` on loopback, with a CA and certificates made by
the openssl command line: boto3 and the AWS CLI trusting that CA, TLS 1.2 and 1.3 only, plain HTTP and
a silent client closed by the header deadline, and the certificate swapped on SIGHUP (open connections
keep theirs, new ones get the new one, a file that does not load changes nothing)."""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from server_process import Server, create_key, sample_bytes
from tls_certs import copy_file, make_certificates

HEADER_TIMEOUT = 2.0  # seconds: short, so that the deadline tests are quick
AWS_CLI = Path(os.environ.get("FACEGATE_AWS_CLI", "/usr/bin/aws"))


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(str(tmp_path_factory.mktemp("certs")))


@pytest.fixture(scope="module")
def tls_server(certs):
    with tempfile.TemporaryDirectory() as data:
        key = create_key(data)
        server = Server(data, verify=certs.ca,
                        extra_args=("--tls-cert", certs.first.cert, "--tls-key", certs.first.key,
                                    "--header-timeout", str(HEADER_TIMEOUT)))
        server.key = key
        try:
            yield server
        finally:
            server.stop()


def tls_connect(server, context, server_hostname="127.0.0.1"):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        return context.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


def healthz_over(sock):
    """GET /healthz on a connected (TLS) socket; the raw response"""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def wait_closed(sock, limit):
    """reads until the server closes the connection; (seconds it took, bytes received). Fails past limit."""
    sock.settimeout(limit)
    start, data = time.monotonic(), b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        pytest.fail(f"the server kept the connection open for more than {limit} s")
    return time.monotonic() - start, data


def test_the_server_says_https(tls_server):
    assert tls_server.scheme == "https" and tls_server.endpoint.startswith("https://127.0.0.1:")
    assert f"listening on https://127.0.0.1:{tls_server.port}" in open(tls_server.log_path).read()


def test_boto3_trusting_the_ca_indexes_and_searches(tls_server):
    client = tls_server.client(tls_server.key)  # verify=CA: the certificate is checked, not ignored
    client.create_collection(CollectionId="tls")
    indexed = client.index_faces(CollectionId="tls", Image={"Bytes": sample_bytes(1)}, ExternalImageId="sample1",
                                 QualityFilter="NONE")
    assert indexed["FaceRecords"], "no face indexed"
    ids = {r["Face"]["FaceId"] for r in indexed["FaceRecords"]}
    found = client.search_faces_by_image(CollectionId="tls", Image={"Bytes": sample_bytes(1)}, FaceMatchThreshold=90)
    assert found["FaceMatches"] and found["FaceMatches"][0]["Face"]["FaceId"] in ids
    assert found["FaceMatches"][0]["Similarity"] > 95


def test_boto3_without_the_ca_refuses_the_certificate(tls_server):
    # the system trust store does not know the test CA: the certificate check is real
    client = boto3.client("rekognition", endpoint_url=tls_server.endpoint, region_name="us-east-1", verify=True,
                          aws_access_key_id=tls_server.key["accessKeyId"],
                          aws_secret_access_key=tls_server.key["secretAccessKey"],
                          config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30))
    with pytest.raises(botocore.exceptions.SSLError):
        client.list_collections()


@pytest.mark.skipif(not AWS_CLI.is_file(), reason=f"{AWS_CLI} is absent: install Debian's awscli")
def test_aws_cli_with_ca_bundle_lists_collections(tls_server, tmp_path):
    tls_server.client(tls_server.key).create_collection(CollectionId="tls-cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": tls_server.key["accessKeyId"],
                "AWS_SECRET_ACCESS_KEY": tls_server.key["secretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
                "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"})
    command = [str(AWS_CLI), "--endpoint-url", tls_server.endpoint, "--ca-bundle", tls_server.verify, "--output", "json",
               "rekognition", "list-collections"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "tls-cli" in json.loads(result.stdout)["CollectionIds"]


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_1_2_and_1_3_are_accepted(tls_server, version):
    context = tls_server.ssl_context()
    context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    with tls_connect(tls_server, context) as sock:
        assert sock.version() == version.replace("_", ".")
        response = healthz_over(sock)
    assert response.startswith(b"HTTP/1.1 200 ") and response.endswith(b'{"status":"ok"}')


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_tls_1_0_and_1_1_are_refused(tls_server, version):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the very point of the test
        context = tls_server.ssl_context()
        try:
            context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
            # Debian's OpenSSL refuses to offer TLS 1.0/1.1 at its default security level
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        except (ValueError, ssl.SSLError) as e:
            pytest.skip(f"this Python/OpenSSL cannot offer {version}: {e}")
    with pytest.raises(ssl.SSLError) as refused:
        sock = tls_connect(tls_server, context)
        sock.close()  # reached only if the server accepted: pytest.raises then fails
    if refused.value.reason == "NO_PROTOCOLS_AVAILABLE":
        pytest.skip(f"the local OpenSSL cannot offer {version}: {refused.value}")
    # the server answered the hello with a protocol_version alert (or a version the client cannot take)
    assert refused.value.reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "WRONG_SSL_VERSION"), \
        refused.value


def test_plain_http_to_the_tls_port_is_closed_without_an_answer(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        seconds, data = wait_closed(sock, HEADER_TIMEOUT + 3)
    # not a TLS ClientHello: the handshake fails at once (at the latest, the header deadline closes it)
    assert seconds <= HEADER_TIMEOUT + 1, f"closed after {seconds:.1f} s"
    assert not data.startswith(b"HTTP/"), "a plain-HTTP answer on the TLS port"
    assert b"status" not in data


def test_a_silent_tls_client_is_closed_at_the_header_deadline(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as sock:
        seconds, data = wait_closed(sock, HEADER_TIMEOUT + 5)  # connects and sends nothing, never a ClientHello
    assert HEADER_TIMEOUT * 0.8 <= seconds <= HEADER_TIMEOUT + 1.5, f"closed after {seconds:.1f} s"
    assert data == b""


def test_a_stalled_handshake_is_closed_at_the_header_deadline(tls_server):
    # half a ClientHello: a TLS record header announcing 512 bytes, then nothing
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as sock:
        sock.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]))
        seconds, _ = wait_closed(sock, HEADER_TIMEOUT + 5)
    assert HEADER_TIMEOUT * 0.8 <= seconds <= HEADER_TIMEOUT + 1.5, f"closed after {seconds:.1f} s"
    # and the server is fine
    with tls_connect(tls_server, tls_server.ssl_context()) as sock:
        assert healthz_over(sock).startswith(b"HTTP/1.1 200 ")


# ---- the certificate swap on SIGHUP ----

def log_count(server, text):
    with open(server.log_path) as f:
        return f.read().count(text)


def sighup_and_wait(server, text, before):
    """sends SIGHUP and waits for the log line that says what the reload did"""
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while log_count(server, text) <= before:
        assert server.proc.poll() is None, "the server died on SIGHUP"
        assert time.monotonic() < deadline, f"no '{text}' in the log after SIGHUP"
        time.sleep(0.02)


def new_connection_certificate(server):
    """(serial, common name) of the certificate a new connection is given, after a request on it"""
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=server.ssl_context(), timeout=10)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert response.status == 200 and response.read() == b'{"status":"ok"}'
        return peer(connection.sock)
    finally:
        connection.close()


def peer(sock):
    cert = sock.getpeercert()
    return cert["serialNumber"], dict(pair[0] for pair in cert["subject"])["commonName"]


RELOADED = "TLS certificate reloaded"
RELOAD_FAILED = "TLS reload failed, keeping the current certificate"


def test_sighup_swaps_the_certificate_for_new_connections_only(certs, tmp_path):
    # the server reads its own copies, which the test overwrites as an operator renewing them would
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    copy_file(certs.first.cert, cert)
    copy_file(certs.first.key, key)
    data = tmp_path / "data"
    data.mkdir()
    server = Server(str(data), verify=certs.ca,
                    extra_args=("--tls-cert", cert, "--tls-key", key, "--idle-timeout", "60"))
    try:
        kept = http.client.HTTPSConnection("127.0.0.1", server.port, context=server.ssl_context(), timeout=10)
        kept.request("GET", "/healthz")
        assert kept.getresponse().read() == b'{"status":"ok"}'
        kept_socket = kept.sock
        assert peer(kept_socket) == (certs.first.serial, certs.first.subject)

        # renewal: the new certificate and key over the old files, then SIGHUP
        copy_file(certs.second.cert, cert)
        copy_file(certs.second.key, key)
        sighup_and_wait(server, RELOADED, log_count(server, RELOADED))

        # the open connection keeps its session and certificate: same socket, another request
        kept.request("GET", "/healthz")
        response = kept.getresponse()
        assert response.status == 200 and response.read() == b'{"status":"ok"}'
        assert kept.sock is kept_socket, "the kept-alive connection was replaced"
        assert peer(kept.sock) == (certs.first.serial, certs.first.subject)
        # a new connection gets the new one
        assert new_connection_certificate(server) == (certs.second.serial, certs.second.subject)

        # a certificate file that does not load: the current certificate stays in service
        with open(cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        sighup_and_wait(server, RELOAD_FAILED, log_count(server, RELOAD_FAILED))
        assert new_connection_certificate(server) == (certs.second.serial, certs.second.subject)

        # a certificate with the wrong key (renewal half done): refused too, still the current one
        copy_file(certs.first.cert, cert)
        sighup_and_wait(server, RELOAD_FAILED, log_count(server, RELOAD_FAILED))
        assert new_connection_certificate(server) == (certs.second.serial, certs.second.subject)

        # and the first connection still serves after all of that
        kept.request("GET", "/healthz")
        assert kept.getresponse().read() == b'{"status":"ok"}'
        assert kept.sock is kept_socket
        kept.close()

        # once the files are right again, SIGHUP takes them
        copy_file(certs.first.key, key)
        sighup_and_wait(server, RELOADED, log_count(server, RELOADED))
        assert new_connection_certificate(server) == (certs.first.serial, certs.first.subject)
        assert server.proc.poll() is None
    finally:
        server.stop()
    assert server.proc.returncode == 0
