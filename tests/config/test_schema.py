from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from hub.config.located import locate, parse_yaml
from hub.config.schema import json_schema
from hub.plugins import Registry
from tests.config.conftest import EXAMPLE


def _data(text: str) -> Any:
    return locate(parse_yaml(text, "x.yaml")).data


@pytest.fixture
def validator(registry: Registry) -> Any:
    return jsonschema_rs.validator_for(json_schema(registry))


def test_the_example_is_valid(validator: Any) -> None:
    errors = [e.message for e in validator.iter_errors(_data(EXAMPLE.read_text()))]
    assert errors == []


def test_triggers_are_a_discriminated_union_of_the_registered_kinds(registry: Registry) -> None:
    schema = json_schema(registry)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    values = schema["properties"]["triggers"]["patternProperties"]["^[a-z][a-z0-9_-]{0,62}$"]
    assert values["discriminator"]["propertyName"] == "type"
    assert values["oneOf"] == [{"$ref": "#/$defs/MemoryConfig"}, {"$ref": "#/$defs/TickerConfig"}]
    ticker = schema["$defs"]["TickerConfig"]
    assert ticker["description"] == "Test ticks at a fixed interval."
    assert ticker["properties"]["type"]["const"] == "ticker"


@pytest.mark.parametrize(
    "text",
    [
        "functions: {f: {target: {type: python, handler: 'a:b'}, concurrency: 0}}\n",
        "functions: {F: {target: {type: python, handler: 'a:b'}}}\n",
        "triggers: {t: {type: kafka, function: f}}\n",
        "triggers: {t: {type: memory, channel: c, function: f, filter: {attribute: type}}}\n",
        "triggers: {t: {type: memory, channel: c, function: f, filter: {Type: x}}}\n",
        "functions: {f: {target: {type: python, handler: 'a:b'}, timeout: 5 minutes}}\n",
        "spam: 1\n",
    ],
)
def test_the_schema_rejects_what_validation_rejects(validator: Any, text: str) -> None:
    assert not validator.is_valid(_data(text))


@pytest.mark.parametrize(
    "text",
    [
        "functions: {f: {target: {type: python, handler: 'a:b'}, timeout: 250ms}}\n",
        "functions: {f: {target: {type: command, argv: [x]}, on_failure: file:/tmp/dlq}}\n",
        "triggers: {t: {type: memory, channel: c, function: [f, g], filter: {data.a.b: 7}}}\n",
        "triggers: {t: {type: ticker, every: 1.5, function: f, filter: {subject: {suffix: x}}}}\n",
        "x-anchors: {anything: [1, 2]}\n",
    ],
)
def test_the_schema_accepts_the_written_forms(validator: Any, text: str) -> None:
    assert [e.message for e in validator.iter_errors(_data(text))] == []
