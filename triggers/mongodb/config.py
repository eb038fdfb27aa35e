"""The `type: mongodb` trigger's options, checked when the triggers file loads (no connection).

The pipeline is written in YAML and may use Extended JSON (`{"$date": "…"}`, `{"$oid": "…"}`)
for values that plain YAML cannot express; it is converted to BSON when the stream opens."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, JsonValue, field_validator, model_validator

from hub.config.durations import Duration
from hub.config.spellings import Respelled, trigger_batch_respelled
from hub.config.triggers import TriggerConfig
from hub.plugins.options import batched_in_order

CHANGES_PER_READ = 100
"""How many changes the server sends per round trip (and what `batch: true` gathered)."""
OperationType = Literal[
    "insert", "update", "replace", "delete", "drop", "rename", "dropDatabase", "invalidate"
]
FullDocument = Literal["default", "updateLookup", "whenAvailable", "required"]
BeforeChange = Literal["off", "whenAvailable", "required"]

# What MongoDB allows in a change stream's pipeline.
ALLOWED_STAGES = frozenset(
    {
        "$match",
        "$project",
        "$addFields",
        "$set",
        "$unset",
        "$replaceRoot",
        "$replaceWith",
        "$redact",
    }
)
# Stages that can remove or rewrite `_id`, the resume token the trigger commits.
_RESHAPING = frozenset({"$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith"})


class MongoTriggerConfig(TriggerConfig):
    """Changes to a MongoDB collection, database or whole cluster, read from a change stream
    whose resume token is committed with the invocations."""

    type: Literal["mongodb"]
    uri: str = Field(
        min_length=1,
        description="mongodb:// or mongodb+srv:// URI of a replica set or sharded cluster; put "
        "credentials in an environment variable (${MONGO_URI}).",
    )
    database: str | None = Field(
        None, min_length=1, description="Watch this database (all its collections)."
    )
    collection: str | None = Field(
        None,
        min_length=1,
        description="Watch only this collection of `database`. Neither: the whole cluster.",
    )
    operation_types: list[OperationType] | None = Field(
        None,
        min_length=1,
        description="Only these operations become invocations (filtered by the server). "
        "An invalidate always ends the stream, listed or not.",
    )
    pipeline: list[dict[str, JsonValue]] | None = Field(
        None,
        description="Extra aggregation stages ($match, $project, $addFields, $set, $unset, "
        "$replaceRoot, $replaceWith, $redact) run by the server after operation_types.",
    )
    full_document: FullDocument = Field(
        "default",
        description="Updates: `updateLookup` adds the document as it is now; `whenAvailable` / "
        "`required` use post-images (the collection's changeStreamPreAndPostImages).",
    )
    full_document_before_change: BeforeChange = Field(
        "off",
        description="Updates, replaces and deletes: the document before the change (needs "
        "changeStreamPreAndPostImages on the collection).",
    )
    ordering: Literal["none", "document"] = Field(
        "none",
        description="document: changes to one document run one at a time, in change order "
        "(with `batching`: the batches run one at a time, in change order).",
    )
    start: str = Field(
        "now",
        description="Where a trigger with no stored resume token starts: now, or an RFC 3339 "
        "timestamp still in the server's oplog.",
    )
    on_history_lost: Literal["fail", "start_now"] = Field(
        "fail",
        description="The stored resume token is no longer in the server's history: `fail` stops "
        "the trigger and says why; `start_now` starts from the present, logs and counts the gap.",
    )
    on_invalidate: Literal["end", "continue"] = Field(
        "end",
        description="After a drop, rename or dropDatabase invalidates the stream: `end` stops the "
        "trigger (state ended) until it is reloaded; `continue` watches again at once "
        "(start_after the invalidate).",
    )
    max_await: Duration = Field(
        1.0,
        gt=0,
        le=60,
        description="How long the server holds an idle read open before answering empty.",
    )
    connect_timeout: Duration = Field(
        10.0, gt=0, le=300, description="How long to look for a usable server before retrying."
    )

    @classmethod
    def respell(cls, data: dict[str, Any]) -> list[Respelled]:
        return trigger_batch_respelled(data, CHANGES_PER_READ)

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if value != "now":
            start_seconds(value)
        return value

    @field_validator("pipeline")
    @classmethod
    def _stages(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        for index, stage in enumerate(value or []):
            check_stage(index, stage)
        return value

    @field_validator("uri")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("uri must start with mongodb:// or mongodb+srv://")
        return value

    @model_validator(mode="after")
    def _scope(self) -> MongoTriggerConfig:
        if self.collection is not None and self.database is None:
            raise ValueError("collection needs database")
        return batched_in_order(self, self.ordering != "none")

    def single_reader(self) -> bool:
        return True

    @property
    def scope(self) -> str:
        if self.collection is not None:
            return "collection"
        return "database" if self.database is not None else "cluster"

    @property
    def namespace(self) -> str:
        """What is watched, as the server names it: `db.coll`, `db` or `*` for the cluster."""
        if self.database is None:
            return "*"
        return self.database if self.collection is None else f"{self.database}.{self.collection}"

    def start_seconds(self) -> int | None:
        return None if self.start == "now" else start_seconds(self.start)


def check_stage(index: int, stage: dict[str, Any]) -> None:
    if len(stage) != 1:
        raise ValueError(f"pipeline[{index}] must have exactly one stage operator, got {stage!r}")
    ((name, body),) = stage.items()
    if name not in ALLOWED_STAGES:
        allowed = ", ".join(sorted(ALLOWED_STAGES))
        raise ValueError(
            f"pipeline[{index}]: {name!r} is not allowed in a change stream (use {allowed})"
        )
    if name in _RESHAPING and _touches_id(name, body):
        raise ValueError(
            f"pipeline[{index}]: {name} must not change `_id`: it is the resume token the "
            "trigger commits"
        )


def _is_id(field: Any) -> bool:
    return isinstance(field, str) and (field == "_id" or field.startswith("_id."))


def _touches_id(name: str, body: Any) -> bool:
    if name in ("$replaceRoot", "$replaceWith"):
        root = body.get("newRoot") if name == "$replaceRoot" and isinstance(body, dict) else body
        # A new root keeps the token only when it carries `_id` over unchanged.
        return not (isinstance(root, dict) and root.get("_id") == "$_id")
    if name == "$unset":
        fields = [body] if isinstance(body, str) else body
        return isinstance(fields, list) and any(_is_id(field) for field in fields)
    if not isinstance(body, dict):
        return False
    touched = [key for key in body if _is_id(key)]
    # `{_id: 1}` in an inclusion $project keeps it; anything else removes or rewrites it.
    if name == "$project" and touched == ["_id"] and body["_id"] in (1, True):
        return False
    return bool(touched)


def start_seconds(value: str) -> int:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"start {value!r} is not `now` or an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(f"start {value!r} needs a time zone (e.g. Z or +00:00)")
    return int(moment.timestamp())
