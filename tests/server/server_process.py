# SPDX-License-Identifier: MIT
"""Starts and stops a real `facegate serve` on loopback for the server tests, with its own data
directory and access key, and builds boto3 clients for it (Debian's python3-boto3)."""
import json
import os
import re
import signal
import ssl
import subprocess
import time
import urllib.request

import boto3
from botocore.config import Config

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FACEGATE = os.environ.get("FACEGATE_BIN", os.path.join(PROJECT, "build", "bin", "facegate"))
SAMPLES = os.path.join(PROJECT, "testdata", "samples")


def sample_bytes(n):
    with open(os.path.join(SAMPLES, f"sample{n}.jpg"), "rb") as f:
        return f.read()


# the line `facegate serve` prints once it listens: http, or https with --tls-cert/--tls-key
LISTENING = re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+)")


def create_key(data_dir):
    out = subprocess.run([FACEGATE, "keys", "create", "--data", data_dir], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


class Server:
    """a facegate server process on 127.0.0.1 with a free port. With --tls-cert/--tls-key among extra_args
    it serves https (`scheme`, `endpoint` follow); `verify` is then the CA bundle clients check its
    certificate with (None: boto3's default trust store)"""

    def __init__(self, data_dir, port=0, extra_args=(), verify=None):
        self.data_dir = data_dir
        self.verify = verify
        self.scheme = "http"
        self.log_path = os.path.join(data_dir, f"server-{time.time_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([FACEGATE, "serve", "--data", data_dir, "--listen", f"127.0.0.1:{port}", *extra_args],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()
        self.endpoint = f"{self.scheme}://127.0.0.1:{self.port}"

    def ssl_context(self):
        """for https: a client context trusting `verify` (with verify None, one that checks nothing)"""
        if self.verify:
            return ssl.create_default_context(cafile=self.verify)
        return ssl._create_unverified_context()

    def _wait_for_port(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {open(self.log_path).read()}")
            with open(self.log_path) as f:
                m = LISTENING.search(f.read())
            if m:
                self.scheme, port = m.group(1), int(m.group(2))
                context = self.ssl_context() if self.scheme == "https" else None
                urllib.request.urlopen(f"{self.scheme}://127.0.0.1:{port}/healthz", timeout=5, context=context).read()
                return port
            time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def client(self, key):
        return boto3.client("rekognition", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key["accessKeyId"], aws_secret_access_key=key["secretAccessKey"],
                            verify=self.verify,
                            config=Config(retries={"max_attempts": 1}, read_timeout=120, connect_timeout=10))

    @property
    def pid(self):
        return self.proc.pid

    def rss_kb(self):
        """the server's resident set size (VmRSS of /proc/PID/status) in kB"""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc/%d/status" % self.proc.pid)

    def log_bytes(self):
        """everything the server wrote to stdout and stderr so far, as bytes"""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()

    def metrics_text(self, timeout=30, token=None):
        """GET /metrics; token: a Bearer key (an admin API key) for servers that ask for one"""
        request = urllib.request.Request(f"{self.endpoint}/metrics")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.read().decode("utf-8", "replace")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
