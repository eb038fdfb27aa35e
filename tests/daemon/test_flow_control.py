"""Flow control on the leasing side, end to end: daemons started from YAML, invoked over HTTP,
with a handler that logs when each invocation starts and ends. On SQLite with one daemon and
on PostgreSQL with two sharing the store, where the limits must hold across daemons."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

HANDLERS = """
import asyncio, os, time

def _log(line):
    fd = os.open(os.environ["FLOW_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (line + "\\n").encode())
    finally:
        os.close(fd)

async def record(event):
    data = event.data
    _log(f"start {data['n']} {data['key']} {time.time()!r} {data['sent']!r}")
    await asyncio.sleep(data.get("seconds", 0))
    _log(f"end {data['n']} {data['key']} {time.time()!r} 0")
"""

FUNCTIONS = """
functions:
  fair:
    target: {type: python, handler: "flowfns:record"}
    concurrency: 64
    key_concurrency: {key: data.key, limit: 2}
  paced:
    target: {type: python, handler: "flowfns:record"}
    rate_limit: {limit: 10, period: 1s, burst: 2}
  slow_paced:
    target: {type: python, handler: "flowfns:record"}
    rate_limit: {limit: 1, period: 6s, burst: 1, key: data.key}
  ranked:
    target: {type: python, handler: "flowfns:record"}
    key_concurrency: {key: type, limit: 1}
  notifying:
    target: {type: python, handler: "flowfns:record"}
    on_success: {type: http, url: "${SINK}", rate_limit: {limit: 5, period: 1s}}
triggers: {}
"""


@dataclass(slots=True)
class Mark:
    what: str
    n: int
    key: str
    at: float
    sent: float


class Cluster:
    """The daemons sharing one store, and the log their handlers write."""

    def __init__(self, daemons: list[Daemon], log: Path, sink_port: int) -> None:
        self.daemons = daemons
        self.log = log
        self.sink_port = sink_port

    @property
    def urls(self) -> list[str]:
        return [d.url for d in self.daemons]

    def marks(self) -> list[Mark]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            what, n, key, at, sent = line.split(" ")
            out.append(Mark(what, int(n), key, float(at), float(sent)))
        return out

    def starts(self) -> dict[int, Mark]:
        return {m.n: m for m in self.marks() if m.what == "start"}

    async def start(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(d.start) for d in self.daemons))

    async def stop(self) -> None:
        for daemon in self.daemons:
            assert await asyncio.to_thread(daemon.terminate) == 0, daemon.log()[-3000:]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cluster(
    request: pytest.FixtureRequest, tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> Iterator[Cluster]:
    if request.param == "postgres":
        url, count = request.getfixturevalue("postgres_database").url, 2
    else:
        url, count = f"sqlite:///{tmp_path}/hub.db", 1
    log = tmp_path / "flow.log"
    sink_port = free_port()
    env = {"FLOW_LOG": str(log), "SINK": f"http://127.0.0.1:{sink_port}/sink"}
    daemons = []
    for index in range(count):
        workdir = tmp_path / f"d{index}"
        workdir.mkdir()
        (workdir / "flowfns.py").write_text(HANDLERS)
        port = free_port()
        config = workdir / "triggers.yaml"
        config.write_text(
            "hub:\n"
            f'  store: {{url: "{url}", lease_timeout: 5s}}\n'
            f'  api: {{listen: "127.0.0.1:{port}"}}\n' + FUNCTIONS
        )
        daemons.append(daemon_factory(config, workdir, api_port=port, env=env))
    yield Cluster(daemons, log, sink_port)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def invoke(
    session: aiohttp.ClientSession, url: str, function: str, data: dict[str, Any], **headers: str
) -> None:
    data = {**data, "sent": time.time()}
    async with session.post(
        f"{url}/v1/functions/{function}/invocations", json=data, headers=headers
    ) as resp:
        assert resp.status == 202, await resp.text()


async def invoke_all(
    session: aiohttp.ClientSession, urls: list[str], function: str, items: list[dict[str, Any]]
) -> None:
    """In order of `items` as far as 32 requests at a time allow, spread over the daemons."""
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for index, item in enumerate(items):
        queue.put_nowait((index, item))

    async def worker() -> None:
        while not queue.empty():
            index, item = queue.get_nowait()
            await invoke(session, urls[index % len(urls)], function, item)

    await asyncio.gather(*(worker() for _ in range(32)))


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def most_at_once(marks: list[Mark]) -> dict[str, int]:
    """Per key, the most invocations that were inside the handler at the same time."""
    running: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)
    # An end sorts before a start at the same instant: they did not overlap.
    for mark in sorted(marks, key=lambda m: (m.at, m.what == "start")):
        running[mark.key] += 1 if mark.what == "start" else -1
        most[mark.key] = max(most[mark.key], running[mark.key])
    return dict(most)


@pytest.mark.timeout(300)
async def test_a_noisy_key_neither_starves_quiet_keys_nor_exceeds_its_limit(
    cluster: Cluster, session: aiohttp.ClientSession
) -> None:
    await cluster.start()
    noisy = [{"n": n, "key": "noisy", "seconds": 0.005} for n in range(10_000)]
    await invoke_all(session, cluster.urls, "fair", noisy)
    quiet = [
        {"n": 10_000 + 10 * k + i, "key": f"quiet{k}", "seconds": 0.005}
        for i in range(10)
        for k in range(20)
    ]
    await invoke_all(session, cluster.urls, "fair", quiet)
    quiet_ids = {item["n"] for item in quiet}
    await until(lambda: quiet_ids <= set(cluster.starts()), timeout=120)
    await until(lambda: quiet_ids <= {m.n for m in cluster.marks() if m.what == "end"}, timeout=30)
    await cluster.stop()
    marks = cluster.marks()
    starts = [m for m in marks if m.what == "start"]
    quiet_wait = [m.at - m.sent for m in starts if m.key != "noisy"]
    noisy_wait = [m.at - m.sent for m in starts if m.key == "noisy"]
    print(
        f"\nquiet p99 {p99(quiet_wait):.3f}s over {len(quiet_wait)}; "
        f"noisy p99 {p99(noisy_wait):.3f}s over {len(noisy_wait)} started"
    )
    assert len(noisy_wait) < 10_000  # the noisy backlog was still there when quiet keys ran
    assert p99(quiet_wait) * 5 < p99(noisy_wait)
    assert max(most_at_once(marks).values()) <= 2
    assert most_at_once(marks)["noisy"] == 2


@pytest.mark.timeout(120)
async def test_a_rate_limit_spaces_starts_keeps_order_and_drops_nothing(
    cluster: Cluster, session: aiohttp.ClientSession
) -> None:
    await cluster.start()
    items = [{"n": n, "key": "k"} for n in range(30)]
    for item in items:  # one at a time: the submission order is the order they must run in
        await invoke(session, cluster.urls[item["n"] % len(cluster.urls)], "paced", item)
    await until(lambda: len(cluster.starts()) == 30, timeout=60)
    starts = sorted(cluster.starts().values(), key=lambda m: m.at)
    assert [m.n for m in starts] == list(range(30))  # FIFO
    times = [m.at for m in starts]
    # GCRA: within any second at most burst + limit starts (a little slack for the clock).
    for t in times:
        assert sum(1 for u in times if t <= u < t + 0.95) <= 12
    assert times[-1] - times[0] >= (30 - 2) * 0.1 - 0.2
    throttled = 0
    for url in cluster.urls:
        async with session.get(f"{url}/v1/functions") as resp:
            listed = {f["name"]: f for f in (await resp.json())["items"]}
        assert listed["paced"]["rate_limit"] == {
            "limit": 10,
            "period": 1.0,
            "burst": 2,
            "key": None,
        }
        throttled += listed["paced"]["status"]["throttled"]
        async with session.get(f"{url}/metrics") as resp:
            text = await resp.text()
        assert "triggerhub_invocations_throttled_total" in text
    assert throttled >= 20
    await cluster.stop()


@pytest.mark.timeout(120)
async def test_a_rate_limit_holds_across_a_restart(
    cluster: Cluster, session: aiohttp.ClientSession
) -> None:
    await cluster.start()
    await invoke(session, cluster.urls[0], "slow_paced", {"n": 0, "key": "c"})
    await until(lambda: 0 in cluster.starts(), timeout=30)
    await cluster.stop()
    await cluster.start()
    await invoke(session, cluster.urls[-1], "slow_paced", {"n": 1, "key": "c"})
    await invoke(session, cluster.urls[-1], "slow_paced", {"n": 2, "key": "other"})
    await until(lambda: {1, 2} <= set(cluster.starts()), timeout=30)
    starts = cluster.starts()
    # Another key has a bucket of its own; this one remembers the start before the restart
    # (the bucket counts from the lease: the handler starts a moment after it).
    assert starts[2].at - starts[2].sent < 2.0
    assert starts[1].at - starts[0].at >= 6.0 - 0.5
    assert starts[1].at - starts[1].sent >= 1.0  # it waited, though it came after a restart
    await cluster.stop()


@pytest.mark.timeout(120)
async def test_higher_priority_is_started_first(
    cluster: Cluster, session: aiohttp.ClientSession
) -> None:
    await cluster.start()
    await invoke(session, cluster.urls[0], "ranked", {"n": 0, "key": "k", "seconds": 1.5})
    await until(lambda: 0 in cluster.starts(), timeout=30)
    # While the one slot is taken, low and high priorities queue up, alternating.
    for n in range(1, 11):
        priority = "9" if n % 2 else "0"
        url = cluster.urls[n % len(cluster.urls)]
        await invoke(
            session, url, "ranked", {"n": n, "key": "k"}, **{"X-Triggerhub-Priority": priority}
        )
    await until(lambda: len(cluster.starts()) == 11, timeout=30)
    order = [m.n for m in sorted(cluster.starts().values(), key=lambda m: m.at)]
    assert order == [0, 1, 3, 5, 7, 9, 2, 4, 6, 8, 10]
    await cluster.stop()


@pytest.mark.timeout(120)
async def test_a_destination_rate_limit_makes_deliveries_wait(
    cluster: Cluster, session: aiohttp.ClientSession
) -> None:
    arrivals: list[float] = []

    async def sink(request: web.Request) -> web.Response:
        arrivals.append(time.time())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/sink", sink)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", cluster.sink_port).start()
    try:
        await cluster.start()
        await asyncio.gather(
            *(
                invoke(
                    session, cluster.urls[n % len(cluster.urls)], "notifying", {"n": n, "key": "k"}
                )
                for n in range(10)
            )
        )
        await until(lambda: len(arrivals) == 10, timeout=60)
        arrivals.sort()
        # 5 a second, one at a time: each delivery 0.2 s after the one before (clock slack).
        assert all(b - a >= 0.2 - 0.03 for a, b in itertools.pairwise(arrivals))
        await cluster.stop()
    finally:
        await runner.cleanup()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("value", ["10", "-1", "high", "", "1.5", "03"])
async def test_a_bad_priority_header_is_refused(
    value: str,
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    session: aiohttp.ClientSession,
) -> None:
    port = free_port()
    (tmp_path / "flowfns.py").write_text(HANDLERS)
    config = tmp_path / "triggers.yaml"
    config.write_text(
        f'hub:\n  store: {{url: "sqlite:///{tmp_path}/hub.db"}}\n'
        f'  api: {{listen: "127.0.0.1:{port}"}}\n' + FUNCTIONS
    )
    daemon = daemon_factory(
        config,
        tmp_path,
        api_port=port,
        env={"FLOW_LOG": "/dev/null", "SINK": "http://127.0.0.1:9/"},
    )
    await asyncio.to_thread(daemon.start)
    async with session.post(
        f"{daemon.url}/v1/functions/ranked/invocations",
        json={"n": 1, "key": "k", "sent": 0},
        headers={"X-Triggerhub-Priority": value},
    ) as resp:
        assert resp.status == 400
        assert "X-Triggerhub-Priority must be one digit from 0" in (await resp.json())["error"]
    await asyncio.to_thread(daemon.terminate)
