"""How a change stream is opened (the server-side pipeline and where it starts) and closed."""

from __future__ import annotations

from typing import Any

from bson import Timestamp, json_util
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.errors import OperationFailure, PyMongoError
from structlog.typing import FilteringBoundLogger

from triggers.mongodb.config import CHANGES_PER_READ, MongoTriggerConfig
from triggers.mongodb.position import Position

# ChangeStreamHistoryLost (4.4+) and CappedPositionLost (the cursor's oplog entry was
# overwritten). ChangeStreamFatalError (280) also means a lost token on older servers, but
# only when it says so: it is raised for other fatal stream errors too.
HISTORY_LOST_CODES = frozenset({286, 136})
_FATAL = 280


def history_lost(exc: OperationFailure) -> bool:
    if exc.code in HISTORY_LOST_CODES:
        return True
    message = str((exc.details or {}).get("errmsg", exc)).lower()
    return exc.code == _FATAL and ("not found" in message or "no longer" in message)


def pipeline(config: MongoTriggerConfig) -> list[dict[str, Any]]:
    """`operation_types` as a `$match` first, then the user's stages, with Extended JSON in
    them (`{"$date": …}`) turned into BSON values."""
    stages: list[dict[str, Any]] = []
    if config.operation_types is not None:
        # The invalidate is always read: the trigger must know the stream ended, and only its
        # token reopens the stream (start_after). Unless listed, no event is made of it.
        wanted = sorted({*config.operation_types, "invalidate"})
        stages.append({"$match": {"operationType": {"$in": wanted}}})
    for stage in config.pipeline or []:
        stages.append(json_util.loads(json_util.dumps(stage)))
    return stages


def stream_options(
    config: MongoTriggerConfig, position: Position | None, *, now: bool = False
) -> tuple[dict[str, Any], str]:
    """Keyword arguments for `watch()`, and how the stream starts (for the status)."""
    options: dict[str, Any] = {"pipeline": pipeline(config)}
    if config.full_document != "default":
        options["full_document"] = config.full_document
    if config.full_document_before_change != "off":
        options["full_document_before_change"] = config.full_document_before_change
    options["max_await_time_ms"] = max(1, int(config.max_await * 1000))
    options["batch_size"] = CHANGES_PER_READ
    if position is not None and not now:
        key = "start_after" if position.invalidated else "resume_after"
        options[key] = position.token
        return options, key
    start = None if now else config.start_seconds()
    if start is not None:
        options["start_at_operation_time"] = Timestamp(start, 0)
        return options, f"start_at_operation_time {config.start}"
    return options, "now"


def watch_target(client: Any, config: MongoTriggerConfig) -> Any:
    """What `watch()` is called on: the cluster, a database or a collection."""
    if config.database is None:
        return client
    database = client[config.database]
    return database if config.collection is None else database[config.collection]


def buffered(stream: AsyncChangeStream[dict[str, Any]]) -> bool:
    """Whether the stream holds changes already sent by the server (reading them costs no
    round trip). PyMongo has no public call for it; when its internals change, answering
    False only makes batches smaller."""
    cursor = getattr(stream, "_cursor", None)
    has_next = getattr(cursor, "_has_next", None)
    try:
        return bool(has_next()) if callable(has_next) else False
    except Exception:
        return False


async def close_quietly(
    stream: AsyncChangeStream[dict[str, Any]], log: FilteringBoundLogger
) -> None:
    """Close a stream that is being given up on: a failure to close it changes nothing."""
    try:
        await stream.close()
    except PyMongoError as exc:
        log.debug("closing the change stream failed", error=repr(exc))
