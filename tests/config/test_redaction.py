from __future__ import annotations

from hub.config.loader import load_text
from hub.config.redact import redacted
from hub.plugins import Registry

TEXT = """\
hub:
  store: {url: "postgresql://hub:${DB_PASSWORD}@db/hub"}
functions:
  f:
    target:
      type: http
      url: "${HOOK_URL}"
      headers:
        Authorization: "Bearer abc"
        X-Api-Key: "k-123"
        X-Trace: "${TRACE_TOKEN:-none}"
        X-Keys: "visible"
    on_failure: "${DLQ_SECRET}"
  g:
    target: {type: command, argv: [run, "${SIGNING_KEY}", "${PLAIN}"]}
    on_failure: function:f
"""
ENV = {
    "DB_PASSWORD": "pw1",
    "HOOK_URL": "https://fn.example.com/x",
    "DLQ_SECRET": "https://dlq.example.com/s3cr3t",
    "SIGNING_KEY": "sk-999",
    "PLAIN": "hello",
}


def test_secrets_are_masked(registry: Registry) -> None:
    doc = load_text(TEXT, env=ENV, registry=registry)
    shown = redacted(doc)
    target = shown["functions"]["f"]["target"]
    assert shown["hub"]["store"]["url"] == "***"  # from DB_PASSWORD
    assert target["url"] == "https://fn.example.com/x"  # HOOK_URL is not a secret name
    assert target["headers"] == {
        "Authorization": "***",
        "X-Api-Key": "***",
        "X-Trace": "none",  # a default, not taken from a secret variable
        "X-Keys": "visible",  # `key(?!s)`
    }
    assert shown["functions"]["f"]["on_failure"] == "***"  # the whole expanded destination
    assert shown["functions"]["g"]["target"]["argv"] == ["run", "***", "hello"]
    assert shown["functions"]["g"]["on_failure"] == {"type": "function", "function": "f"}
    assert shown["hub"]["api"]["token_env"] == "***"
    text = repr(shown)
    for secret in ("pw1", "s3cr3t", "sk-999", "abc", "k-123"):
        assert secret not in text


def test_the_document_itself_keeps_the_real_values(registry: Registry) -> None:
    doc = load_text(TEXT, env=ENV, registry=registry)
    assert doc.hub.store.url == "postgresql://hub:pw1@db/hub"
    redacted(doc)
    assert doc.hub.store.url == "postgresql://hub:pw1@db/hub"


def test_unset_secrets_stay_null(registry: Registry) -> None:
    doc = load_text("functions:\n  f: {target: {type: command, argv: [x]}}\n", registry=registry)
    assert redacted(doc)["functions"]["f"]["on_failure"] is None
