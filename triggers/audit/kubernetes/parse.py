"""Audit entries of an `audit.k8s.io/v1` EventList to CloudEvents, pure, and the `verbs`,
`resources`, `namespaces`, `users`, `stages` options as a test on an entry."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from hub.events import Event
from hub.timefmt import rfc3339_or_none

KUBERNETES_TYPE = "triggerhub.audit.kubernetes"
API_VERSIONS = frozenset({"audit.k8s.io/v1"})


class EventListError(ValueError):
    """The body is not an audit EventList."""


def entries(document: Any) -> list[Any]:
    if not isinstance(document, dict) or document.get("kind") != "EventList":
        raise EventListError("expected an audit EventList: {kind: EventList, items: [...]}")
    version = document.get("apiVersion")
    # Any JSON value may come here: an object or list cannot even be looked up in a set.
    if not isinstance(version, str) or version not in API_VERSIONS:
        raise EventListError(f"apiVersion must be audit.k8s.io/v1, not {version!r}")
    items = document.get("items")
    if not isinstance(items, list):
        raise EventListError("'items' must be a list of audit events")
    return items


def idempotency_key(entry: Any) -> str:
    if isinstance(entry, dict) and entry.get("auditID") and entry.get("stage"):
        return f"k8s:{entry['auditID']}:{entry['stage']}"
    # Not the documented shape: still carried, keyed by its content.
    try:
        content = orjson.dumps(entry)
    except orjson.JSONEncodeError:
        content = b""  # not writable as JSON (nested too deep): its event is refused anyway
    return f"k8s-entry:{hashlib.sha256(content).hexdigest()[:32]}"


def audit_event(entry: Any, trigger: str) -> Event:
    key = idempotency_key(entry)
    fields = entry if isinstance(entry, dict) else {}
    ref = _dict(fields.get("objectRef"))
    extensions = {
        name: value
        for name, value in (
            ("auditverb", fields.get("verb")),
            ("auditstage", fields.get("stage")),
            ("audituser", _dict(fields.get("user")).get("username")),
            ("auditresource", resource_of(ref)),
            ("auditnamespace", ref.get("namespace")),
        )
        if isinstance(value, str) and value
    }
    if not fields.get("auditID") or not fields.get("stage"):
        extensions["auditflags"] = "invalid"
    return Event(
        id=key,
        type=KUBERNETES_TYPE,
        source=f"/v1/hooks/audit/{trigger}",
        subject=fields.get("requestURI") if isinstance(fields.get("requestURI"), str) else None,
        time=rfc3339_or_none(fields.get("stageTimestamp")),
        datacontenttype="application/json",
        data=entry,
        extensions=extensions,
        idempotency_key=key,
    )


def resource_of(ref: dict[str, Any]) -> str | None:
    resource = ref.get("resource")
    if not isinstance(resource, str):
        return None
    sub = ref.get("subresource")
    return f"{resource}/{sub}" if isinstance(sub, str) and sub else resource


EntryTest = Callable[[Any], bool]


def wanted_entries(
    verbs: Sequence[str] | None,
    resources: Sequence[str] | None,
    namespaces: Sequence[str] | None,
    users: Sequence[str] | None,
    stages: Sequence[str] | None,
) -> EntryTest:
    """Every given option must hold. `resources` names `pods` (any subresource) or
    `pods/exec` (that one only). An entry that is not a mapping is let through, flagged."""
    getters: list[tuple[frozenset[str], Callable[[dict[str, Any]], list[Any]]]] = []
    if verbs is not None:
        getters.append((frozenset(verbs), lambda e: [_text(e.get("verb"))]))
    if resources is not None:
        getters.append((frozenset(resources), _resources))
    if namespaces is not None:
        getters.append(
            (frozenset(namespaces), lambda e: [_dict(e.get("objectRef")).get("namespace")])
        )
    if users is not None:
        getters.append((frozenset(users), lambda e: [_dict(e.get("user")).get("username")]))
    if stages is not None:
        getters.append((frozenset(stages), lambda e: [_text(e.get("stage"))]))
    return lambda entry: (
        not isinstance(entry, dict)
        or all(not wanted.isdisjoint(v for v in get(entry) if v) for wanted, get in getters)
    )


def _resources(entry: dict[str, Any]) -> list[Any]:
    ref = _dict(entry.get("objectRef"))
    full = resource_of(ref)
    return [r for r in (ref.get("resource"), full) if isinstance(r, str)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
