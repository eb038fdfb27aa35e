"""Webhook kinds: push sources whose events arrive over the hub's HTTP API at
`POST /v1/hooks/{kind}/{trigger}`. A `WebhookKind` names the kind in the path, the config model
of the triggers it feeds and a lazily imported parser of a request body; the trigger's source is
an `InboxSource` (hub/intake/inbox.py) opened under the same kind, so a pushed body takes the
same path through intake as a read one and is answered once durably queued.

Built-in kinds register on import (object_storage, audit); a third-party distribution through
the entry-point group `triggerhub.webhooks`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hub.config.triggers import TriggerConfig
from hub.events import Event
from hub.kinds import Kind, KindRegistry, load_path, shared_registry

ENTRY_POINT_GROUP = "triggerhub.webhooks"


@dataclass(frozen=True, slots=True)
class Pushed:
    """What became of a request: `received` events parsed, `read` of them taken by the source
    (a source may test its own options first), `kept` by the trigger's filter and queued as
    `invocations` (their ids; a resend gets the same ids back)."""

    received: int
    read: int
    kept: int
    invocations: list[str]


class WebhookParse(Protocol):
    """`(body, headers, trigger_config, trigger_name) -> events`; raises ValueError naming what
    is wrong with the body (answered 400)."""

    def __call__(
        self, body: bytes, headers: Mapping[str, str], config: Any, trigger: str, /
    ) -> Sequence[Event]: ...


class BodyRefused(ValueError):
    """A parser's refusal whose message stands on its own (answered 400 as it is)."""


def count_answer(pushed: Pushed) -> dict[str, Any]:
    return {
        "received": pushed.received,
        "filtered": pushed.received - pushed.kept,
        "invocations": pushed.invocations,
    }


@dataclass(frozen=True, slots=True)
class WebhookKind(Kind[TriggerConfig, WebhookParse]):
    """`name` is the `{kind}` of the path; `body` names what a request carries in messages
    ("object-storage notification"; "<name> notification" when empty); `triggers` names the
    triggers it feeds in a 404 ("kubernetes audit"; the kind's name when empty); `answer`
    shapes the 200 body; `openapi_path` names a `module:attribute` holding the route's
    OpenAPI path items."""

    body: str = ""
    triggers: str = ""
    answer: Callable[[Pushed], dict[str, Any]] = count_answer
    openapi_path: str | None = None

    def body_name(self) -> str:
        return self.body or f"{self.name} notification"

    def triggers_name(self) -> str:
        return self.triggers or self.name

    def openapi_paths(self) -> dict[str, Any]:
        if self.openapi_path is None:
            return {}
        paths: dict[str, Any] = load_path(self.openapi_path)
        return paths


webhook_kinds: KindRegistry[WebhookKind] = shared_registry(
    "webhook", ENTRY_POINT_GROUP, WebhookKind, typed=False
)


def register_webhook(kind: WebhookKind) -> None:
    """Called by a plugin package when it is imported."""
    webhook_kinds.register(kind)


def webhook(kind: str) -> WebhookKind | None:
    return webhook_kinds.loaded().kinds().get(kind)


def webhook_openapi_paths() -> dict[str, Any]:
    """The OpenAPI entries that registered webhook kinds add."""
    return {
        path: item
        for kind in webhook_kinds.kinds().values()
        for path, item in kind.openapi_paths().items()
    }
