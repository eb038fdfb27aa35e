"""POST /v1/functions/{name}/invocations: bodies, CloudEvents, deferral, idempotency."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from hub import Status
from hub.store.base import ListQuery
from hub.timefmt import parse_rfc3339, to_rfc3339
from tests.api.conftest import Api


async def invoke(api: Api, function: str = "echo", **kwargs: Any) -> tuple[int, Any, Any]:
    async with api.session.post(f"/v1/functions/{function}/invocations", **kwargs) as resp:
        return resp.status, await resp.json(), resp.headers


async def received(api: Api, invocation_id: str) -> dict[str, Any]:
    """The event as the echo function saw it, once the invocation succeeded."""
    inv = await api.hub.wait(invocation_id, timeout=10)
    assert inv.status is Status.SUCCEEDED, inv.last_error
    async with api.session.get(f"/v1/invocations/{invocation_id}") as resp:
        assert resp.status == 200
        record = await resp.json()
    assert record["status"] == "succeeded"
    return dict(record["response"])


async def test_json_body_is_accepted_after_commit_and_runs(api: Api) -> None:
    status, body, headers = await invoke(api, json={"order": 42})
    assert status == 202
    assert body["status"] == "queued"
    assert headers["Location"] == f"/v1/invocations/{body['id']}"
    # The 202 comes after the durable commit: the record is already in the store.
    assert (await api.hub.get(body["id"])).function == "echo"
    event = await received(api, body["id"])
    assert event["data"] == {"order": 42}
    assert event["type"] == "triggerhub.http.invoke"
    assert event["source"] == "/v1/functions/echo"
    assert event["datacontenttype"] == "application/json"
    assert parse_rfc3339(event["time"]) == pytest.approx(time.time(), abs=30)


async def test_non_json_body_is_carried_as_bytes(api: Api) -> None:
    raw = b"\x00\xffnot json"
    headers = {"Content-Type": "image/png"}
    status, body, _ = await invoke(api, data=raw, headers=headers)
    assert status == 202
    event = await received(api, body["id"])
    assert base64.b64decode(event["data_base64"]) == raw
    assert event["datacontenttype"] == "image/png"
    assert "data" not in event


async def test_empty_body_has_no_data(api: Api) -> None:
    status, body, _ = await invoke(api)
    assert status == 202
    event = await received(api, body["id"])
    assert "data" not in event and "data_base64" not in event


async def test_structured_cloudevent(api: Api) -> None:
    cloudevent = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "/orders",
        "type": "com.example.order.created",
        "subject": "order/42",
        "time": "2024-05-01T12:00:00Z",
        "traceparent": "00-abc-def-01",
        "datacontenttype": "application/json",
        "data": {"order": 42},
    }
    status, body, _ = await invoke(
        api,
        data=orjson.dumps(cloudevent),
        headers={"Content-Type": "application/cloudevents+json; charset=utf-8"},
    )
    assert status == 202
    assert await received(api, body["id"]) == cloudevent


async def test_binary_mode_cloudevent(api: Api) -> None:
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "ce-specversion": "1.0",
        "ce-id": "evt-2",
        "ce-source": "/sensors/7",
        "ce-type": "com.example.reading",
        "ce-subject": "caf%C3%A9",
        "ce-time": "2024-05-01T12:00:00Z",
        "ce-region": "eu1",
    }
    status, body, _ = await invoke(api, data=b"21.5", headers=headers)
    assert status == 202
    event = await received(api, body["id"])
    assert {k: event[k] for k in ("id", "source", "type", "subject", "time", "region")} == {
        "id": "evt-2",
        "source": "/sensors/7",
        "type": "com.example.reading",
        "subject": "café",
        "time": "2024-05-01T12:00:00Z",
        "region": "eu1",
    }
    assert event["datacontenttype"] == "text/plain; charset=utf-8"
    assert base64.b64decode(event["data_base64"]) == b"21.5"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"data": b"{nope", "headers": {"Content-Type": "application/json"}}, "not valid JSON"),
        (
            {"data": b'{"id": "x"}', "headers": {"Content-Type": "application/cloudevents+json"}},
            "'source'",
        ),
        (
            {
                "data": b'{"id":"x","source":"s","type":"t","Bad-Name":1}',
                "headers": {"Content-Type": "application/cloudevents+json"},
            },
            "Bad-Name",
        ),
        ({"headers": {"ce-specversion": "0.3"}}, "specversion"),
        ({"headers": {"ce-time": "yesterday"}}, "ce-time"),
        ({"headers": {"ce-Bad_Name": "x"}}, "ce-Bad_Name"),
        ({"headers": {"Idempotency-Key": " "}}, "Idempotency-Key"),
        ({"headers": {"ce-subject": "%FF"}}, "ce-subject"),
        ({"headers": {"ce-data": "x"}}, "request body"),
        ({"headers": {"ce-idempotencykey": "k"}}, "Idempotency-Key header"),
    ],
)
async def test_invalid_input_is_400_saying_what(
    api: Api, kwargs: dict[str, Any], fragment: str
) -> None:
    status, body, _ = await invoke(api, **kwargs)
    assert status == 400
    assert fragment in body["error"]


def nested(depth: int) -> Any:
    """A JSON value of `depth` nested arrays."""
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def nested_json(depth: int) -> bytes:
    """`nested(depth)` as JSON text, written by hand: JSON writers refuse this deep."""
    return b"[" * depth + b'"deep"' + b"]" * depth


STRUCTURED = {"Content-Type": "application/cloudevents+json"}
CLOUDEVENT = {"id": "e", "source": "/s", "type": "t"}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        # Deeper than JSON writers take (orjson stops at 254): read fine, then failed as a 500.
        (
            {"data": nested_json(300), "headers": {"Content-Type": "application/json"}},
            "more than 128 levels deep",
        ),
        (
            {
                "data": b'{"id": "e", "source": "/s", "type": "t", "data": '
                + nested_json(260)
                + b"}",
                "headers": STRUCTURED,
            },
            "more than 128 levels deep",
        ),
        (
            {"data": orjson.dumps({**CLOUDEVENT, "orderingkey": {"a": 1}}), "headers": STRUCTURED},
            "'orderingkey'",
        ),
        (
            {"data": orjson.dumps({**CLOUDEVENT, "orderingkey": ["a"]}), "headers": STRUCTURED},
            "'orderingkey'",
        ),
        (
            {"data": orjson.dumps({**CLOUDEVENT, "tenant": {"id": 1}}), "headers": STRUCTURED},
            "extension attribute 'tenant' must be a string, an integer or a boolean, not an object",
        ),
        (
            {"data": orjson.dumps({**CLOUDEVENT, "tags": ["a"]}), "headers": STRUCTURED},
            "'tags' must be a string, an integer or a boolean, not an array",
        ),
        ({"data": orjson.dumps({**CLOUDEVENT, "ratio": 0.5}), "headers": STRUCTURED}, "'ratio'"),
        (
            {"data": orjson.dumps({**CLOUDEVENT, "big": 2**31}), "headers": STRUCTURED},
            "'big' is an integer out of the signed 32-bit range",
        ),
        (
            {"data": orjson.dumps({**CLOUDEVENT, "subject": 7}), "headers": STRUCTURED},
            "'subject' must be a string",
        ),
    ],
)
async def test_events_the_hub_could_never_store_are_400_with_the_reason(
    api: Api, kwargs: dict[str, Any], fragment: str
) -> None:
    status, body, _ = await invoke(api, **kwargs)
    assert (status, fragment in body["error"]) == (400, True), body
    assert (await api.hub.query(ListQuery(function="echo"))).items == []


async def test_the_deepest_data_taken_runs_and_reads_back(api: Api) -> None:
    data = nested(128)
    status, body, _ = await invoke(api, json=data)
    assert status == 202
    assert (await received(api, body["id"]))["data"] == data
    # A page of invocation records nests the event deeper still: it must be writable too.
    async with api.session.get("/v1/invocations", params={"function": "echo"}) as resp:
        assert resp.status == 200
        assert (await resp.json())["items"][0]["event"]["data"] == data


async def test_brackets_in_text_are_no_nesting_and_the_depth_limit_holds_beside_them(
    api: Api,
) -> None:
    # The check counts brackets first and probes the depth only when there are many: text full
    # of brackets must neither be refused nor hide data nested too deep.
    text = "[{" * 300
    data = {"text": text, "deep": nested(127)}
    status, body, _ = await invoke(api, json=data)
    assert status == 202, body
    assert (await received(api, body["id"]))["data"] == data
    too_deep = b'{"text": "' + text.encode() + b'", "deep": ' + nested_json(128) + b"}"
    status, body, _ = await invoke(api, data=too_deep, headers={"Content-Type": "application/json"})
    assert (status, "more than 128 levels deep" in body["error"]) == (400, True), body


@pytest.mark.parametrize(
    "ts",
    [0.0, 0.5, 1.9999995, 1.0000005, 1.0000015, 1732900000.9999996, 1e9 + 0.1234565,
     253402300798.5, 4e9 + 0.25, time.time()],
)  # fmt: skip
def test_timestamps_are_written_as_datetime_writes_them(ts: float) -> None:
    # Written from a per-second cache, the text must be isoformat's to the microsecond
    # (rounded half to even), across a change of second too.
    expected = datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")
    assert to_rfc3339(ts) == expected.replace("+00:00", "Z")
    assert to_rfc3339(ts + 1.0) == datetime.fromtimestamp(ts + 1.0, UTC).isoformat(
        timespec="microseconds"
    ).replace("+00:00", "Z")


async def test_cloudevent_attribute_types_and_null_attributes(api: Api) -> None:
    cloudevent = {
        **CLOUDEVENT,
        "orderingkey": "order-42",
        "flag": True,
        "count": -(2**31),
        "gone": None,  # null is an absent attribute in the JSON format
        "subject": None,
    }
    status, body, _ = await invoke(api, data=orjson.dumps(cloudevent), headers=STRUCTURED)
    assert status == 202, body
    event = await received(api, body["id"])
    assert (event["orderingkey"], event["flag"], event["count"]) == ("order-42", True, -(2**31))
    assert "gone" not in event and "subject" not in event
    assert (await api.hub.get(body["id"])).ordering_key == "order-42"
    # In binary mode too: the header is the ordering key, not an extension beside it.
    status, body, _ = await invoke(api, json=1, headers={"ce-orderingkey": "order-43"})
    assert status == 202, body
    assert (await api.hub.get(body["id"])).ordering_key == "order-43"


async def test_unknown_function_is_404(api: Api) -> None:
    status, body, _ = await invoke(api, "nope", json={})
    assert status == 404
    assert "nope" in body["error"]


async def test_delay_header_defers_the_start(api: Api) -> None:
    status, body, _ = await invoke(api, json=1, headers={"X-Triggerhub-Delay": "0.2"})
    assert status == 202
    inv = await api.hub.get(body["id"])
    assert inv.not_before - inv.created_at == pytest.approx(0.2, abs=0.05)
    done = await api.hub.wait(body["id"], timeout=10)
    assert done.started_at is not None and done.started_at >= inv.not_before


async def test_not_before_header_defers_the_start(api: Api) -> None:
    at = time.time() + 60
    status, body, _ = await invoke(
        api, json=1, headers={"X-Triggerhub-Not-Before": to_rfc3339(at) or ""}
    )
    assert status == 202
    inv = await api.hub.get(body["id"])
    assert inv.not_before == pytest.approx(at, abs=0.001)
    assert inv.status is Status.QUEUED


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"X-Triggerhub-Delay": "soon"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "-1"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "nan"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "604801"}, "X-Triggerhub-Delay"),
        # float() takes these; the document says plain decimal digits.
        ({"X-Triggerhub-Delay": "1_000"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "-0"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "1e3"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "+5"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "5 0"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "infinity"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Delay": "604800.5"}, "X-Triggerhub-Delay"),
        ({"X-Triggerhub-Not-Before": "tomorrow"}, "X-Triggerhub-Not-Before"),
        ({"X-Triggerhub-Not-Before": "2024-05-01T12:00:00"}, "X-Triggerhub-Not-Before"),
        ({"X-Triggerhub-Not-Before": "2999-01-01T00:00:00Z"}, "X-Triggerhub-Not-Before"),
        (
            {"X-Triggerhub-Delay": "1", "X-Triggerhub-Not-Before": "2024-05-01T12:00:00Z"},
            "not both",
        ),
    ],
)
async def test_bad_deferral_headers_are_400_naming_the_header(
    api: Api, headers: dict[str, str], named: str
) -> None:
    status, body, _ = await invoke(api, json=1, headers=headers)
    assert status == 400
    assert named in body["error"]


@pytest.mark.parametrize("delay", ["0", "30", "0.25", "604800", "604800.000"])
async def test_delays_the_document_allows_are_taken(api: Api, delay: str) -> None:
    status, body, _ = await invoke(api, json=1, headers={"X-Triggerhub-Delay": delay})
    assert status == 202, body
    inv = await api.hub.get(body["id"])
    assert inv.not_before - inv.created_at == pytest.approx(float(delay), abs=0.05)


@pytest.mark.parametrize(
    "headers",
    [
        # A structured event takes its attributes from the body, yet a ce-* header sent with
        # it must still be one the document allows: empty values were taken (202).
        {"Content-Type": "application/cloudevents+json", "ce-type": ""},
        {"Content-Type": "application/cloudevents+json", "ce-source": "%zz"},
        # Percent-encoding must be well-formed: a bare '%' was kept as it was.
        {"ce-subject": "50%"},
        {"ce-subject": "%zz"},
        # Beyond ASCII the HTTP binding percent-encodes.
        {"ce-subject": "café"},
    ],
)
async def test_ce_headers_outside_the_documented_pattern_are_400(
    api: Api, headers: dict[str, str]
) -> None:
    data = orjson.dumps({"id": "e", "source": "/s", "type": "t"})
    status, body, _ = await invoke(api, data=data, headers=headers)
    assert status == 400, body
    assert "ASCII text, percent-encoding UTF-8 beyond it" in body["error"]


async def test_idempotency_key_turns_a_duplicate_into_409_with_the_first_id(api: Api) -> None:
    key = {"Idempotency-Key": "order-42"}
    status, first, _ = await invoke(api, json={"n": 1}, headers=key)
    assert status == 202
    status, second, headers = await invoke(api, json={"n": 2}, headers=key)
    assert status == 409
    assert second["id"] == first["id"]
    assert "idempotency key" in second["error"]
    assert headers["Location"] == f"/v1/invocations/{first['id']}"
    # The same key for another function is another invocation.
    status, _, _ = await invoke(api, "refuse-once", json={}, headers=key)
    assert status == 202
    page = await api.hub.query(ListQuery(function="echo"))
    assert [inv.id for inv in page.items] == [first["id"]]


async def test_structured_event_idempotency_key_deduplicates(api: Api) -> None:
    cloudevent = {"id": "e", "source": "/s", "type": "t", "idempotencykey": "tick-7"}
    headers = {"Content-Type": "application/cloudevents+json"}
    status, first, _ = await invoke(api, data=orjson.dumps(cloudevent), headers=headers)
    assert status == 202
    status, second, _ = await invoke(api, data=orjson.dumps(cloudevent), headers=headers)
    assert (status, second["id"]) == (409, first["id"])
    cloudevent["idempotencykey"] = 7
    status, body, _ = await invoke(api, data=orjson.dumps(cloudevent), headers=headers)
    assert status == 400 and "idempotencykey" in body["error"]
