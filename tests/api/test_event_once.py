"""The check an invoked event passes at the door writes it as JSON; that JSON is what the
store keeps, so the event is written once."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from hub import Event, Status
from tests.api.conftest import Api


async def test_an_invoked_event_is_written_as_json_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every write of an event as JSON starts from its attributes as a dict; the function called
    # (echo) makes one of its own, which is not the hub's.
    written: list[str] = []
    original: Callable[[Event], dict[str, Any]] = Event.to_dict

    def counted(event: Event) -> dict[str, Any]:
        if f"{os.sep}hub{os.sep}" in sys._getframe(1).f_code.co_filename:
            written.append(event.id)
        return original(event)

    monkeypatch.setattr(Event, "to_dict", counted)
    async with api.session.post(
        "/v1/functions/echo/invocations", json={"order": 42}, headers={"ce-id": "e-1"}
    ) as resp:
        assert resp.status == 202, await resp.text()
        invocation_id = (await resp.json())["id"]
    inv = await api.hub.wait(invocation_id, timeout=10)
    assert inv.status is Status.SUCCEEDED, inv.last_error
    assert orjson.loads(inv.event_json)["data"] == {"order": 42}
    assert written == [inv.event.id]
