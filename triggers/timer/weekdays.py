"""The Unix weekday field, translated for APScheduler 3: Unix counts from Sunday (0, and 7
again), APScheduler from Monday, so numbers are turned into the day names both agree on."""

from __future__ import annotations

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_HELP = "0-7, where 0 and 7 are Sunday, or sun-sat"


def weekdays(field: str) -> str:
    """A Unix weekday field as the APScheduler day names it means ("*" when unrestricted)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        try:
            days |= _weekday_item(item)
        except ValueError as exc:
            raise ValueError(f"day-of-week field {field!r}: {exc}") from None
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def _weekday_item(item: str) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = _step(step_text) if slash else 1
    if base in ("*", "?"):
        low, high = 0, 6
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _weekday(first), _weekday(last)
        if low > high:
            raise ValueError(f"the range {base!r} runs backwards; write it as two ranges")
    else:
        low = _weekday(base)
        high = 6 if slash else low
    return {day % 7 for day in range(low, high + 1, step)}


def _weekday(text: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text.lower() in _WEEKDAYS:
        return _WEEKDAYS.index(text.lower())
    if "#" in text or "L" in text.upper():
        raise ValueError(f"{text!r}: the Quartz forms L and # are not supported")
    raise ValueError(f"{text!r} is not a day of the week ({_WEEKDAY_HELP})")


def _step(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise ValueError(f"the step {text!r} must be a whole number above 0")
    return int(text)
