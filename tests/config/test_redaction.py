from __future__ import annotations

from typing import Any

import pytest

from hub.config.loader import load_text
from hub.config.schema import json_schema
from hub.config_view import config_view
from hub.plugins import Registry
from hub.redact import redact_text
from hub.secret_names import secret_field, secret_name

TEXT = """\
hub:
  store: {url: "postgresql://hub:${DB_PASSWORD}@db/hub"}
functions:
  f:
    target:
      type: http
      url: "${HOOK_URL}"
      headers:
        Authorization: "Bearer abc-bearer"
        X-Api-Key: "k-123"
        X-Trace: "${TRACE_TOKEN:-none}"
        X-Keys: "visible"
    on_failure: "${DLQ_SECRET}"
  g:
    target: {type: command, argv: [run, "${SIGNING_KEY}", "${PLAIN}"]}
    on_failure: function:f
"""
ENV = {
    "DB_PASSWORD": "pw-db-1",
    "HOOK_URL": "https://fn.example.com/x?q=1&api_key=hook-key-9",
    "DLQ_SECRET": "https://dlq.example.com/s3cr3t",
    "SIGNING_KEY": "sk-999",
    "PLAIN": "hello",
}


def test_secrets_are_masked(registry: Registry) -> None:
    doc = load_text(TEXT, env=ENV, registry=registry)
    shown = config_view(doc.model_dump(mode="json", by_alias=True))
    target = shown["functions"]["f"]["target"]
    assert shown["hub"]["store"]["url"] == "postgresql://hub:***@db/hub"
    # HOOK_URL is not a secret name, but its api_key parameter is a secret.
    assert target["url"] == "https://fn.example.com/x?q=1&api_key=***"
    assert target["headers"] == dict.fromkeys(
        ["Authorization", "X-Api-Key", "X-Trace", "X-Keys"], "***"
    )
    assert shown["functions"]["f"]["on_failure"] == {
        "type": "http",
        "url": "***",  # the whole value came from DLQ_SECRET
        "headers": {},
        "timeout": 10.0,
    }
    assert shown["functions"]["g"]["target"]["argv"] == ["run", "***", "hello"]
    assert shown["functions"]["g"]["on_failure"] == {"type": "function", "function": "f"}
    assert shown["hub"]["api"]["token_env"] == "TRIGGERHUB_API_TOKEN"  # a name, not a secret
    text = repr(shown)
    for secret in ("pw-db-1", "hook-key-9", "s3cr3t", "sk-999", "abc-bearer", "k-123"):
        assert secret not in text


def test_the_document_itself_keeps_the_real_values(registry: Registry) -> None:
    doc = load_text(TEXT, env=ENV, registry=registry)
    assert doc.hub.store.url == "postgresql://hub:pw-db-1@db/hub"
    config_view(doc.model_dump(mode="json"))
    assert doc.hub.store.url == "postgresql://hub:pw-db-1@db/hub"


def test_unset_secrets_stay_null(registry: Registry) -> None:
    doc = load_text("functions:\n  f: {target: {type: command, argv: [x]}}\n", registry=registry)
    assert config_view(doc.model_dump(mode="json"))["functions"]["f"]["on_failure"] is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("POST http://u:p%40ss@h:8/x failed", "POST http://u:***@h:8/x failed"),
        ("amqp://guest@rabbit/", "amqp://guest@rabbit/"),
        (
            "http://127.0.0.1:9/x?a=1&token=t0k&sig=s1g#f",
            "http://127.0.0.1:9/x?a=1&token=***&sig=***#f",
        ),
        (
            "https://s3/b/k?X-Amz-Signature=abc&X-Amz-Date=1",
            "https://s3/b/k?X-Amz-Signature=***&X-Amz-Date=1",
        ),
        ("'https://maps/api?key=AIza123'", "'https://maps/api?key=***'"),
        ("Authorization: Bearer eyJ.abc-def", "Authorization: Bearer ***"),
        ("invalid bearer token", "invalid bearer token"),
        ("(Basic ZGxxOnBsYW50ZWQ=)", "(Basic ***)"),
        ("Basic authentication failed", "Basic authentication failed"),
        ("routing_key=orders.created", "routing_key=orders.created"),
    ],
)
def test_secrets_are_recognised_by_shape_in_any_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_what_names_a_secret() -> None:
    for field in ("sasl_plain_password", "secret_access_key", "session_token", "x-api-key"):
        assert secret_field(field), field
    for field in ("routing_key", "key", "key_from_content", "binding_keys", "token_env", "keys"):
        assert not secret_field(field), field
    for name in ("RESIZE_KEY", "DB_PASS", "GITHUBTOKEN", "Authorization", "X-Amz-Credential"):
        assert secret_name(name), name
    for name in ("HOME", "MONKEY", "KEYCLOAK_URL", "HOOK_URL", "Content-Type"):
        assert not secret_name(name), name


def test_every_field_a_model_declares_secret_is_named_like_one() -> None:
    """Config errors and views hide values by the field's name: a plugin's SecretStr field
    with a name the rule misses would be echoed."""
    declared: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                options = [prop, *prop.get("anyOf", [])]  # SecretStr | None
                if any(option.get("format") == "password" for option in options):
                    declared.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json_schema())
    assert declared >= {"sasl_plain_password", "secret_access_key", "session_token"}
    assert [name for name in declared if not secret_field(name)] == []
