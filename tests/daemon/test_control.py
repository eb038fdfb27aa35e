"""Pause and resume of functions and triggers, and bulk stop and redrive by filter, through
a real daemon started from YAML, counting what ran when; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from hub.timefmt import to_rfc3339
from tests.daemon.control_support import Client, Site, reload
from tests.daemon.test_cli import triggerhub
from tests.servers.daemon import Daemon
from tests.servers.postgres import Database
from tests.tmpfs import fill, mounted_tmpfs
from tests.waiting import until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> Iterator[Site]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/hub.db"
    else:
        url = request.getfixturevalue("postgres_database").url
    yield Site(tmp_path, url, daemon_factory)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_paused_function_keeps_its_queue_across_restart_and_reload_and_runs_it_on_resume(
    site: Site, session: aiohttp.ClientSession
) -> None:
    daemon = site.daemon()
    api = Client(session, daemon.url)

    paused = await api.call("POST", "/v1/functions/record/pause")
    assert paused["paused"] is True and paused["paused_at"]
    # Idempotent: pausing again answers the same state, from the first pause.
    assert await api.call("POST", "/v1/functions/record/pause") == paused
    assert (await api.function("record"))["paused"] is True
    assert (await api.function("marker"))["paused"] is False
    metrics = await (await session.get(f"{daemon.url}/metrics")).text()
    assert 'triggerhub_function_paused{function="record"} 1.0' in metrics
    assert 'triggerhub_function_paused{function="marker"} 0.0' in metrics

    ids = [await api.invoke("record", {"n": n}) for n in range(5)]  # still accepted: 202
    await api.ran_after(site)
    assert site.runs("record") == {}
    assert {await api.status(i) for i in ids} == {"queued"}

    daemon.restart()
    api = Client(session, daemon.url)
    assert (await api.function("record"))["paused"] is True
    ids.append(await api.invoke("record", {"n": 5}))
    await api.ran_after(site)

    await reload(daemon)
    await api.ran_after(site)
    assert site.runs("record") == {}

    resumed = await api.call("POST", "/v1/functions/record/resume")
    assert resumed == {"name": "record", "paused": False, "paused_at": None}
    assert await api.call("POST", "/v1/functions/record/resume") == resumed
    await api.wait_status(ids, "succeeded")
    assert site.runs("record") == dict.fromkeys(await api.events(ids), 1)


async def test_bulk_redrive_by_function_status_and_time_and_bulk_stop_of_queued(
    site: Site, session: aiohttp.ClientSession
) -> None:
    daemon = site.daemon()
    api = Client(session, daemon.url)
    site.fail_flag.touch()
    older = [await api.invoke("flaky", {"n": n}) for n in range(3)]
    await api.wait_status(older, "failed")
    since = to_rfc3339(time.time())
    newer = [await api.invoke("flaky", {"n": n}) for n in range(3, 7)]
    await api.wait_status(newer, "failed")
    deferred = [
        await api.invoke("record", {"n": n}, **{"X-Triggerhub-Delay": "600"}) for n in range(4)
    ]
    flt = {"function": "flaky", "status": "failed", "created_after": since}

    dry = await api.call("POST", "/v1/invocations/redrive", json={**flt, "dry_run": True})
    assert dry == {"matched": 4, "changed": 0}
    assert {await api.status(i) for i in older + newer} == {"failed"}

    site.fail_flag.unlink()
    done = await api.call("POST", "/v1/invocations/redrive", json=flt)
    assert done == {"matched": 4, "changed": 4}
    await api.wait_status(newer, "succeeded")
    assert {await api.status(i) for i in older} == {"failed"}
    assert site.runs("flaky") == {
        **dict.fromkeys(await api.events(older), 1),
        **dict.fromkeys(await api.events(newer), 2),
    }
    # Nothing of them is left to redrive: the same filter now matches none.
    assert await api.call("POST", "/v1/invocations/redrive", json=flt) == {
        "matched": 0,
        "changed": 0,
    }
    # A selection by id, as a console acts on what is ticked.
    picked = {"ids": older[:2]}
    assert await api.call("POST", "/v1/invocations/redrive", json=picked) == {
        "matched": 2,
        "changed": 2,
    }
    await api.wait_status(older[:2], "succeeded")

    stop = {"function": "record", "status": ["queued"]}
    assert await api.call("POST", "/v1/invocations/stop", json={**stop, "dry_run": True}) == {
        "matched": 4,
        "changed": 0,
    }
    assert await api.call("POST", "/v1/invocations/stop", json=stop) == {
        "matched": 4,
        "changed": 4,
    }
    for inv_id in deferred:
        inv = await api.call("GET", f"/v1/invocations/{inv_id}")
        assert (inv["status"], inv["condition"]) == ("stopped", "Stopped")
    assert site.runs("record") == {}


@pytest.mark.parametrize(
    ("route", "body", "names"),
    [
        ("redrive", {"statsu": "failed"}, "'statsu'"),
        ("redrive", {"status": "succeeded"}, "status"),
        ("stop", {"status": "failed"}, "status"),
        ("stop", {}, "at least one"),
        ("stop", {"dry_run": True}, "at least one"),
        ("redrive", {"created_after": "yesterday"}, "created_after"),
        ("redrive", {"function": 7}, "function"),
        ("redrive", {"function": None}, "function"),
        ("redrive", {"ids": ["not-an-id"]}, "ids"),
        ("redrive", {"ids": []}, "ids"),
        ("stop", {"function": "f", "dry_run": "yes"}, "dry_run"),
        ("stop", [1, 2], "JSON object"),
    ],
)
async def test_a_bad_filter_is_refused_naming_the_field(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    session: aiohttp.ClientSession,
    route: str,
    body: object,
    names: str,
) -> None:
    site = Site(tmp_path, f"sqlite:///{tmp_path}/hub.db", daemon_factory)
    api = Client(session, site.daemon().url)
    answer = await api.call("POST", f"/v1/invocations/{route}", 400, json=body)
    assert names in answer["error"]


async def test_pausing_an_unknown_name_is_a_404(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], session: aiohttp.ClientSession
) -> None:
    site = Site(tmp_path, f"sqlite:///{tmp_path}/hub.db", daemon_factory)
    api = Client(session, site.daemon().url)
    for path in (
        "/v1/functions/nope/pause",
        "/v1/functions/nope/resume",
        "/v1/triggers/nope/pause",
        "/v1/triggers/nope/resume",
    ):
        answer = await api.call("POST", path, 404)
        assert "'nope'" in answer["error"]


LOG_TRIGGERS = """\
applog:
  type: log_stream
  function: record
  paths: {path}
  from: start
  poll_interval: 50ms
