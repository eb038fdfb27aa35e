from __future__ import annotations

import asyncio
import re
import textwrap
from collections.abc import Iterator

import aiohttp
import pytest

from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

TICKS = re.compile(r'^triggerhub_trigger_events_total\{trigger="tick"\} (\S+)$', re.MULTILINE)
THROTTLED = re.compile(
    r'^triggerhub_invocations_throttled_total\{function="limited"\} (\S+)$', re.MULTILINE
)
FUNCTIONS = """
from hub import NonRetryableError

async def ok(event):
    return "ok"

async def fail(event):
    raise NonRetryableError("asked to fail")
"""


@pytest.fixture(scope="module")
def exercised_metrics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/metrics of a real daemon after every kind of outcome its metrics count: a timer
    trigger, a success whose on_success destination cannot be reached, a failure, a
    stopped invocation, attempts a rate_limit held back and a paused function."""
    workdir = tmp_path_factory.mktemp("exercised")
    port = free_port()
    (workdir / "fns.py").write_text(FUNCTIONS)
    config = workdir / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///./hub.db"}}
              api: {{listen: "127.0.0.1:{port}"}}
              destination_attempts: 1
            functions:
              ok:
                target: {{type: python, handler: "fns:ok"}}
                on_success: {{type: http, url: "http://127.0.0.1:{free_port()}/closed"}}
              fail:
                target: {{type: python, handler: "fns:fail"}}
              limited:
                target: {{type: python, handler: "fns:ok"}}
                rate_limit: {{limit: 1, period: 1s}}
              held:
                target: {{type: python, handler: "fns:ok"}}
            triggers:
              tick:
                type: timer
                function: ok
                schedule: "@every 1s"
            """
        )
    )
    daemon = Daemon(config, workdir, api_port=port)
    daemon.start()
    try:
        yield asyncio.run(_exercise(daemon.url))
    finally:
        daemon.kill()


async def _exercise(url: str) -> str:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

        async def invoke(function: str, **headers: str) -> str:
            async with session.post(
                f"{url}/v1/functions/{function}/invocations", json={}, headers=headers
            ) as resp:
                assert resp.status == 202, await resp.text()
                inv_id: str = (await resp.json())["id"]
                return inv_id

        async def status(inv_id: str) -> str:
            async with session.get(f"{url}/v1/invocations/{inv_id}") as resp:
                record = await resp.json()
                return f"{record['status']}:{record.get('destination_error') is not None}"

        async def scrape() -> str:
            async with session.get(f"{url}/metrics") as resp:
                assert resp.status == 200
                return await resp.text()

        ok, fail = await invoke("ok"), await invoke("fail")
        deferred = await invoke("ok", **{"X-Triggerhub-Delay": "600"})
        async with session.post(f"{url}/v1/invocations/{deferred}/stop") as resp:
            assert resp.status == 200, await resp.text()

        async with session.post(f"{url}/v1/functions/held/pause") as resp:
            assert resp.status == 200, await resp.text()
        # One start per second: the second and third wait for the bucket (throttled).
        for _ in range(3):
            await invoke("limited")

        async def settled() -> bool:
            # The destination of `ok` fails once and is given up (destination_attempts: 1).
            return (await status(fail), await status(ok)) == ("failed:False", "succeeded:True")

        async def ticked() -> bool:
            found = TICKS.search(await scrape())
            return found is not None and float(found[1]) >= 1

        async def throttled() -> bool:
            found = THROTTLED.search(await scrape())
            return found is not None and float(found[1]) >= 2

        await until(settled, timeout=20)
        await until(ticked, timeout=20)
        await until(throttled, timeout=20)
        return await scrape()
