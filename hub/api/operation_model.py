"""What the OpenAPI document says of one route (`Operation`, its `Answer`s), and the answers
every route of a kind gives: the token check, body reading, draining and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from hub.api import models

# A model, a JSON Schema as it is, or models any one of which the body is.
Schema = type[BaseModel] | dict[str, Any] | tuple[type[BaseModel], ...]
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}}}


@dataclass(frozen=True)
class Answer:
    description: str
    body: Schema | None = models.Error
    media: str = "application/json"
    headers: dict[str, Any] = field(default_factory=dict)
    links: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    description: str | None = None
    parameters: tuple[tuple[type[BaseModel], str], ...] = ()
    body: dict[str, Schema] | None = None  # media type to schema
    body_required: bool = True
    public: bool = False  # answered without the bearer token
    uses_store: bool = True
    changes: bool = False  # refused while draining; writes to the store

    def all_answers(self) -> dict[int, Answer]:
        """Its own answers, and those every route that does what it does gives."""
        common = common_answers(
            public=self.public,
            reads_body=self.body is not None,
            changes=self.changes,
            uses_store=self.uses_store,
        )
        return {**common, **self.answers}


def common_answers(
    *, public: bool, reads_body: bool, changes: bool, uses_store: bool
) -> dict[int, Answer]:
    """The answers the API's middleware and shared readers give a route that needs the token
    (or, without one, a loopback Host and Origin), reads a body, changes something (refused
    while draining, writes to the store) or reads the store."""
    common: dict[int, Answer] = {}
    if not public:
        common[401] = Answer(
            "Missing or wrong bearer token.",
            headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
        )
        # hub/api/loopback_host.py: what keeps other sites' pages out when there is no token.
        common[403] = Answer(
            "Only when no API token is set: the request names a host other than a loopback one "
            "(localhost, 127.0.0.1, [::1])"
            + (", or its Origin is a page of another site" if changes else "")
            + "; the message says which."
        )
    if reads_body:
        common[408] = Answer("The body did not arrive within hub.api.body_timeout.")
        common[413] = Answer("The body is larger than the configured limit.")
    if changes:
        common[503] = Answer(
            "The daemon is draining for shutdown, or the store is unavailable; nothing was "
            "accepted.",
            headers=RETRY_AFTER,
        )
        common[507] = Answer(
            "The store is out of disk space; nothing was accepted. `reason` says what failed.",
            headers=RETRY_AFTER,
        )
    elif uses_store:
        common[503] = Answer("The store is unavailable.", headers=RETRY_AFTER)
    return common
