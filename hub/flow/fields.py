"""Event fields named by a dotted path (`data.order_id`, `subject`), read from the event's JSON
object: the wire form is parsed once, never turned into an Event."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import Field

FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$"
FieldPath = Annotated[
    str,
    Field(
        pattern=FIELD_PATTERN,
        description="A dotted path into the CloudEvent: `data.tenant`, `data.a.b`, `subject`.",
    ),
]

MISSING: Any = object()


def field_value(event: dict[str, Any], path: str) -> Any:
    """The value at `path`, or MISSING when a step is absent or not a mapping."""
    value: Any = event
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return MISSING
        value = value[step]
    return value


def key_text(value: Any) -> str:
    """One text for a key value: its JSON, so 1 and "1" stay different keys."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
