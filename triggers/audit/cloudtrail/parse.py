"""An SQS message carrying an EventBridge "AWS API Call via CloudTrail" event to a CloudEvent,
pure, and the `event_sources`, `event_names`, `users`, `read_only` options as a test on it.

A message that is not such an event is carried as text, flagged `auditflags: invalid`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hub.events import Event
from hub.timefmt import rfc3339_or_none

CLOUDTRAIL_TYPE = "triggerhub.audit.cloudtrail"
DETAIL_TYPE = "AWS API Call via CloudTrail"


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    body: str
    envelope: Mapping[str, Any] | None  # the EventBridge event, when the body is one
    problem: str | None = None

    @property
    def detail(self) -> Mapping[str, Any]:
        detail = (self.envelope or {}).get("detail")
        return detail if isinstance(detail, dict) else {}


def read_message(message_id: str, body: str) -> Message:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return Message(message_id, body, None, f"the body is not JSON: {exc}")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("detail"), dict):
        return Message(message_id, body, None, "not an EventBridge event with a detail")
    if envelope.get("detail-type") != DETAIL_TYPE:
        problem = f"detail-type is {envelope.get('detail-type')!r}, not {DETAIL_TYPE!r}"
        return Message(message_id, body, envelope, problem)
    return Message(message_id, body, envelope)


def idempotency_key(message: Message) -> str:
    # CloudTrail's eventID is unique per API call; EventBridge's id per event; the SQS message
    # id per message (it survives redelivery).
    if isinstance(event_id := message.detail.get("eventID"), str) and event_id:
        return f"cloudtrail:{event_id}"
    if message.envelope is not None and isinstance(message.envelope.get("id"), str):
        return f"eventbridge:{message.envelope['id']}"
    return f"sqs:{message.message_id}"


def cloudtrail_event(message: Message) -> Event:
    key = idempotency_key(message)
    if message.problem is not None or message.envelope is None:
        return Event(
            id=key,
            type=CLOUDTRAIL_TYPE,
            source="cloudtrail:invalid",
            data={"body": message.body, "error": message.problem},
            datacontenttype="application/json",
            extensions={"auditflags": "invalid"},
            idempotency_key=key,
        )
    detail, envelope = message.detail, message.envelope
    extensions = {
        name: value
        for name, value in (
            ("awsregion", detail.get("awsRegion") or envelope.get("region")),
            ("awsaccount", detail.get("recipientAccountId") or envelope.get("account")),
            ("eventbridgeid", envelope.get("id")),
        )
        if isinstance(value, str) and value
    }
    return Event(
        id=key,
        type=CLOUDTRAIL_TYPE,
        source=f"cloudtrail:{detail.get('eventSource', 'unknown')}",
        subject=_text(detail.get("eventName")),
        time=rfc3339_or_none(detail.get("eventTime")) or rfc3339_or_none(envelope.get("time")),
        data=detail,
        datacontenttype="application/json",
        extensions=extensions,
        idempotency_key=key,
    )


def identities(detail: Mapping[str, Any]) -> list[str]:
    """The names a user may be given by: ARN, user name, principal id, and the role behind an
    assumed-role session."""
    who = detail.get("userIdentity")
    if not isinstance(who, dict):
        return []
    session = who.get("sessionContext")
    issuer = session.get("sessionIssuer") if isinstance(session, dict) else None
    found = [who.get("arn"), who.get("userName"), who.get("principalId")]
    if isinstance(issuer, dict):
        found += [issuer.get("arn"), issuer.get("userName")]
    return [value for value in found if isinstance(value, str) and value]


MessageTest = Callable[[Message], bool]


def wanted_calls(
    event_sources: Sequence[str] | None,
    event_names: Sequence[str] | None,
    users: Sequence[str] | None,
    read_only: bool | None,
) -> MessageTest:
    tests: list[Callable[[Mapping[str, Any]], bool]] = []
    if event_sources is not None:
        sources = frozenset(event_sources)
        tests.append(lambda d: d.get("eventSource") in sources)
    if event_names is not None:
        names = frozenset(event_names)
        tests.append(lambda d: d.get("eventName") in names)
    if users is not None:
        wanted = frozenset(users)
        tests.append(lambda d: not wanted.isdisjoint(identities(d)))
    if read_only is not None:
        tests.append(lambda d: _read_only(d) is read_only)
    # Invalid messages pass: they are carried, flagged, for someone to look at.
    return lambda m: m.problem is not None or all(test(m.detail) for test in tests)


def _read_only(detail: Mapping[str, Any]) -> bool | None:
    value = detail.get("readOnly")
    if isinstance(value, str):  # some services write "true"/"false"
        return {"true": True, "false": False}.get(value.lower())
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
