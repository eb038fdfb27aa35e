"""What `hub.plugins` offers a plugin beside the contract: invalid and batch events, imports
that need an extra, a committed position and the default nack."""

from __future__ import annotations

import pytest
import structlog

from hub.errors import MissingExtraError
from hub.eventcheck import check_event
from hub.events import INVALID_ATTR, Event
from hub.plugins import (
    SourceContext,
    batch_event,
    import_extra,
    invalid_event,
    invalid_reason,
    read_again,
    stand_in,
    stored_position,
)

LOG = structlog.get_logger("test")


def test_an_invalid_event_carries_its_reason_where_the_executor_reads_it() -> None:
    event = invalid_event(
        type="x.invalid", source="x://a", reason="too big", data=b"abc", extensions={"xsize": 3}
    )
    assert event.extensions == {"xsize": 3, INVALID_ATTR: "too big"}
    assert invalid_reason(event) == "too big"
    assert event.datacontenttype == "application/octet-stream"
    check_event(event)  # a proper CloudEvent: it is stored and acked like any other
    assert invalid_reason(Event(type="x", source="y")) is None


def test_a_stand_in_keeps_what_is_valid_and_says_why() -> None:
    broken = Event(type="x", source="y", data={1: "a key that is no string"}, subject="s")
    event = stand_in(broken, "the data is no JSON")
    assert invalid_reason(event) == "the data is no JSON"
    assert (event.type, event.source, event.subject) == ("x", "y", "s")
    check_event(event)


def test_a_batch_event_carries_its_members_as_cloudevents_in_order() -> None:
    members = [
        Event(type="x.one", source="x://a", data=n, time=f"2026-01-0{n}T00:00:00Z") for n in (1, 2)
    ]
    event = batch_event(members, type="x.batch", source="x://a", idempotency_key="x:1-2")
    assert [m["data"] for m in event.data] == [1, 2]
    assert [m["id"] for m in event.data] == [m.id for m in members]
    assert (event.time, event.datacontenttype) == (members[0].time, "application/json")


def test_a_missing_extra_is_named_and_any_other_missing_module_is_not() -> None:
    missing = "triggerhub_test_client_that_is_not_installed"
    with pytest.raises(MissingExtraError, match=r"pip install 'triggerhub\[demo\]'"):
        import_extra(missing, "Client", extra="demo", packages=(missing,))
    with pytest.raises(ModuleNotFoundError, match=missing):
        import_extra(missing, "Client", extra="demo", packages=("boto3",))
    assert import_extra("json", "dumps", extra="demo", packages=()) is __import__("json").dumps


async def test_the_default_nack_forgets_what_was_read_sync_or_async() -> None:
    forgotten: list[str] = []

    async def forget_async() -> None:
        forgotten.append("async")

    await read_again(LOG, "lines", lambda: forgotten.append("sync"))("submit failed")
    await read_again(LOG, "lines", forget_async)("submit failed")
    assert forgotten == ["sync", "async"]


async def test_an_unreadable_stored_position_is_taken_as_none() -> None:
    stored = {"good": "7", "bad": "seven"}

    async def get(name: str) -> str | None:
        return stored.get(name)

    context = SourceContext(trigger="t", get_checkpoint=get, log=LOG)
    assert await stored_position(context, "good", int) == 7
    assert await stored_position(context, "bad", int) is None
    assert await stored_position(context, "none", int) is None
