"""`triggerhub_store_writable` (and the TriggerhubStoreNotWritable alert on it) follows a store
that stops taking writes while it still answers reads: here a PostgreSQL role that loses its
write privileges, as after a failover to a read-only server or a botched grant."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import psycopg
import pytest

from tests.servers.daemon import Daemon
from tests.servers.postgres import Database
from tests.servers.process import free_port
from tests.waiting import until

WRITABLE = re.compile(r"^triggerhub_store_writable (\S+)$", re.MULTILINE)
BACKLOG = re.compile(r'^triggerhub_backlog\{status="queued"\} (\S+)$', re.MULTILINE)


@pytest.fixture
def hub_role(postgres_database: Database) -> Iterator[str]:
    """A role that owns the test database (so the daemon creates its tables) and nothing
    else; dropped with everything it owns afterwards."""
    role = f"hub_{postgres_database.name[-12:]}"
    with psycopg.connect(postgres_database.server.url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'ALTER DATABASE "{postgres_database.name}" OWNER TO "{role}"')
    yield role
    with psycopg.connect(postgres_database.url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{postgres_database.name}" OWNER TO postgres')
        conn.execute(f'REASSIGN OWNED BY "{role}" TO postgres')
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


async def test_store_writable_follows_the_store(
    tmp_path: Path,
    postgres_database: Database,
    hub_role: str,
    daemon_factory: Callable[..., Daemon],
) -> None:
    url = postgres_database.url.replace("postgresql://postgres@", f"postgresql://{hub_role}@")
    port = free_port()
    config = tmp_path / "triggers.yaml"
    config.write_text(
        f'hub: {{store: {{url: "{url}"}}, api: {{listen: "127.0.0.1:{port}"}}}}\n'
        "functions:\n"
        "  later: {target: {type: http, url: 'http://127.0.0.1:9/'}}\n"
    )
    daemon = daemon_factory(config, tmp_path, api_port=port)
    daemon.start()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        async with session.post(
            f"{daemon.url}/v1/functions/later/invocations",
            json={},
            headers={"X-Triggerhub-Delay": "3600"},
        ) as resp:
            assert resp.status == 202

        async def scrape() -> str:
            async with session.get(f"{daemon.url}/metrics") as resp:
                assert resp.status == 200, await resp.text()
                return await resp.text()

        def writable(text: str) -> float:
            found = WRITABLE.search(text)
            assert found is not None, text
            return float(found[1])

        text = await scrape()
        assert writable(text) == 1

        privileges = "INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public"
        with psycopg.connect(postgres_database.server.url_for(postgres_database.name)) as conn:
            conn.execute(f'REVOKE {privileges} FROM "{hub_role}"')
        text = await scrape()
        assert writable(text) == 0
        # Reads still work, so the rest of the scrape is there: only writes are refused.
        backlog = BACKLOG.search(text)
        assert backlog is not None and float(backlog[1]) == 1

        with psycopg.connect(postgres_database.server.url_for(postgres_database.name)) as conn:
            conn.execute(f'GRANT {privileges} TO "{hub_role}"')

        async def writable_again() -> bool:
            return writable(await scrape()) == 1

        await until(writable_again, timeout=15)
    assert daemon.terminate() == 0