markerlog:
  type: log_stream
  function: marker
  paths: {marker}
  from: start
  poll_interval: 50ms
"""


async def test_a_paused_trigger_reads_nothing_and_resumes_where_it_stopped(
    site: Site, session: aiohttp.ClientSession
) -> None:
    app_log, marker_log = site.root / "app.log", site.root / "marker.log"
    app_log.touch()
    marker_log.touch()
    triggers = LOG_TRIGGERS.format(path=app_log, marker=marker_log)
    daemon = site.daemon(triggers=triggers)
    api = Client(session, daemon.url)

    def append(path: Path, *lines: str) -> None:
        with path.open("a") as f:
            f.writelines(f"{line}\n" for line in lines)

    async def marker_read(count: int) -> None:
        """The unpaused trigger has read its `count`th line, written after the other's."""
        append(marker_log, f"mark {count}")
        await until(lambda: sum(site.runs("marker").values()) == count, timeout=20)

    append(app_log, "one", "two")
    await until(lambda: sum(site.runs("record").values()) == 2, timeout=20)

    paused = await api.call("POST", "/v1/triggers/applog/pause")
    assert (paused["paused"], paused["state"]) == (True, "paused")
    assert (await api.trigger("applog"))["state"] == "paused"
    append(app_log, "three", "four")
    await marker_read(1)
    assert sum(site.runs("record").values()) == 2

    daemon.restart()
    api = Client(session, daemon.url)
    assert (await api.trigger("applog"))["state"] == "paused"
    append(app_log, "five")
    await marker_read(2)
    await reload(daemon)
    await marker_read(3)
    assert sum(site.runs("record").values()) == 2
    metrics = await session.get(f"{daemon.url}/metrics")
    assert 'triggerhub_trigger_state{state="paused",trigger="applog"} 1.0' in await metrics.text()

    resumed = await api.call("POST", "/v1/triggers/applog/resume")
    assert resumed["paused"] is False
    await until(lambda: sum(site.runs("record").values()) == 5, timeout=20)
    await marker_read(4)
    runs = site.runs("record")
    assert len(runs) == 5 and set(runs.values()) == {1}, runs  # none lost, none twice
    # The trigger filter: what this trigger wrote, by the event's source.
    source = f"file://{app_log}"
    assert await api.call(
        "POST",
        "/v1/invocations/redrive",
        json={"trigger": source, "dry_run": True, "status": "stopped"},
    ) == {"matched": 0, "changed": 0}
    page = await api.call("GET", "/v1/invocations", params={"function": "record"})
    assert {item["event"]["source"] for item in page["items"]} == {source}


