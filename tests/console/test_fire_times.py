"""A timer's next fire times as the Triggers page shows them, across a change of the clocks."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.console.fire_times import next_fire_times
from triggers.timer.config import TimerConfig


def test_fire_times_are_local_and_show_the_change_to_summer_time() -> None:
    config = TimerConfig.model_validate(
        {"type": "timer", "function": "f", "schedule": "0 12 * * *", "timezone": "Europe/Berlin"}
    )
    # Clocks in Berlin go forward on 2026-03-29 at 02:00.
    now = datetime(2026, 3, 27, 13, 0, tzinfo=UTC).timestamp()
    fires = next_fire_times(config, now=now)
    assert [f.local for f in fires] == [
        "2026-03-28T12:00:00+01:00",
        "2026-03-29T12:00:00+02:00",
        "2026-03-30T12:00:00+02:00",
        "2026-03-31T12:00:00+02:00",
        "2026-04-01T12:00:00+02:00",
    ]
    assert [f.zone for f in fires[:2]] == ["CET", "CEST"]
    assert [f.dst for f in fires[:2]] == [False, True]
    assert [f.offset_changes for f in fires] == [False, True, False, False, False]
    assert fires[1].utc == "2026-03-29 10:00:00Z"


def test_a_trigger_that_is_not_a_timer_has_no_fire_times() -> None:
    assert next_fire_times(object()) == []
