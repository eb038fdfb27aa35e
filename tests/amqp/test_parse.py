"""Parsing, config and URL handling of the amqp plugin, without a server."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from hub.config.functions import FunctionConfig
from hub.config.loader import load_text
from hub.destinations.kinds import destination_kinds
from hub.errors import ConfigError
from hub.eventcheck import MAX_DATA_DEPTH, check_storable
from hub.events import INVALID_ATTR, Event
from hub.intake.submit import storable
from hub.plugins import Registry
from triggers.amqp import AMQP, AmqpTriggerConfig
from triggers.amqp.destination import AmqpDestination, deliver_amqp
from triggers.amqp.headers import json_safe
from triggers.amqp.ledger import NackLedger, message_key
from triggers.amqp.parse import (
    INVALID_TYPE,
    MESSAGE_TYPE,
    ParseSpec,
    RawMessage,
    parse,
    unparsed_event,
    wire,
)
from triggers.amqp.urls import broker_base, mask_url, scrub

SPEC = ParseSpec(broker="amqp://rabbit/%2F", queue="triggerhub.orders", max_payload_bytes=64)
URL = "amqp://hub:s3cr%2Ft@rabbit:5673/prod"
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")


def raw(body: bytes = b'{"n": 1}', **fields: Any) -> RawMessage:
    fields.setdefault("exchange", "orders")
    fields.setdefault("routing_key", "order.eu.created")
    fields.setdefault("received_at", 1_700_000_000.25)
    return RawMessage(body=body, **fields)


def config(**fields: Any) -> AmqpTriggerConfig:
    return AmqpTriggerConfig.model_validate(
        {"type": "amqp", "url": "amqp://localhost/", "function": "f", **fields}
    )


# --- the event -------------------------------------------------------------------------------


def test_a_json_body_becomes_data_with_the_amqp_attributes() -> None:
    stamp = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    event = parse(
        raw(
            message_id="m-1",
            correlation_id="c-9",
            timestamp=stamp,
            headers={"tenant": "acme", "x-delivery-count": 0},
        ),
        SPEC,
    )
    assert event.to_dict() == {
        "specversion": "1.0",
        "id": "m-1",
        "source": "amqp://rabbit/%2F/orders",
        "type": MESSAGE_TYPE,
        "subject": "order.eu.created",
        "time": "2024-05-01T12:00:00.000000Z",
        "datacontenttype": "application/json",
        "amqpexchange": "orders",
        "amqproutingkey": "order.eu.created",
        "amqpmessageid": "m-1",
        "amqpcorrelationid": "c-9",
        "amqptimestamp": "2024-05-01T12:00:00.000000Z",
        "amqpheaders": {"tenant": "acme", "x-delivery-count": 0},
        "idempotencykey": "amqp:triggerhub.orders:m-1",
        "data": {"n": 1},
    }


def test_extension_names_follow_the_cloudevents_rules_and_the_event_round_trips() -> None:
    event = parse(
        raw(
            message_id="m",
            correlation_id="c",
            app_id="shop",
            content_encoding="gzip",
            timestamp=datetime.now(UTC),
            headers={"h": b"\xff"},
            redelivered=True,
        ),
        SPEC,
    )
    assert all(EXTENSION_NAME.match(name) for name in event.extensions)
    assert Event.from_json(event.to_json()).to_dict() == event.to_dict()


@pytest.mark.parametrize(
    ("content_type", "body", "data", "datacontenttype"),
    [
        (None, b'{"a": [1, 2]}', {"a": [1, 2]}, "application/json"),
        ("application/json; charset=utf-8", b'"text"', "text", "application/json; charset=utf-8"),
        ("application/cloudevents+json", b"{}", {}, "application/cloudevents+json"),
        (None, b"not json", b"not json", "application/octet-stream"),
        ("text/plain", b'{"looks": "json"}', b'{"looks": "json"}', "text/plain"),
        ("image/png", b"\x89PNG", b"\x89PNG", "image/png"),
        (None, b"", None, None),
    ],
)
def test_the_body_is_json_data_or_bytes(
    content_type: str | None, body: bytes, data: Any, datacontenttype: str | None
) -> None:
    event = parse(raw(body, content_type=content_type), SPEC)
    assert (event.type, event.data, event.datacontenttype) == (MESSAGE_TYPE, data, datacontenttype)


def test_bytes_travel_as_data_base64() -> None:
    out = parse(raw(b"\x00\x01", content_type="application/x-bin"), SPEC).to_dict()
    assert (out["data_base64"], "data" in out) == ("AAE=", False)


def test_an_encoded_body_is_handed_on_untouched() -> None:
    event = parse(raw(b'{"n": 1}', content_encoding="gzip"), SPEC)
    assert (event.data, event.datacontenttype) == (b'{"n": 1}', "application/octet-stream")
    assert event.extensions["amqpcontentencoding"] == "gzip"


def test_the_message_type_property_names_the_event_type() -> None:
    assert parse(raw(type="order.created"), SPEC).type == "order.created"


def test_source_subject_and_time_without_optional_properties() -> None:
    event = parse(raw(exchange="", routing_key=""), SPEC)
    assert event.source == "amqp://rabbit/%2F/amq.default"
    assert event.subject is None
    assert event.time == "2023-11-14T22:13:20.250000Z"  # when it was received
    assert event.idempotency_key is None
    assert "amqpredelivered" not in event.extensions


# --- invalid messages ------------------------------------------------------------------------


def test_a_json_content_type_with_a_broken_body_is_invalid_with_the_reason() -> None:
    event = parse(raw(b"{broken", content_type="application/json", message_id="m"), SPEC)
    assert event.type == INVALID_TYPE
    assert event.data == b"{broken"
    assert event.datacontenttype == "application/json"
    assert (
        "not valid JSON although its content type is application/json"
        in (event.extensions[INVALID_ATTR])
    )
    assert event.idempotency_key == "amqp:triggerhub.orders:m"  # a redelivery is still deduped


def test_an_oversized_body_is_invalid_and_keeps_its_first_bytes() -> None:
    body = b'{"pad": "' + b"x" * 100 + b'"}'
    event = parse(raw(body, type="order.created"), SPEC)
    assert event.type == INVALID_TYPE
    assert event.data == body[:64]
    assert event.extensions[INVALID_ATTR] == (
        f"body is {len(body)} bytes, over max_payload_bytes (64); only its first 64 bytes are kept"
    )
    assert event.extensions["amqpbodysize"] == len(body)
    assert event.extensions["amqptype"] == "order.created"
    decoded = base64.b64decode(event.to_dict()["data_base64"])
    assert decoded == body[:64]


def test_a_message_the_broker_keeps_redelivering_blows_the_fuse() -> None:
    assert parse(raw(failed_deliveries=9), SPEC).type == MESSAGE_TYPE
    event = parse(raw(failed_deliveries=10), SPEC)
    assert event.type == INVALID_TYPE
    assert "delivered this message 10 times" in event.extensions[INVALID_ATTR]
    assert event.data == b'{"n": 1}'


def test_the_unparsed_event_keeps_body_and_key() -> None:
    event = unparsed_event(raw(b"x" * 100, message_id="m"), SPEC, "could not be parsed: boom")
    assert (event.type, event.data, event.idempotency_key) == (
        INVALID_TYPE,
        b"x" * 64,
        "amqp:triggerhub.orders:m",
    )
    assert event.extensions == {INVALID_ATTR: "could not be parsed: boom", "amqpbodysize": 100}


# --- idempotency -----------------------------------------------------------------------------


def test_without_message_id_there_is_no_key_unless_asked_for() -> None:
    first = parse(raw(), SPEC)
    again = parse(raw(redelivered=True), SPEC)
    assert first.idempotency_key is None and again.idempotency_key is None
    assert first.id != again.id
    assert again.extensions["amqpredelivered"] is True


def test_the_content_key_is_stable_across_redelivery_and_differs_by_content() -> None:
    spec = ParseSpec(broker=SPEC.broker, queue="q", key_from_content=True)
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    first = parse(raw(timestamp=stamp, headers={"a": 1}), spec)
    redelivered = parse(
        raw(timestamp=stamp, headers={"a": 1, "x-delivery-count": 3}, redelivered=True), spec
    )
    assert first.idempotency_key == redelivered.idempotency_key
    assert first.id == redelivered.id
    assert (first.idempotency_key or "").startswith("amqp:q:sha256:")
    others = [
        raw(b'{"n": 2}', timestamp=stamp, headers={"a": 1}),
        raw(timestamp=datetime(2024, 1, 2, tzinfo=UTC), headers={"a": 1}),
        raw(timestamp=stamp, headers={"a": 2}),
        raw(timestamp=stamp, headers={"a": 1}, routing_key="other"),
    ]
    keys = {parse(other, spec).idempotency_key for other in others}
    assert first.idempotency_key not in keys and len(keys) == 4


def test_a_message_id_wins_over_the_content_key() -> None:
    spec = ParseSpec(broker=SPEC.broker, queue="q", key_from_content=True)
    assert parse(raw(message_id="m"), spec).idempotency_key == "amqp:q:m"


# --- headers, URLs, the nack ledger ----------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"body": b'{"n": [1, {"m": "x"}]}', "headers": {"a": 1, "b": b"v", "c": Decimal("1.5")}},
        {"body": b"\x00\x01", "content_type": "application/x-bin", "message_id": "m"},
        {"body": b"[1]", "headers": {"table": {"nested": [[1]]}}, "redelivered": True},
        {"body": b"{broken", "content_type": "application/json"},
        {"body": b"x" * 100},
        {"body": b"", "timestamp": datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)},
    ],
)
def test_the_wire_form_is_the_event_as_intake_would_write_it(fields: dict[str, Any]) -> None:
    written = storable(wire(raw(**fields), SPEC))
    event = parse(raw(**fields), SPEC)
    event.id = written.event.id
    assert written.json == check_storable(event).json
    assert Event.from_stored(written.json) == written.event


def test_a_body_or_header_table_nested_past_what_the_hub_stores_becomes_its_stand_in() -> None:
    deep: Any = []
    for _ in range(MAX_DATA_DEPTH):
        deep = [deep]
    spec = ParseSpec(broker="amqp://rabbit/%2F", queue="q")
    for fields in ({"body": orjson.dumps(deep)}, {"body": b"1", "headers": {"h": deep}}):
        read = wire(raw(**fields), spec)
        assert isinstance(read, Event)  # left to intake: a filter sees the message as read
        event = storable(read).event
        assert "nests objects and arrays more than" in event.extensions[INVALID_ATTR]


def test_headers_are_made_json_safe() -> None:
    stamp = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    value = {
        "text": b"plain",
        "binary": b"\xff\x00",
        "decimal": Decimal("1.10"),
        "when": stamp,
        "inf": float("inf"),
        "nested": {"list": [1, b"x", None, True]},
    }
    safe = json_safe(value)
    assert safe == {
        "text": "plain",
        "binary": "base64:/wA=",
        "decimal": "1.10",
        "when": "2024-01-01T00:00:00Z",
        "inf": "inf",
        "nested": {"list": [1, "x", None, True]},
    }
    orjson.dumps(safe)


def test_passwords_are_masked_and_scrubbed() -> None:
    assert mask_url(URL) == "amqp://hub:***@rabbit:5673/prod"
    assert mask_url("amqp://rabbit/") == "amqp://rabbit/"
    assert mask_url("amqp://guest@rabbit/") == "amqp://guest@rabbit/"
    assert scrub("refused s3cr/t and s3cr%2Ft", URL) == "refused *** and ***"


def test_the_broker_part_of_the_source() -> None:
    assert broker_base(URL) == "amqp://rabbit:5673/prod"
    assert broker_base("amqp://u:p@rabbit:5672/") == "amqp://rabbit/%2F"
    assert broker_base("amqps://[::1]:5671/a%2Fb") == "amqp://[::1]/a%2Fb"


def test_the_ledger_counts_our_nacks_and_forgets_the_oldest() -> None:
    ledger = NackLedger(limit=2)
    a, b, c = (message_key(None, "k", body) for body in (b"a", b"b", b"c"))
    ledger.nacked(a)
    ledger.nacked(b)
    ledger.nacked(a)
    assert (ledger.count(a), ledger.count(b)) == (2, 1)
    ledger.nacked(c)  # over the limit: the least recently nacked goes
    assert (ledger.count(a), ledger.count(b), ledger.count(c)) == (2, 0, 1)
    ledger.settled(a)
    assert (ledger.count(a), len(ledger)) == (0, 1)
    assert message_key("id-1", "k", b"a") == "id:id-1"


# --- config ----------------------------------------------------------------------------------


def test_defaults_and_shorthands() -> None:
    cfg = config(exchange="orders", queue="in")
    assert cfg.exchange is not None
    assert (cfg.exchange.name, cfg.exchange.type, cfg.exchange.durable) == ("orders", "topic", True)
    assert (cfg.queue.name, cfg.queue.durable, cfg.queue.quorum) == ("in", True, False)
    assert (cfg.prefetch, cfg.read_size, cfg.max_payload_bytes) == (256, 100, 1024 * 1024)
    assert cfg.bindings() == [("#", None)]
    assert config().queue_name("orders") == "triggerhub.orders"
    assert config().bindings() == []


def test_bindings_per_exchange_type() -> None:
    fanout = config(exchange={"name": "x", "type": "fanout"})
    assert fanout.bindings() == [("", None)]
    direct = config(exchange={"name": "x", "type": "direct"}, binding_keys=["a", "b"])
    assert direct.bindings() == [("a", None), ("b", None)]
    headers = config(exchange={"name": "x", "type": "headers"}, headers={"region": "eu"})
    assert headers.bindings() == [("", {"x-match": "all", "region": "eu"})]
    anyof = config(exchange={"name": "x", "type": "headers"}, headers={"x-match": "any", "a": 1})
    assert anyof.bindings() == [("", {"x-match": "any", "a": 1})]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"exchange": {"name": "x", "type": "direct"}}, "a direct exchange needs binding_keys"),
        ({"exchange": "x", "headers": {"a": 1}}, "binds to a headers exchange only"),
        (
            {"exchange": {"name": "x", "type": "headers"}, "binding_keys": ["a"]},
            "routes by `headers`",
        ),
        ({"binding_keys": ["a"]}, "need an `exchange`"),
        ({"exchange": {"name": "x", "type": "headers"}, "headers": {"x-match": "some"}}, "x-match"),
        ({"prefetch": 10, "batch_size": 20}, "cannot exceed prefetch"),
        ({"queue": {"quorum": True, "durable": False}}, "always durable"),
        ({"url": "http://rabbit/"}, "should match pattern"),
        ({"exchange": {"name": "x", "type": "stream"}}, "topic"),
        ({"binding_keys": []}, "at least 1"),
    ],
)
def test_invalid_configs_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        config(**fields)


def test_the_triggers_file_reports_file_line_and_field() -> None:
    registry = Registry()
    registry.register(AMQP)
    text = (
        "functions:\n"
        "  f: {target: {type: python, handler: 'a:b'}}\n"
        "triggers:\n"
        "  orders:\n"
        "    type: amqp\n"
        "    function: f\n"
        "    url: amqp://localhost/\n"
        "    prefetch: 0\n"
    )
    with pytest.raises(ConfigError, match=r"<config>:8:15: triggers\.orders\.prefetch"):
        load_text(text, registry=registry, env={})
    good = load_text(text.replace("prefetch: 0", "exchange: orders"), registry=registry, env={})
    assert isinstance(good.triggers["orders"], AmqpTriggerConfig)


def test_the_amqp_destination_model_and_deliverer_are_registered() -> None:
    cfg = FunctionConfig.model_validate(
        {
            "target": {"type": "python", "handler": "a:b"},
            "on_failure": {"type": "amqp", "url": URL, "exchange": "dead", "routing_key": "f"},
        }
    )
    assert isinstance(cfg.on_failure, AmqpDestination) and cfg.on_failure.exchange == "dead"
    kind = destination_kinds.loaded().get("amqp")
    assert kind.config_model is AmqpDestination and kind.load_factory() is deliver_amqp


def test_importing_the_plugin_does_not_import_aio_pika() -> None:
    code = "import sys, triggers.amqp; print('aio_pika' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
