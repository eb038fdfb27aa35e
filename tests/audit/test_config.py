"""The audit options: `source` picks the rest, misplaced options are errors with their line."""

from __future__ import annotations

import pytest

from hub.config.loader import load_text
from hub.errors import ConfigError
from hub.plugins import Registry, default_registry
from triggers.audit import AuditConfig

HEAD = "functions:\n  f: {target: {type: python, handler: 'a:b'}}\ntriggers:\n  t:\n"


def load(body: str, registry: Registry) -> AuditConfig:
    config = load_text(HEAD + f"    {body}\n", "c.yaml", env={}, registry=registry).triggers["t"]
    assert isinstance(config, AuditConfig)
    return config


def test_auditd_defaults_and_shorthands(registry: Registry) -> None:
    config = load(
        "{type: audit, source: auditd, function: f, keys: x, syscalls: [execve, 59]}", registry
    )
    assert config.audit_paths == ["/var/log/audit/audit.log"]
    assert (config.keys, config.syscalls, config.from_) == (["x"], ["execve", "59"], None)


def test_kubernetes_and_cloudtrail(registry: Registry) -> None:
    k8s = load(
        "{type: audit, source: kubernetes, function: f, verbs: [delete], users: bob}", registry
    )
    assert (k8s.verbs, k8s.users) == (["delete"], ["bob"])
    ct = load(
        "{type: audit, source: cloudtrail, function: f, queue_url: 'http://q', read_only: false,"
        " event_sources: s3.amazonaws.com, wait_time: 2s}",
        registry,
    )
    assert (ct.read_only, ct.event_sources, ct.wait_time) == (False, ["s3.amazonaws.com"], 2.0)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{type: audit, function: f}", "triggers.t.source: missing required key"),
        ("{type: audit, source: syslog, function: f}", "triggers.t.source"),
        (
            "{type: audit, source: kubernetes, function: f, keys: [a], from: start}",
            "c.yaml:4:3: triggers.t: not an option of source kubernetes: from, keys",
        ),
        ("{type: audit, source: auditd, function: f, verbs: get}", "source auditd: verbs"),
        ("{type: audit, source: cloudtrail, function: f}", "source cloudtrail needs queue_url"),
        (
            "{type: audit, source: cloudtrail, function: f, queue_url: q, wait_time: 30s}",
            "wait_time",
        ),
    ],
)
def test_mistakes(registry: Registry, body: str, error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(body, registry)
    assert error in str(caught.value)


def test_cloudtrail_takes_the_aws_options_and_only_cloudtrail(registry: Registry) -> None:
    ct = load(
        "{type: audit, source: cloudtrail, function: f, queue_url: 'http://q', "
        "endpoint_url: 'http://127.0.0.1:5000', access_key_id: AKID, secret_access_key: s}",
        registry,
    )
    assert (ct.endpoint_url, ct.access_key_id) == ("http://127.0.0.1:5000", "AKID")
    with pytest.raises(ConfigError, match="not an option of source auditd: access_key_id"):
        load(
            "{type: audit, source: auditd, function: f, access_key_id: A, secret_access_key: s}",
            registry,
        )


def test_the_builtin_registry_has_it() -> None:
    assert default_registry().get("audit").config_model is AuditConfig
