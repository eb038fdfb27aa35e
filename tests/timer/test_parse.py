"""Every form of `schedule`, and the exact message an invalid one fails with at load time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from hub.config.loader import load_text
from hub.errors import ConfigError
from hub.plugins import Registry
from tests.timer.conftest import timer
from triggers.timer import TIMER
from triggers.timer.config import TimerConfig
from triggers.timer.cron import CronSpec
from triggers.timer.expressions import AtSpec, RateSpec, parse_schedule

EVERY_DAY = "*"


@pytest.mark.parametrize(
    ("schedule", "fields"),
    [
        ("*/5 * * * *", ("0", "*/5", "*", "*", "*", EVERY_DAY)),
        ("*/1 * * * * *", ("*/1", "*", "*", "*", "*", EVERY_DAY)),
        ("0 15 2 * * ?", ("0", "15", "2", "*", "*", EVERY_DAY)),
        ("0 9 * * mon-fri", ("0", "0", "9", "*", "*", "mon,tue,wed,thu,fri")),
        ("0 9 * * 1-5", ("0", "0", "9", "*", "*", "mon,tue,wed,thu,fri")),
        ("0 0 * * 0", ("0", "0", "0", "*", "*", "sun")),
        ("0 0 * * 7", ("0", "0", "0", "*", "*", "sun")),
        ("0 0 * * 5-7", ("0", "0", "0", "*", "*", "sun,fri,sat")),
        ("0 0 * * */2", ("0", "0", "0", "*", "*", "sun,tue,thu,sat")),
        ("0 0 L * ?", ("0", "0", "0", "last", "*", EVERY_DAY)),
        ("0 0 1 jan,jul *", ("0", "0", "0", "1", "jan,jul", EVERY_DAY)),
        ("@daily", ("0", "0", "0", "*", "*", EVERY_DAY)),
        ("@hourly", ("0", "0", "*", "*", "*", EVERY_DAY)),
        ("@weekly", ("0", "0", "0", "*", "*", "sun")),
    ],
)
def test_cron_forms(schedule: str, fields: tuple[str, ...]) -> None:
    spec = parse_schedule(schedule)
    assert isinstance(spec, CronSpec)
    assert tuple(spec.fields().values()) == fields
    assert spec.timezone is None


def test_a_cron_tz_prefix_sets_the_time_zone() -> None:
    spec = parse_schedule("CRON_TZ=Asia/Shanghai 0 15 2 * * ?")
    assert isinstance(spec, CronSpec)
    assert (spec.timezone, spec.hour, spec.minute) == ("Asia/Shanghai", "2", "15")
    assert timer("CRON_TZ=Asia/Shanghai 0 15 2 * * ?").time_zone().key == "Asia/Shanghai"
    assert timer("TZ=Europe/Berlin @daily").time_zone().key == "Europe/Berlin"
    assert timer("30 2 * * *", timezone="Europe/Berlin").time_zone().key == "Europe/Berlin"
    assert timer("30 2 * * *").time_zone().key == "UTC"


def test_day_of_month_and_weekday_both_restricted_means_either() -> None:
    both = parse_schedule("0 9 13 * fri")
    one = parse_schedule("0 9 * * fri")
    assert isinstance(both, CronSpec) and isinstance(one, CronSpec)
    assert (both.either_day, one.either_day) == (True, False)


@pytest.mark.parametrize(
    ("schedule", "every_ms"),
    [
        ("rate(5 minutes)", 300_000),
        ("rate(1 minute)", 60_000),
        ("rate(250 milliseconds)", 250),
        ("rate(1 second)", 1000),
        ("RATE(2 Hours)", 7_200_000),
        ("rate( 1 day )", 86_400_000),
        ("@every 30s", 30_000),
        ("@every 1m30s", 90_000),
        ("@every 500ms", 500),
        ("@every 1.5s", 1500),
        ("@every 2h45m", 9_900_000),
    ],
)
def test_rate_forms(schedule: str, every_ms: int) -> None:
    assert parse_schedule(schedule) == RateSpec(every_ms)


def test_one_time_forms() -> None:
    east8 = timezone(timedelta(hours=8))
    assert parse_schedule("at(2026-12-01T10:00:00+08:00)") == AtSpec(
        datetime(2026, 12, 1, 10, tzinfo=east8)
    )
    assert parse_schedule("at(2026-12-01T02:00:00Z)") == AtSpec(
        datetime(2026, 12, 1, 2, tzinfo=UTC)
    )
    # Without an offset the time is read in the trigger's time zone (as AWS at() does).
    assert parse_schedule("at(2026-12-01T10:00:00)") == AtSpec(datetime(2026, 12, 1, 10))


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        (
            "* * * *",
            "a cron schedule has 5 fields (minute hour day month weekday) or 6 (second minute "
            "hour day month weekday); this one has 4",
        ),
        (
            "61 * * * *",
            "minute field '61': error validating expression '61': the last value (61) is "
            "higher than the maximum value (59)",
        ),
        ("*/0 * * * *", "minute field '*/0': increment must be higher than 0"),
        (
            "0 0 25 * * *",
            "hour field '25': error validating expression '25': the last value "
            "(25) is higher than the maximum value (23)",
        ),
        (
            "0 0 32 * *",
            "day-of-month field '32': error validating expression '32': the last "
            "value (32) is higher than the maximum value (31)",
        ),
        ("0 0 * foo *", "month field 'foo': invalid month name \"foo\""),
        (
            "0 0 * * 8",
            "day-of-week field '8': '8' is not a day of the week (0-7, where 0 and 7 are "
            "Sunday, or sun-sat)",
        ),
        (
            "0 0 * * fri-mon",
            "day-of-week field 'fri-mon': the range 'fri-mon' runs backwards; write it as two "
            "ranges",
        ),
        (
            "0 0 * * 5#2",
            "day-of-week field '5#2': '5#2': the Quartz forms L and # are not supported",
        ),
        ("0 0 15W * ?", "day-of-month field '15W': the Quartz forms W and # are not supported"),
        (
            "CRON_TZ=Mars/Base 0 * * * *",
            "unknown time zone 'Mars/Base'; use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC",
        ),
        (
            "cron(0 12 * * ? *)",
            "write the cron fields without cron(...); write a cron expression ('*/5 * * * *'), "
            "a rate ('rate(5 minutes)', '@every 30s') or one time "
            "('at(2026-12-01T10:00:00+08:00)')",
        ),
        ("rate(0 minutes)", "the rate must be a whole number above 0, not '0'"),
        ("rate(1.5 hours)", "the rate must be a whole number above 0, not '1.5'"),
        (
            "rate(5 fortnights)",
            "unknown unit 'fortnights'; write rate(N unit) with a whole N and a unit of "
            "milliseconds, seconds, minutes, hours or days",
        ),
        (
            "rate(5)",
            "write rate(N unit) with a whole N and a unit of milliseconds, seconds, minutes, "
            "hours or days",
        ),
        ("@every 10", "write @every and a duration such as 30s, 1m30s, 500ms or 2h"),
        ("@every 0s", "'0s' is zero; the interval must be at least 1ms"),
        ("@every 0.5ms", "'0.5ms' is not a whole number of milliseconds"),
        (
            "@fortnightly",
            "unknown shorthand; use @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
            "@hourly or @every <duration>",
        ),
        (
            "at(tomorrow)",
            "'tomorrow' is not a date and time; write e.g. at(2026-12-01T10:00:00+08:00)",
        ),
    ],
)
def test_invalid_schedules_say_what_is_wrong(schedule: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        timer(schedule)
    [error] = caught.value.errors()
    assert error["loc"] == ("schedule",)
    assert error["msg"] == f"Value error, invalid schedule {schedule!r}: {reason}"


def test_an_empty_schedule() -> None:
    with pytest.raises(ValidationError, match=r"invalid schedule '  ': it is empty; write a cron"):
        timer("  ")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"timezone": "Europe/Berln"},
            "unknown time zone 'Europe/Berln'; use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC",
        ),
        (
            {"schedule": "CRON_TZ=Asia/Tokyo 0 9 * * *", "timezone": "Europe/Berlin"},
            "the schedule says CRON_TZ=Asia/Tokyo but timezone is 'Europe/Berlin'; give the "
            "time zone once",
        ),
        (
            {"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "end (2026-01-01T00:00:00+00:00) must be after start",
        ),
        ({"start": "2026-02-01T00:00:00"}, "Input should have timezone info"),
        ({"misfire": "catch_up"}, "Input should be 'skip', 'fire_once' or 'fire_all'"),
        ({"misfire_max": 0}, "Input should be greater than or equal to 1"),
    ],
)
def test_invalid_options(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        timer(**{"schedule": "0 * * * *", **fields})  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_defaults() -> None:
    config = timer("rate(1 minute)")
    assert (config.misfire, config.misfire_grace, config.misfire_max) == ("skip", 10.0, 100)
    assert (config.timezone, config.start, config.end, config.data) == (None, None, None, None)


def _registry() -> Registry:
    registry = Registry()
    registry.register(TIMER)
    return registry


def test_a_triggers_file_with_timers_loads() -> None:
    doc = load_text(
        "functions:\n"
        "  report: {target: {type: http, url: 'http://localhost:9000/report'}}\n"
        "triggers:\n"
        "  nightly:\n"
        "    type: timer\n"
        "    function: report\n"
        "    schedule: 'CRON_TZ=Europe/Berlin 30 2 * * *'\n"
        "    misfire: fire_once\n"
        "    misfire_grace: 2m\n"
        "    start: 2026-01-01T00:00:00+01:00\n"
        "    data: {report: daily, recipients: [ops]}\n",
        "triggers.yaml",
        env={},
        registry=_registry(),
    )
    nightly = doc.triggers["nightly"]
    assert isinstance(nightly, TimerConfig)
    assert (nightly.misfire, nightly.misfire_grace) == ("fire_once", 120.0)
    assert nightly.data == {"report": "daily", "recipients": ["ops"]}
    assert nightly.start == datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1)))


def test_an_invalid_schedule_in_a_file_names_file_line_and_expression() -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(
            "functions:\n"
            "  report: {target: {type: http, url: 'http://localhost:9000/report'}}\n"
            "triggers:\n"
            "  nightly:\n"
            "    type: timer\n"
            "    function: report\n"
            "    schedule: '30 2 * * 8'\n"
            "  fast:\n"
            "    type: timer\n"
            "    function: report\n"
            "    schedule: rate(5 minits)\n",
            "triggers.yaml",
            env={},
            registry=_registry(),
        )
    assert str(caught.value) == (
        "triggers.yaml:7:15: triggers.nightly.schedule: invalid schedule '30 2 * * 8': "
        "day-of-week field '8': '8' is not a day of the week (0-7, where 0 and 7 are Sunday, "
        "or sun-sat)\n"
        "triggers.yaml:11:15: triggers.fast.schedule: invalid schedule 'rate(5 minits)': "
        "unknown unit 'minits'; write rate(N unit) with a whole N and a unit of milliseconds, "
        "seconds, minutes, hours or days"
    )
