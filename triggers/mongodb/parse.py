"""One change document → one CloudEvent. Pure: no server, no
clock, no I/O; only `bson` (shipped with PyMongo) to write BSON values as Extended JSON.

`data` is the change document in relaxed Extended JSON: ObjectIds are `{"$oid": …}`, dates
`{"$date": "…Z"}`, Decimal128 `{"$numberDecimal": "…"}`, plain numbers and strings stay plain,
so a function in any language reads it and nothing is rounded away."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from bson import ObjectId, json_util

from hub.events import Event
from hub.plugins.events import JSON, invalid_event
from hub.timefmt import to_rfc3339

TYPE_PREFIX = "triggerhub.mongodb."
INVALID_TYPE = "triggerhub.mongodb.invalid"
_RELAXED = json_util.RELAXED_JSON_OPTIONS
_CANONICAL = json_util.CANONICAL_JSON_OPTIONS


def relaxed(value: Any) -> Any:
    """BSON values as JSON-compatible Python values (relaxed Extended JSON)."""
    return orjson.loads(json_util.dumps(value, json_options=_RELAXED))


def token_text(token: Mapping[str, Any]) -> str:
    """A resume token as one string: its `_data` hex where it has one (every MongoDB since
    4.2), its canonical Extended JSON otherwise."""
    data = token.get("_data")
    return data if isinstance(data, str) else json_util.dumps(token, json_options=_CANONICAL)


def idempotency_key(token: Mapping[str, Any]) -> str:
    return f"mongodb:{token_text(token)}"


def namespace(change: Mapping[str, Any]) -> str | None:
    ns = change.get("ns")
    if not isinstance(ns, Mapping) or not isinstance(ns.get("db"), str):
        return None
    coll = ns.get("coll")
    return f"{ns['db']}.{coll}" if isinstance(coll, str) else str(ns["db"])


def document_id(change: Mapping[str, Any]) -> str | None:
    """The changed document's key as text: an ObjectId or string `_id` as is, anything else
    (numbers, compound `_id`s, shard keys) as compact relaxed Extended JSON."""
    key = change.get("documentKey")
    if not isinstance(key, Mapping):
        return None
    if set(key) == {"_id"}:
        value = key["_id"]
        if isinstance(value, ObjectId | str):
            return str(value)
        return orjson.dumps(relaxed(value)).decode()
    return orjson.dumps(relaxed(key)).decode()


def subject(change: Mapping[str, Any]) -> str | None:
    ns, doc = namespace(change), document_id(change)
    if ns is None:
        return None
    return ns if doc is None else f"{ns}/{doc}"


def change_time(change: Mapping[str, Any]) -> str | None:
    wall = change.get("wallTime")
    if isinstance(wall, datetime):
        moment = wall if wall.tzinfo is not None else wall.replace(tzinfo=UTC)
        return to_rfc3339(moment.timestamp())
    cluster = change.get("clusterTime")
    seconds = getattr(cluster, "time", None)
    return to_rfc3339(float(seconds)) if isinstance(seconds, int) else None


def parse(change: Mapping[str, Any], source: str, ordering: str = "none") -> Event:
    token = change["_id"]
    operation = change.get("operationType")
    if not isinstance(operation, str) or not operation:
        raise ValueError("the change document has no operationType")
    ns, about = namespace(change), subject(change)
    return Event(
        type=TYPE_PREFIX + operation,
        source=source,
        subject=about,
        time=change_time(change),
        data=relaxed(change),
        datacontenttype=JSON,
        extensions={"mongodbnamespace": ns} if ns is not None else {},
        idempotency_key=idempotency_key(token),
        # `document`: one change of a document at a time; changes without a document (drop,
        # rename, invalidate) are ordered per namespace.
        ordering_key=(about or "*") if ordering == "document" else None,
    )


def change_event(change: Mapping[str, Any], source: str, ordering: str = "none") -> Event:
    """`parse`, or for a change it cannot read the invalid event carrying it: never dropped."""
    try:
        return parse(change, source, ordering)
    except Exception as exc:
        return unparsed_event(change, source, f"unreadable change document: {exc!r}")


def change_events(
    changes: Sequence[Mapping[str, Any]],
    source: str,
    operation_types: Sequence[str] | None,
    ordering: str,
) -> list[Event]:
    """What one read of the stream becomes: an event per change."""
    # The server always sends an invalidate; it is only an event when asked for (or when no
    # operation_types are given), but it always ends the stream.
    hidden = operation_types is not None and "invalidate" not in operation_types
    kept = [c for c in changes if not hidden or c.get("operationType") != "invalidate"]
    return [change_event(change, source, ordering) for change in kept]


def unparsed_event(change: Mapping[str, Any], source: str, reason: str) -> Event:
    """For a change that made parse() fail: carried with the reason, never dropped."""
    try:
        data: Any = relaxed(change)
    except Exception:
        data = repr(change)
    token = change.get("_id")
    return invalid_event(
        type=INVALID_TYPE,
        source=source,
        reason=reason,
        subject=namespace(change),
        data=data,
        datacontenttype=None,
        idempotency_key=idempotency_key(token) if isinstance(token, Mapping) else None,
    )


def public_location(uri: str) -> str:
    """The URI's hosts without credentials or options, for the events' `source`:
    `mongodb://user:pw@a:27017,b/?replicaSet=rs` → `mongodb://a:27017,b`."""
    scheme, _, rest = uri.partition("://")
    hosts = rest.split("/", 1)[0].split("?", 1)[0]
    hosts = hosts.rsplit("@", 1)[-1]
    return f"{scheme}://{hosts}"


def event_source(uri: str, watched: str) -> str:
    return f"{public_location(uri)}/{watched}"