async def test_two_daemons_on_one_postgres_follow_a_pause_made_through_either(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    session: aiohttp.ClientSession,
    postgres_database: Database,
) -> None:
    site = Site(tmp_path, postgres_database.url, daemon_factory)
    app_log, marker_log = site.root / "app.log", site.root / "marker.log"
    app_log.touch()
    marker_log.touch()
    triggers = LOG_TRIGGERS.format(path=app_log, marker=marker_log)
    a = Client(session, site.daemon("a", triggers).url)
    b = Client(session, site.daemon("b", triggers).url)

    await a.call("POST", "/v1/functions/record/pause")
    await until(lambda: _paused(b, "record"), timeout=10)
    # Submitted through either daemon, kept by both: markers run on both meanwhile.
    ids = [await client.invoke("record", {"n": n}) for n in range(6) for client in (a, b)]
    for _ in range(3):
        await a.ran_after(site)
        await b.ran_after(site)
    assert site.runs("record") == {}
    assert {await b.status(i) for i in ids} == {"queued"}

    await b.call("POST", "/v1/functions/record/resume")
    await a.wait_status(ids, "succeeded")
    assert site.runs("record") == dict.fromkeys(await a.events(ids), 1)

    # The single-reader log trigger, held by one of them: paused through the other, too.
    await b.call("POST", "/v1/triggers/applog/pause")
    for client in (a, b):
        await until(lambda c=client: _trigger_state(c, "applog", "paused"), timeout=10)
    before = sum(site.runs("record").values())
    with app_log.open("a") as f:
        f.writelines(f"line {n}\n" for n in range(4))
    with marker_log.open("a") as f:
        f.write("mark\n")
    await until(lambda: sum(site.runs("marker").values()) == 7, timeout=20)
    assert sum(site.runs("record").values()) == before

    await a.call("POST", "/v1/triggers/applog/resume")
    await until(lambda: sum(site.runs("record").values()) == before + 4, timeout=20)
    assert set(site.runs("record").values()) == {1}


async def _paused(client: Client, function: str) -> bool:
    return bool((await client.function(function))["paused"])


async def _trigger_state(client: Client, trigger: str, state: str) -> bool:
    return (await client.trigger(trigger))["state"] == state


async def test_the_cli_pauses_resumes_and_acts_on_a_filter(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], session: aiohttp.ClientSession
) -> None:
    site = Site(tmp_path, f"sqlite:///{tmp_path}/hub.db", daemon_factory)
    daemon = site.daemon()
    api = Client(session, daemon.url)
    url = ("--url", daemon.url)

    code, out, err = await triggerhub(*url, "functions", "pause", "record")
    assert (code, err) == (0, "") and out.startswith("function record paused since "), out
    ids = [await api.invoke("record", {"n": n}) for n in range(3)]
    await api.ran_after(site)
    assert site.runs("record") == {}

    flt = ("--function", "record", "--status", "queued", "--since", "1h")
    code, out, err = await triggerhub(*url, "invocations", "stop", *flt, "--dry-run")
    assert (code, out.strip()) == (0, "matched 3 (dry run: nothing stopped)"), err
    code, out, err = await triggerhub(*url, "invocations", "stop", *flt, "--until", "1h")
    assert (code, out.strip()) == (0, "matched 0, stopped 0"), err
    code, out, err = await triggerhub(*url, "--json", "invocations", "stop", *flt)
    assert code == 0 and json.loads(out) == {"matched": 3, "changed": 3}, err
    code, out, err = await triggerhub(*url, "invocations", "redrive", "--ids", *ids[:2])
    assert (code, out.strip()) == (0, "matched 2, redriven 2"), err

    code, out, err = await triggerhub(*url, "functions", "resume", "record")
    assert (code, out.strip()) == (0, "function record is not paused"), err
    await api.wait_status(ids[:2], "succeeded")
    assert await api.status(ids[2]) == "stopped"

    code, _, err = await triggerhub(*url, "triggers", "pause", "nope")
    assert code == 1 and "no trigger named 'nope'" in err
    code, _, err = await triggerhub(*url, "invocations", "redrive", "--since", "yesterday")
    assert code != 0 and "--since 'yesterday'" in err
    code, _, err = await triggerhub(*url, "invocations", "redrive", ids[0], "--function", "x")
    assert code != 0 and "not both" in err


