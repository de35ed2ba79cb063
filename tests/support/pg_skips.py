# SPDX-License-Identifier: MIT
"""pytest plugin (`-p pg_skips`, with tests/support on PYTHONPATH) for the compat and flows suites run
on PostgreSQL (FACEGATE_TEST_PG_HOST set by with_postgres.py): skips, saying why, the few tests that
check a FILE of the SQLite data directory, or a single node's in-memory bookkeeping, rather than a
behaviour a shared store has. Without FACEGATE_TEST_PG_HOST it
does nothing. Every entry names where the same property is checked on PostgreSQL."""
import os

import pytest

SQLITE_ONLY = {
    "flows/test_data_protection.py::test_audit_rows_are_capped":
        "reads DATA/facegate.db with sqlite3; on PostgreSQL the audit rows are in the database: "
        "tests/cluster/test_cluster_input.py::test_audit_rows_are_capped_in_postgresql checks the same caps there",
    "flows/test_data_protection.py::test_demo_sessions_are_capped_and_rate_limited":
        "a single node keeps its demo sessions in memory, capped; on a shared store they are stateless signed "
        "tokens (nothing kept per session, so no cap): tests/cluster/test_cluster_demo.py checks the creation "
        "limit across nodes and that forged or foreign tokens are refused",
}


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("FACEGATE_TEST_PG_HOST"):
        return
    for item in items:
        path = os.path.abspath(str(item.fspath))
        key = f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}::{item.name}"
        if key in SQLITE_ONLY:
            item.add_marker(pytest.mark.skip(reason=f"on PostgreSQL: {SQLITE_ONLY[key]}"))
