# SPDX-License-Identifier: MIT
"""A throw-away CA and server certificates for 127.0.0.1 / localhost, made with the openssl command line,
for the TLS tests (tests/server/test_tls.py, test_graceful_stop.py)."""
import os
import subprocess
from dataclasses import dataclass

# what every server certificate carries: the names the tests connect with, and a server's key usage
SERVER_EXTENSIONS = """subjectAltName=IP:127.0.0.1,DNS:localhost
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""


@dataclass
class ServerCertificate:
    cert: str     # PEM certificate
    key: str      # PEM private key
    serial: str   # as Python's ssl getpeercert() spells it: upper-case hex, no 0x
    subject: str  # the common name


@dataclass
class Certificates:
    ca: str                    # the CA certificate (PEM): what clients trust
    first: ServerCertificate   # serial 1001
    second: ServerCertificate  # the same CA and names, another serial, key and subject (the swap test)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, text=True)


def make_certificates(directory):
    """an EC P-256 CA, and two server certificates it signed, in directory (valid for two days)"""
    os.makedirs(directory, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=facegate test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=directory)
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write(SERVER_EXTENSIONS)
    servers = []
    for n, serial in ((1, 0x1001), (2, 0x2002)):
        subject = f"facegate test server {n}"
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"server{n}.key", "-out", f"server{n}.csr", "-subj", f"/CN={subject}", cwd=directory)
        openssl("x509", "-req", "-in", f"server{n}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", str(serial),
                "-days", "2", "-extfile", "server.ext", "-out", f"server{n}.pem", cwd=directory)
        servers.append(ServerCertificate(os.path.join(directory, f"server{n}.pem"), os.path.join(directory, f"server{n}.key"),
                                         f"{serial:X}", subject))
    return Certificates(os.path.join(directory, "ca.pem"), *servers)


def copy_file(source, target):
    """overwrites target in place (same inode), as an operator's cp would"""
    with open(source, "rb") as f:
        data = f.read()
    with open(target, "wb") as f:
        f.write(data)