async def test_the_cli_reads_iso_8601_times_and_sends_rfc_3339(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], session: aiohttp.ClientSession
) -> None:
    """The API takes strict RFC 3339 only; the CLI still reads the ISO 8601 forms people type
    (a space for the T, no seconds, a basic-format offset) and converts them itself."""
    site = Site(tmp_path, f"sqlite:///{tmp_path}/hub.db", daemon_factory)
    daemon = site.daemon()
    api = Client(session, daemon.url)
    url = ("--url", daemon.url)
    ids = [await api.invoke("record", {"n": n}, **{"X-Triggerhub-Delay": "600"}) for n in range(2)]
    flt = ("--function", "record", "--status", "queued", "--dry-run")

    def stamp(offset: float, form: str) -> str:
        return time.strftime(form, time.gmtime(time.time() + offset))

    for since, before in (
        (stamp(-3600, "%Y-%m-%d %H:%MZ"), stamp(3600, "%Y-%m-%d %H:%M:%S+00:00")),
        (stamp(-3600, "%Y%m%dT%H%M%S+0000"), stamp(3600, "%Y-%m-%dT%H:%Mz")),
        ("2h", stamp(3600, "%Y-%m-%dT%H:%M:%SZ")),
    ):
        code, out, err = await triggerhub(
            *url, "invocations", "stop", *flt, "--since", since, "--until", before
        )
        assert (code, out.strip()) == (0, "matched 2 (dry run: nothing stopped)"), (
            since,
            until,
            err,
        )
    code, out, err = await triggerhub(
        *url, "invocations", "stop", *flt, "--since", stamp(60, "%Y-%m-%d %H:%MZ")
    )
    assert (code, out.strip()) == (0, "matched 0 (dry run: nothing stopped)"), err
    code, _, err = await triggerhub(
        *url, "invocations", "stop", *flt, "--since", stamp(-3600, "%Y-%m-%d %H:%M")
    )
    assert code != 0 and "no UTC offset" in err, err
    assert [await api.status(i) for i in ids] == ["queued", "queued"]


async def test_a_store_that_cannot_write_refuses_pauses_and_bulk_actions_changing_nothing(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], session: aiohttp.ClientSession
) -> None:
    with mounted_tmpfs(tmp_path / "disk", "16m") as disk:
        site = Site(tmp_path, f"sqlite:///{disk}/hub.db", daemon_factory)
        daemon = site.daemon()
        api = Client(session, daemon.url)
        site.fail_flag.touch()
        failed = [await api.invoke("flaky", {"n": n}) for n in range(2)]
        await api.wait_status(failed, "failed")
        deferred = await api.invoke("record", None, **{"X-Triggerhub-Delay": "600"})

        filler = fill(disk)

        async def not_ready() -> bool:
            async with session.get(f"{daemon.url}/readyz") as resp:
                return resp.status == 503

        # Nothing else writes meanwhile: each of these is the write that finds the disk full.
        for path, body in (
            ("/v1/functions/record/pause", None),
            ("/v1/invocations/redrive", {"function": "flaky"}),
            ("/v1/invocations/stop", {"function": "record"}),
        ):
            async with session.post(f"{daemon.url}{path}", json=body) as resp:
                answer = await resp.json()
                assert resp.status == 507, (path, resp.status, answer)
                assert "out of disk space" in answer["error"]
        assert await not_ready()

        filler.unlink()
        await until(lambda: _not(not_ready), timeout=20)
        assert (await api.function("record"))["paused"] is False
        assert {await api.status(i) for i in failed} == {"failed"}
        assert await api.status(deferred) == "queued"
        site.fail_flag.unlink()
        done = await api.call("POST", "/v1/invocations/redrive", json={"function": "flaky"})
        assert done == {"matched": 2, "changed": 2}
        await api.wait_status(failed, "succeeded")


async def _not(check: Callable[[], Awaitable[bool]]) -> bool:
    return not await check()
