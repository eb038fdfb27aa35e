"""pytest wiring for the real servers: one of each per session, isolated per test.

A server that cannot start skips its tests on a developer's machine and fails
them in CI (``CI`` set, or ``TRIGGERHUB_REQUIRE_SERVERS=1``): CI must never go
green by skipping. Tests get their server's marker from the fixtures they use,
and the session fails if any process the harness started outlives it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest

from tests.servers.daemon import Daemon
from tests.servers.kafka import Noida, Tansu, Topics
from tests.servers.mongodb import MongoDatabase, SecantusDB
from tests.servers.moto import Moto, Names
from tests.servers.postgres import Database, Postgres
from tests.servers.process import INSTALL_HINT, REGISTRY, Server, ServerUnavailable
from tests.servers.rabbitmq import RabbitMQ, Vhost

S = TypeVar("S", bound=Server)
PRIVATE_MONGODB_ARGS = ("--oplog-max-entries", "50")

# Fixture name -> marker, so `-m "not kafka"` deselects every test that needs one.
FIXTURE_MARKERS = {
    "rabbitmq_server": "rabbitmq",
    "rabbitmq_vhost": "rabbitmq",
    "postgres_server": "postgres",
    "postgres_database": "postgres",
    "moto_server": "moto",
    "moto_names": "moto",
    "tansu_server": "kafka",
    "tansu_topics": "kafka",
    "noida_server": "kafka",
    "noida_topics": "kafka",
    "mongodb_server": "mongodb",
    "mongodb_database": "mongodb",
    "mongodb_private": "mongodb",
}


def servers_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("TRIGGERHUB_REQUIRE_SERVERS") == "1"


def unavailable(kind: str, problem: Exception) -> NoReturn:
    reason = f"{kind} server unavailable: {problem}"
    if INSTALL_HINT not in reason:
        reason += f"\n({INSTALL_HINT})"
    if servers_required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: the markers must be on the items before `-m` deselects.
    for item in items:
        names = getattr(item, "fixturenames", ())
        for marker in sorted({FIXTURE_MARKERS[n] for n in names if n in FIXTURE_MARKERS}):
            item.add_marker(marker)


def pytest_sessionfinish(session: pytest.Session) -> None:
    leftovers = REGISTRY.alive()
    if not leftovers:
        return
    described = ", ".join(f"{p.pid} ({_name(p)})" for p in leftovers)
    REGISTRY.kill_all()
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = f"test servers: processes still running at session end (now killed): {described}"
    if reporter is not None:
        reporter.write("\n")
        reporter.write_line(message, red=True, bold=True)


def pytest_unconfigure() -> None:
    # Last resort after an interrupted run: nothing the harness started survives it.
    REGISTRY.kill_all()


def _name(proc: Any) -> str:
    try:
        return " ".join(proc.cmdline()[:3])
    except Exception:
        return "?"


@pytest.fixture(scope="session")
def servers_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="triggerhub-servers-"))
    root.chmod(0o755)  # the postgres user must reach its data dir below it
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _serve(cls: Callable[[Path], S], kind: str, servers_dir: Path) -> Iterator[S]:
    base = servers_dir / kind
    base.mkdir()
    server = cls(base)
    problem: ServerUnavailable | None = None
    try:
        server.start()
    except ServerUnavailable as exc:
        problem = exc
    if problem is not None:  # outside the except: the report shows one clean reason
        server.stop()
        unavailable(kind, problem)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rabbitmq_server(servers_dir: Path) -> Iterator[RabbitMQ]:
    yield from _serve(RabbitMQ, "rabbitmq", servers_dir)


@pytest.fixture(scope="session")
def postgres_server(servers_dir: Path) -> Iterator[Postgres]:
    yield from _serve(Postgres, "postgres", servers_dir)


@pytest.fixture(scope="session")
def moto_server(servers_dir: Path) -> Iterator[Moto]:
    yield from _serve(Moto, "moto", servers_dir)


@pytest.fixture(scope="session")
def tansu_server(servers_dir: Path) -> Iterator[Tansu]:
    yield from _serve(Tansu, "tansu", servers_dir)


@pytest.fixture(scope="session")
def noida_server(servers_dir: Path) -> Iterator[Noida]:
    yield from _serve(Noida, "noida-db", servers_dir)


@pytest.fixture(scope="session")
def mongodb_server(servers_dir: Path) -> Iterator[SecantusDB]:
    yield from _serve(SecantusDB, "secantusdb", servers_dir)


@pytest.fixture
def mongodb_private(servers_dir: Path) -> Iterator[SecantusDB]:
    """A SecantusDB of the test's own, to restart or to prune without disturbing other tests;
    its oplog keeps only the last 50 entries once pruned (`prune_oplog()`)."""
    name = f"secantusdb-{uuid.uuid4().hex[:8]}"
    yield from _serve(lambda base: SecantusDB(base, PRIVATE_MONGODB_ARGS), name, servers_dir)


@pytest.fixture
def rabbitmq_vhost(rabbitmq_server: RabbitMQ) -> Vhost:
    # Not deleted afterwards: it costs a second of rabbitmqctl per test and the
    # broker's data dir is thrown away with the session anyway.
    return Vhost.create(rabbitmq_server)


@pytest.fixture
def postgres_database(postgres_server: Postgres) -> Iterator[Database]:
    database = Database.create(postgres_server)
    yield database
    database.drop()


@pytest.fixture
def moto_names(moto_server: Moto) -> Names:
    return Names.fresh(moto_server)


@pytest.fixture
def tansu_topics(tansu_server: Tansu) -> Topics:
    return Topics.fresh(tansu_server)


@pytest.fixture
def noida_topics(noida_server: Noida) -> Topics:
    return Topics.fresh(noida_server)


@pytest.fixture
def mongodb_database(mongodb_server: SecantusDB) -> Iterator[MongoDatabase]:
    database = MongoDatabase.fresh(mongodb_server)
    yield database
    database.drop()


@pytest.fixture
def daemon_factory() -> Iterator[Callable[..., Daemon]]:
    """Make ``Daemon``s for one test; whatever still runs at teardown is killed."""
    made: list[Daemon] = []

    def make(
        config_path: Path, workdir: Path, env: dict[str, str] | None = None, **kw: Any
    ) -> Daemon:
        daemon = Daemon(config_path, workdir, env, **kw)
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        daemon.kill()
