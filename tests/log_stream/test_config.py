"""The log_stream options as an operator writes them: defaults, shorthands, the errors a wrong
file gets (with its line), and the JSON Schema."""

from __future__ import annotations

import jsonschema_rs
import pytest

from hub.config.loader import load_text
from hub.config.located import locate, parse_yaml
from hub.config.schema import json_schema
from hub.errors import ConfigError
from hub.plugins import Registry, default_registry
from triggers.log_stream import LogStreamConfig
from triggers.log_stream.config import Match

HEAD = "functions:\n  f: {target: {type: python, handler: 'a:b'}}\ntriggers:\n  t:\n"


def load(body: str, registry: Registry) -> LogStreamConfig:
    doc = load_text(HEAD + body, "c.yaml", env={}, registry=registry)
    config = doc.triggers["t"]
    assert isinstance(config, LogStreamConfig)
    return config


def test_defaults_and_shorthands(registry: Registry) -> None:
    config = load("    {type: log_stream, function: f, paths: ./app.log, match: ERROR}\n", registry)
    assert config.paths == ["./app.log"]
    assert config.match == Match(contains="ERROR")
    assert (config.from_, config.format, config.batch_size, config.batch_window) == (
        "end",
        "text",
        1,
        0.0,
    )
    assert (config.poll_interval, config.rotate_wait) == (0.25, 5.0)


def test_every_option(registry: Registry) -> None:
    config = load(
        "    type: log_stream\n"
        "    function: f\n"
        "    paths: [/var/log/app/*.jsonl, /var/log/other.jsonl]\n"
        "    from: start\n"
        "    format: jsonl\n"
        "    match: {regex: 'time=\\d+', fields: {level: error, http.status: 500}}\n"
        "    batch: {size: 100, window: 500ms}\n"
        "    poll_interval: 1s\n"
        "    max_payload_bytes: 4096\n",
        registry,
    )
    assert config.from_ == "start"
    assert config.match is not None and config.match.fields == {
        "level": "error",
        "http.status": 500,
    }
    assert (config.batch_size, config.batch_window, config.poll_interval) == (100, 0.5, 1.0)
    assert config.max_payload_bytes == 4096


def test_the_old_spellings_are_read_in_todays(registry: Registry) -> None:
    doc = load_text(
        HEAD + "    {type: log_stream, function: f, paths: x, batch_size: 5, max_line_bytes: 99}\n",
        "c.yaml",
        env={},
        registry=registry,
    )
    config = doc.triggers["t"]
    assert isinstance(config, LogStreamConfig) and config.batch is not None
    assert (config.batch.size, config.batch.window, config.max_payload_bytes) == (5, 0.0, 99)
    assert [notice.split(": ", 2)[1] for notice in doc.notices] == [
        "triggers.t.batch_size",
        "triggers.t.max_line_bytes",
    ]


def test_cloudwatch_takes_the_aws_options(registry: Registry) -> None:
    config = load(
        "    {type: log_stream, function: f, cloudwatch: {log_group: g, region: eu-west-1, "
        "access_key_id: AKID, secret_access_key: s3cr3t}}\n",
        registry,
    )
    assert config.cloudwatch is not None and config.cloudwatch.access_key_id == "AKID"
    with pytest.raises(ConfigError, match="together"):
        load(
            "    {type: log_stream, function: f, cloudwatch: {log_group: g, access_key_id: A}}\n",
            registry,
        )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{type: log_stream, function: f}", "c.yaml:4:3: triggers.t: give exactly one"),
        ("{type: log_stream, function: f, paths: x, match: {regex: '('}}", "not a valid regular"),
        ("{type: log_stream, function: f, paths: x, match: {}}", "give at least one of contains"),
        (
            "{type: log_stream, function: f, paths: x, match: {fields: {a: 1}}}",
            "needs format: jsonl",
        ),
        ("{type: log_stream, function: f, paths: x, from: middle}", "triggers.t.from"),
        ("{type: log_stream, function: f, paths: x, batch: {size: 0}}", "triggers.t.batch.size"),
        ("{type: log_stream, function: f, paths: x, cloudwatch: {log_group: g}}", "exactly one"),
        ("{type: log_stream, function: f, paths: x, pats: y}", "triggers.t.pats"),
    ],
)
def test_mistakes_are_reported_with_their_place(registry: Registry, body: str, error: str) -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml:") as caught:
        load(f"    {body}\n", registry)
    assert error in str(caught.value)


def test_the_builtin_registry_has_it() -> None:
    assert default_registry().get("log_stream").config_model is LogStreamConfig


def test_the_schema_describes_it(registry: Registry) -> None:
    validator = jsonschema_rs.validator_for(json_schema(registry))
    good = HEAD + "    {type: log_stream, function: f, paths: a.log, match: ERROR, from: start}\n"
    bad = HEAD + "    {type: log_stream, function: f, paths: a.log, from: middle}\n"
    assert validator.is_valid(locate(parse_yaml(good, "x.yaml")).data)
    assert not validator.is_valid(locate(parse_yaml(bad, "x.yaml")).data)
