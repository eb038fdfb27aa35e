"""The Kubernetes audit webhook served by the hub's real HTTP app (the route added as
hub/api/app.py will add it), feeding a kubernetes audit trigger run by the real runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema_rs
import orjson
import pytest

import triggers.audit  # noqa: F401 - registers the webhook route
from hub import Hub
from hub.api import ApiServer, create_app
from hub.intake import TriggerSet
from tests.audit.conftest import RECORD, MakeSet, audit_trigger, count, submitted
from tests.waiting import until

EVENT_LIST: dict[str, Any] = orjson.loads(
    (Path(__file__).parent / "fixtures" / "k8s-eventlist.json").read_bytes()
)


@pytest.fixture
async def api(hub: Hub) -> AsyncIterator[str]:
    # Importing the audit plugin registered its route module; create_app adds the route.
    app = create_app(hub, token=None, max_body_bytes=1024 * 1024)
    server = ApiServer(app)
    await server.start("127.0.0.1", 0)
    try:
        yield server.url
    finally:
        await server.stop()


async def post(url: str, trigger: str, body: Any) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/v1/hooks/audit/{trigger}", data=data) as response,
    ):
        return response.status, await response.json()


async def running(triggers: TriggerSet, name: str = "k8s") -> None:
    await until(lambda: triggers.status()[name]["state"] == "connected")


async def test_an_event_list_is_answered_after_its_entries_are_durably_queued(
    hub: Hub, api: str, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"k8s": audit_trigger("kubernetes")})
        await running(triggers)
        assert await post(api, "k8s", EVENT_LIST) == (200, {"entries": 5, "accepted": 5})
        # Already in the store when the answer came, not some time later.
        events = {e.idempotency_key: e for e in await submitted(hub)}
        assert len(events) == 5
        # The API server retries a batch it got no answer for: the same entries again.
        assert await post(api, "k8s", EVENT_LIST) == (200, {"entries": 5, "accepted": 5})
        assert await count(hub) == 5
    exec_ = events["k8s:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d:ResponseComplete"]
    assert exec_.id == exec_.idempotency_key
    assert (exec_.type, exec_.source, exec_.time) == (
        "triggerhub.audit.kubernetes",
        "/v1/hooks/audit/k8s",
        "2024-05-01T12:00:05.004200Z",
    )
    assert exec_.subject is not None and exec_.subject.startswith(
        "/api/v1/namespaces/prod/pods/web-7d4b9c-x2k4p/exec?"
    )
    assert exec_.extensions == {
        "auditverb": "create",
        "auditstage": "ResponseComplete",
        "audituser": "alice@example.com",
        "auditresource": "pods/exec",
        "auditnamespace": "prod",
    }
    assert exec_.data == EVENT_LIST["items"][2]


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        ({"verbs": ["create", "delete"]}, [2, 3]),
        ({"resources": "pods"}, [2]),
        ({"resources": ["pods/log", "secrets"]}, [0, 1]),
        ({"namespaces": ["prod"], "stages": "ResponseComplete"}, [1, 2]),
        ({"users": ["bob@example.com", "system:node:worker-2"]}, [3, 4]),
    ],
)
async def test_filters(
    hub: Hub, api: str, make_set: MakeSet, options: dict[str, Any], kept: list[int]
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"k8s": audit_trigger("kubernetes", **options)})
        await running(triggers)
        status, body = await post(api, "k8s", EVENT_LIST)
        assert (status, body["accepted"]) == (200, len(kept))
    items = EVENT_LIST["items"]
    wanted = sorted(f"k8s:{items[i]['auditID']}:{items[i]['stage']}" for i in kept)
    assert sorted(e.idempotency_key or "" for e in await submitted(hub)) == wanted


async def test_a_failed_submit_answers_503_so_the_api_server_retries(
    hub: Hub, api: str, make_set: MakeSet
) -> None:
    async with make_set(hub) as triggers:
        await triggers.start({"k8s": audit_trigger("kubernetes")})
        await running(triggers)
        hub.set_functions({})  # the trigger's function is gone: the submit fails
        status, body = await post(api, "k8s", EVENT_LIST)
        assert status == 503
        assert "not queued" in body["error"]
        hub.set_functions({"f": RECORD})
        await until(lambda: triggers.status()["k8s"]["state"] == "connected")
        assert (await post(api, "k8s", EVENT_LIST))[0] == 200
    assert await count(hub) == 5


async def test_bad_requests(hub: Hub, api: str, make_set: MakeSet) -> None:
    status, body = await post(api, "nobody", EVENT_LIST)
    assert (status, body["error"]) == (404, "no kubernetes audit trigger named 'nobody' is running")
    async with make_set(hub) as triggers:
        await triggers.start({"k8s": audit_trigger("kubernetes")})
        await running(triggers)
        assert (await post(api, "k8s", b"{not json"))[0] == 400
        status, body = await post(api, "k8s", {"kind": "Event", "apiVersion": "audit.k8s.io/v1"})
        assert (status, body["error"]) == (
            400,
            "expected an audit EventList: {kind: EventList, items: [...]}",
        )
        status, body = await post(api, "k8s", {**EVENT_LIST, "apiVersion": "audit.k8s.io/v1beta1"})
        assert status == 400
        # Not a string at all: was a 500 (an object cannot be looked up in a set).
        status, body = await post(api, "k8s", {**EVENT_LIST, "apiVersion": {}})
        assert (status, body["error"]) == (400, "apiVersion must be audit.k8s.io/v1, not {}")
        # An entry without an auditID is still carried, flagged.
        odd = {**EVENT_LIST, "items": [{"verb": "get"}]}
        assert await post(api, "k8s", odd) == (200, {"entries": 1, "accepted": 1})
        [event] = await submitted(hub)
        assert event.extensions["auditflags"] == "invalid"
        assert (event.idempotency_key or "").startswith("k8s-entry:")
    assert (await post(api, "k8s", EVENT_LIST))[0] == 404  # stopped with its trigger


async def test_an_entry_the_hub_could_never_store_is_400_not_a_503_retried_forever(
    hub: Hub, api: str, make_set: MakeSet
) -> None:
    # A requestObject nested 300 deep: JSON readers take it, the store's writer does not.
    items = [*EVENT_LIST["items"][:2], {**EVENT_LIST["items"][2], "requestObject": "DEEP"}]
    body = orjson.dumps({**EVENT_LIST, "items": items}).replace(
        b'"DEEP"', b'{"a":' * 300 + b"1" + b"}" * 300
    )
    async with make_set(hub) as triggers:
        await triggers.start({"k8s": audit_trigger("kubernetes")})
        await running(triggers)
        status, answer = await post(api, "k8s", body)
        assert status == 400, answer
        assert answer["error"].startswith("not a valid audit EventList: event 3 of 3 (subject ")
        assert "more than 128 levels deep" in answer["error"]
        # Refused whole, before anything was queued; the trigger still takes the next list.
        assert await count(hub) == 0
        assert await post(api, "k8s", EVENT_LIST) == (200, {"entries": 5, "accepted": 5})
        assert triggers.status()["k8s"]["restarts"] == 0


async def test_answers_match_the_documented_operation(
    hub: Hub, api: str, make_set: MakeSet
) -> None:
    from hub.api.openapi import openapi_document
    from triggers.audit.kubernetes.openapi import OPERATION, PATH

    document = openapi_document(auth=False)
    assert PATH not in document["paths"]
    ok = OPERATION["responses"]["200"]["content"]["application/json"]["schema"]
    # The Error schema refers to other components: validated inside the document's own.
    error = {**document["components"]["schemas"]["Error"], "components": document["components"]}
    async with make_set(hub) as triggers:
        await triggers.start({"k8s": audit_trigger("kubernetes")})
        await running(triggers)
        assert jsonschema_rs.validator_for(ok).is_valid((await post(api, "k8s", EVENT_LIST))[1])
    for status, body in [await post(api, "k8s", EVENT_LIST)]:
        assert str(status) in OPERATION["responses"]
        assert jsonschema_rs.validator_for(error).is_valid(body)
