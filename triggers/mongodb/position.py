"""Where a trigger's change stream is: the resume token of the last change whose invocations
are durably queued. Stored as the checkpoint `mongodb:<trigger>`, committed in the same
transaction as those invocations, so a restart repeats nothing and loses nothing.

After an invalidate (the watched collection or database was dropped or renamed) the stream
can only be opened again with `start_after` the invalidate's token, so the position says so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from bson import json_util

from hub.store.base import Checkpoint

VERSION = 1
_CANONICAL = json_util.CANONICAL_JSON_OPTIONS


def checkpoint_name(trigger: str) -> str:
    return f"mongodb:{trigger}"


@dataclass(frozen=True, slots=True)
class Position:
    token: Mapping[str, Any]
    namespace: str  # what the stream watched: a token only resumes the same scope
    invalidated: bool = False
    time: str | None = None  # of the last change, to say how old a lost position was

    def encode(self) -> str:
        return orjson.dumps(
            {
                "v": VERSION,
                "token": json_util.dumps(self.token, json_options=_CANONICAL),
                "namespace": self.namespace,
                "invalidated": self.invalidated,
                "time": self.time,
            }
        ).decode()

    def checkpoint(self, trigger: str) -> Checkpoint:
        return Checkpoint(checkpoint_name(trigger), self.encode())


def decode(stored: str) -> Position:
    try:
        raw = orjson.loads(stored)
        if raw.get("v") != VERSION:
            raise ValueError(f"unknown resume-position version {raw.get('v')!r}")
        token = json_util.loads(raw["token"], json_options=_CANONICAL)
        if not isinstance(token, Mapping):
            raise ValueError("the resume token is not a document")
        return Position(
            token=token,
            namespace=str(raw["namespace"]),
            invalidated=bool(raw.get("invalidated", False)),
            time=raw.get("time"),
        )
    except KeyError as exc:
        raise ValueError(f"malformed resume position: no {exc} in it") from None
    except (ValueError, TypeError, AttributeError) as exc:
        # ValueError covers both JSON parsers' decode errors and the checks above.
        raise ValueError(f"malformed resume position: {exc}") from None
