"""Reading, listing, stopping and redriving invocations."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hub import Status
from hub.timefmt import to_rfc3339
from tests.api.conftest import Api

UNKNOWN_ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"


async def submit(api: Api, function: str = "echo", **headers: str) -> str:
    async with api.session.post(
        f"/v1/functions/{function}/invocations", json={}, headers=headers
    ) as resp:
        assert resp.status == 202
        return str((await resp.json())["id"])


async def call(api: Api, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with api.session.request(method, path, **kwargs) as resp:
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


async def test_get_returns_the_record_with_history(api: Api) -> None:
    inv_id = await submit(api)
    await api.hub.wait(inv_id, timeout=10)
    status, record = await call(api, "GET", f"/v1/invocations/{inv_id}")
    assert status == 200
    assert record["id"] == inv_id and record["function"] == "echo"
    assert record["attempts"] == 1 and record["condition"] == "Success"
    assert [t["status"] for t in record["history"]] == ["queued", "running", "succeeded"]


@pytest.mark.parametrize("inv_id", [UNKNOWN_ID, "not-an-id"])
async def test_unknown_invocation_is_404(api: Api, inv_id: str) -> None:
    for method, path in (
        ("GET", f"/v1/invocations/{inv_id}"),
        ("POST", f"/v1/invocations/{inv_id}/stop"),
        ("POST", f"/v1/invocations/{inv_id}/redrive"),
    ):
        status, body = await call(api, method, path)
        assert status == 404, path
        assert inv_id in body["error"]


async def test_list_pages_newest_first(api: Api) -> None:
    ids = [await submit(api) for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = await call(api, "GET", "/v1/invocations", params=params)
        assert status == 200
        pages += 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert pages == 3


async def test_list_filters(api: Api) -> None:
    before = time.time()
    echo_id = await submit(api)
    deferred_id = await submit(api, **{"X-Triggerhub-Delay": "600"})
    other_id = await submit(api, "refuse-once")
    await api.hub.wait(echo_id, timeout=10)

    async def ids(**params: str) -> set[str]:
        status, page = await call(api, "GET", "/v1/invocations", params=params)
        assert status == 200
        return {item["id"] for item in page["items"]}

    assert await ids(function="echo") == {echo_id, deferred_id}
    assert await ids(function="echo", status="queued") == {deferred_id}
    assert await ids(status="succeeded") == {echo_id}
    assert await ids(created_after=to_rfc3339(before) or "") == {echo_id, deferred_id, other_id}
    assert await ids(created_before=to_rfc3339(before) or "") == set()


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"status": "done"}, "status must be one of"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "abc"}, "cursor"),
        ({"created_after": "last week"}, "created_after"),
    ],
)
async def test_bad_list_parameters_are_400(api: Api, params: dict[str, str], fragment: str) -> None:
    status, body = await call(api, "GET", "/v1/invocations", params=params)
    assert status == 400
    assert fragment in body["error"]
    if "status" in params:
        assert body["valid"] == [str(s) for s in Status]


async def test_stop_a_deferred_invocation(api: Api) -> None:
    inv_id = await submit(api, **{"X-Triggerhub-Delay": "600"})
    status, record = await call(api, "POST", f"/v1/invocations/{inv_id}/stop")
    assert status == 200
    assert record["status"] == "stopped" and record["condition"] == "Stopped"
    assert record["attempts"] == 0
    status, body = await call(api, "POST", f"/v1/invocations/{inv_id}/stop")
    assert status == 409
    assert "already stopped" in body["error"]


async def test_redrive_a_failed_invocation(api: Api) -> None:
    inv_id = await submit(api, "refuse-once")
    failed = await api.hub.wait(inv_id, timeout=10)
    assert failed.status is Status.FAILED
    status, record = await call(api, "POST", f"/v1/invocations/{inv_id}/redrive")
    assert status == 200
    assert record["status"] in {"queued", "running", "succeeded"}
    done = await api.hub.wait(inv_id, timeout=10)
    assert done.status is Status.SUCCEEDED and done.response == {"calls": 2}
    # Only failed, expired or stopped invocations are redriven.
    status, body = await call(api, "POST", f"/v1/invocations/{inv_id}/redrive")
    assert status == 409
    assert "succeeded" in body["error"]
