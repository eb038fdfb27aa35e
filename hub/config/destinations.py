"""The built-in destinations' models: another function, an HTTP URL, a dead-letter file.

Plugins add their own destination kinds (kafka, amqp) with their models; see
hub/destinations/kinds.py."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainValidator, SerializeAsAny

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.config.kind_unions import by_registry
from hub.config.patterns import HTTP_URL_PATTERN


class FunctionDestination(Strict):
    type: Literal["function"] = "function"
    function: str = Field(description="Name of the function to invoke with the record as data.")


class HttpDestination(Strict):
    type: Literal["http"] = "http"
    url: str = Field(
        pattern=HTTP_URL_PATTERN, description="URL that receives the record as a POST."
    )
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = Field(10.0, gt=0)


class FileDestination(Strict):
    type: Literal["file"] = "file"
    path: str = Field(description="JSON-lines file; each record is appended and fsynced.")


def destination_shorthand(value: Any) -> Any:
    """`function:NAME`, `file:PATH` and `http(s)://URL` stand for the full mappings."""
    if not isinstance(value, str):
        return value
    if value.startswith(("http://", "https://")):
        return {"type": "http", "url": value}
    kind, sep, rest = value.partition(":")
    if sep and kind in ("function", "file") and rest:
        return {"type": kind, kind if kind == "function" else "path": rest}
    raise ValueError(
        f"{value!r} is not a destination; write function:NAME, file:PATH, an http(s) URL, "
        "or a mapping with a 'type'"
    )


DestinationConfig = Annotated[
    SerializeAsAny[BaseModel],
    PlainValidator(by_registry("destination")),
    BeforeValidator(destination_shorthand),
]
"""Any registered destination's model, picked by `type` when validated (see
hub/destinations/kinds.py); the triggers file's own model is the union of the registered ones."""
