# SPDX-License-Identifier: MIT
"""A throw-away PostgreSQL 15 (Debian's postgresql-15) for the tests.

`initdb` in a fresh directory under /tmp, run as the `postgres` user when we are root (`runuser -u
postgres --`), listening only on a Unix socket in that directory (no TCP), fsync off. The server is
stopped and its directory removed by `destroy()` (or at the end of a `with` block).

When PostgreSQL cannot be started, `PostgresError` is raised with the output of initdb / pg_ctl and
the server log: tests that need PostgreSQL fail with that reason, they never skip.

    pg = PostgresServer()
    pg.start()
    pg.create_database("fg_test")
    uri = pg.uri("fg_test")       # postgresql:///fg_test?host=/tmp/facegate-pg-.../&user=postgres
    pg.stop(); pg.start()         # the same cluster again (data kept)
    pg.destroy()

The module-level `create_database(host, name)`, `database_uri(host, name)` and `psql(host, db, sql)`
work on any such server given its socket directory (FACEGATE_TEST_PG_HOST).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

PG_BIN = os.environ.get("FACEGATE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin")
SUPERUSER = "postgres"
PORT = 5432  # only names the socket file (.s.PGSQL.5432) in the server's own directory: no TCP


class PostgresError(RuntimeError):
    """PostgreSQL could not be started, stopped or asked something; the message says why."""


def _is_root() -> bool:
    return os.geteuid() == 0


def _client_env() -> dict:
    # libpq reads PG* variables: only what we pass counts
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.setdefault("LC_ALL", "C.UTF-8")
    return env


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SUPERUSER, "--", *cmd] if _is_root() else cmd


def _run(cmd: list[str], what: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or _client_env(),
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError as e:
        raise PostgresError(f"{what}: {e} (is Debian's postgresql-15 installed? scripts/setup.sh installs it)") from e
    except subprocess.TimeoutExpired as e:
        raise PostgresError(f"{what}: no answer in {timeout} s: {cmd}\n{e.stdout or ''}{e.stderr or ''}") from e
    return done


def database_uri(host: str, dbname: str) -> str:
    """the libpq URI of database `dbname` on the server whose socket directory is `host`"""
    query = urllib.parse.urlencode({"host": host, "user": SUPERUSER}, safe="/")
    return f"postgresql:///{urllib.parse.quote(dbname)}?{query}"


def psql(host: str, dbname: str, sql: str, timeout: float = 60) -> str:
    """runs `sql` with psql (-X, ON_ERROR_STOP, unaligned tuples only); its stdout, or PostgresError"""
    cmd = [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host,
           "-p", str(PORT), "-U", SUPERUSER, "-d", dbname, "-c", sql]
    done = _run(cmd, "psql", timeout=timeout)
    if done.returncode != 0:
        raise PostgresError(f"psql -d {dbname} -c {sql!r} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _valid_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def database_exists(host: str, name: str) -> bool:
    _valid_name(name)
    return psql(host, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"


def create_database(host: str, name: str, exist_ok: bool = False) -> None:
    """CREATE DATABASE name; with exist_ok, one that exists already (another process's, a race) is fine"""
    _valid_name(name)
    try:
        psql(host, "postgres", f'CREATE DATABASE "{name}"')
    except PostgresError as e:
        # two CREATE DATABASE at once: "already exists", or the unique index of pg_database
        if exist_ok and database_exists(host, name):
            return
        raise PostgresError(f"CREATE DATABASE {name} on {host}: {e}") from e


class PostgresServer:
    """one PostgreSQL cluster in its own directory under /tmp, reachable only on its Unix socket there"""

    def __init__(self, max_connections: int = 200, extra_settings: dict | None = None):
        self.max_connections = max_connections
        self.extra_settings = dict(extra_settings or {})
        self.dir: str | None = None  # the socket directory (the cluster lives in DIR/data)
        self.running = False

    # ------------------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        if not self.dir:
            raise PostgresError("the PostgreSQL server was never started")
        return self.dir

    @property
    def data_dir(self) -> str:
        return os.path.join(self.host, "data")

    @property
    def log_path(self) -> str:
        return os.path.join(self.host, "postgres.log")

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "\n".join(f.read().splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _init(self) -> None:
        initdb = os.path.join(PG_BIN, "initdb")
        if not os.access(initdb, os.X_OK):
            raise PostgresError(f"{initdb} not found: PostgreSQL 15 from Debian (postgresql-15) is needed; "
                                "scripts/setup.sh installs it")
        # /tmp, never $TMPDIR: the postgres user must be able to reach the directory (pytest's
        # /tmp/pytest-of-root is 0700 root); mkdtemp makes it 0700
        self.dir = tempfile.mkdtemp(prefix="facegate-pg-", dir="/tmp")
        if _is_root():
            try:
                shutil.chown(self.dir, user=SUPERUSER, group=None)
            except (LookupError, PermissionError) as e:
                raise PostgresError(f"cannot give {self.dir} to the {SUPERUSER} user: {e}") from e
        done = _run(_as_postgres([initdb, "-D", self.data_dir, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                                  "--locale=C", "--no-sync"]), "initdb")
        if done.returncode != 0:
            raise PostgresError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.dir}'",
            "port": str(PORT),
            "max_connections": str(self.max_connections),
            # fsync off: a commit reaches the OS, not the disk; nothing acknowledged is lost when the
            # server is killed (stop -m immediate), only when the machine crashes. synchronous_commit
            # stays on: off would lose acknowledged commits on an immediate stop
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "'64MB'",
            "log_min_messages": "warning",
            **{k: str(v) for k, v in self.extra_settings.items()},
        }
        conf = os.path.join(self.data_dir, "postgresql.conf")
        try:
            with open(conf, "a") as f:
                f.write("\n# facegate tests\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
        except OSError as e:
            raise PostgresError(f"cannot write {conf}: {e}") from e

    def start(self, timeout: float = 60) -> "PostgresServer":
        """initdb (the first time) and start; waits until it accepts connections"""
        if self.running:
            return self
        if self.dir is None:
            self._init()
        pg_ctl = os.path.join(PG_BIN, "pg_ctl")
        done = _run(_as_postgres([pg_ctl, "start", "-w", "-t", str(int(timeout)), "-D", self.data_dir,
                                  "-l", self.log_path]), "pg_ctl start", timeout=timeout + 30)
        if done.returncode != 0:
            raise PostgresError(f"pg_ctl start failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                                f"server log:\n{self.log_tail()}")
        self.running = True
        # pg_ctl -w waits for the postmaster to accept; check it answers queries too
        deadline = time.monotonic() + timeout
        while True:
            try:
                psql(self.host, "postgres", "SELECT 1", timeout=10)
                return self
            except PostgresError as e:
                if time.monotonic() > deadline:
                    raise PostgresError(f"PostgreSQL started but does not answer: {e}\n{self.log_tail()}") from e
                time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        """stops the server (fast: disconnects clients and shuts down cleanly; immediate: no shutdown
        checkpoint, as a crash); the data stays for start()"""
        if not self.running:
            return
        pg_ctl = os.path.join(PG_BIN, "pg_ctl")
        done = _run(_as_postgres([pg_ctl, "stop", "-w", "-m", mode, "-D", self.data_dir]), "pg_ctl stop")
        if done.returncode != 0:
            raise PostgresError(f"pg_ctl stop -m {mode} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        self.running = False

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        """stops the server (immediate when fast does not work) and removes its directory"""
        if self.dir is None:
            return
        try:
            self.stop("fast")
        except PostgresError:
            try:
                self.stop("immediate")
            except PostgresError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self.running = False

    # ------------------------------------------------------------------------------------------
    def create_database(self, name: str, exist_ok: bool = False) -> str:
        """creates database `name`; returns its URI"""
        create_database(self.host, name, exist_ok=exist_ok)
        return self.uri(name)

    def uri(self, dbname: str) -> str:
        return database_uri(self.host, dbname)

    def psql(self, dbname: str, sql: str) -> str:
        return psql(self.host, dbname, sql)

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.destroy()
