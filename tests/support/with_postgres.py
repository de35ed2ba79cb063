#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""with_postgres.py CMD [ARGS...]

Starts a throw-away PostgreSQL 15 (tests/support/postgres.py), runs CMD with
  FACEGATE_TEST_PG_HOST  the server's socket directory (tests/support/facegate_on_postgres reads it)
  FACEGATE_KEK           a random key-encryption key (64 hex digits): a PostgreSQL store needs one
then stops and removes the server and exits with CMD's status. When PostgreSQL cannot be started it
says why on stderr and exits 1: the tests fail, they do not skip."""
import os
import secrets
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postgres import PostgresError, PostgresServer  # noqa: E402


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    server = PostgresServer()
    child = None

    def on_signal(signum, frame):
        # ctest's timeout or ^C: pass it on to CMD, then clean up in `finally`
        if child is not None and child.poll() is None:
            child.send_signal(signum)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        try:
            server.start()
        except PostgresError as e:
            print(f"with_postgres.py: PostgreSQL could not be started: {e}", file=sys.stderr)
            return 1
        env = dict(os.environ)
        env["FACEGATE_TEST_PG_HOST"] = server.host
        env.setdefault("FACEGATE_KEK", secrets.token_hex(32))
        print(f"with_postgres.py: PostgreSQL 15 on {server.host}", file=sys.stderr, flush=True)
        child = subprocess.Popen(argv, env=env)
        return child.wait()
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        server.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
