"""Deferred starts requested by header: a delay in seconds or an absolute not-before time."""

from __future__ import annotations

import re
from dataclasses import dataclass

from multidict import CIMultiDictProxy

from hub import clock
from hub.api.errors import ApiError
from hub.submission import MAX_DELAY
from hub.timefmt import parse_rfc3339

DELAY_HEADER = "X-Triggerhub-Delay"
NOT_BEFORE_HEADER = "X-Triggerhub-Not-Before"
# Plain decimal seconds from 0 to 604800 (MAX_DELAY), a fraction allowed: no sign, exponent,
# underscore or inner space that float() would take. Written out so the OpenAPI document can
# state the very rule the server applies.
DELAY_PATTERN = (
    r"^(?:(?:[0-9]{1,5}|[1-5][0-9]{5}|60[0-3][0-9]{3}|604[0-7][0-9]{2})(?:\.[0-9]+)?"
    r"|604800(?:\.0+)?)$"
)
DELAY = re.compile(DELAY_PATTERN)


@dataclass(slots=True, frozen=True)
class Schedule:
    delay: float | None = None
    not_before: float | None = None


def parse_schedule(headers: CIMultiDictProxy[str]) -> Schedule:
    delay = headers.get(DELAY_HEADER)
    not_before = headers.get(NOT_BEFORE_HEADER)
    if delay is not None and not_before is not None:
        raise ApiError(400, f"send either {DELAY_HEADER} or {NOT_BEFORE_HEADER}, not both")
    if delay is not None:
        return Schedule(delay=_delay(delay))
    if not_before is not None:
        return Schedule(not_before=_not_before(not_before))
    return Schedule()


def _delay(text: str) -> float:
    if not DELAY.fullmatch(text):
        raise ApiError(
            400,
            f"{DELAY_HEADER} must be a plain decimal number of seconds from 0 to "
            f"{MAX_DELAY:g} (7 days), like 30 or 0.25",
        )
    return float(text)


def _not_before(text: str) -> float:
    try:
        value = parse_rfc3339(text)
    except (ValueError, OverflowError) as exc:
        raise ApiError(
            400, f"{NOT_BEFORE_HEADER} must be an RFC 3339 timestamp with an offset: {exc}"
        ) from None
    # Checked here, not left to the hub, so the error names the header.
    if value - clock.now() > MAX_DELAY:
        raise ApiError(400, f"{NOT_BEFORE_HEADER} must be at most 7 days ahead")
    return value
