"""The daemon's API against its own OpenAPI document: schemathesis with every check, and the
answers to requests the document's patterns allow or refuse."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests

from hub.api.ingest import BATCH, IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from hub.api.schedule import DELAY_HEADER, NOT_BEFORE_HEADER
from tests.api.conftest import AUTH, TOKEN
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
# Bounds that keep the run within about half a minute on a busy machine: examples per
# operation and phase, and the time any answer may take (schemathesis.toml bounds the steps of
# a stateful scenario).
MAX_EXAMPLES = 25
MAX_RESPONSE_SECONDS = 5
RUN_TIMEOUT = 240


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A real daemon with the API tests' functions and a kubernetes audit trigger (so the
    audit webhook route is served), behind a bearer token."""
    workdir = tmp_path_factory.mktemp("schema-daemon")
    port = free_port()
    config = workdir / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{workdir}/hub.db"}}
              api: {{listen: "127.0.0.1:{port}"}}
            functions:
              echo: {{target: {{type: python, handler: "tests.api.functions:echo"}}}}
              refuse-once: {{target: {{type: python, handler: "tests.api.functions:refuse_once"}}}}
              script: {{target: {{type: command, argv: ["true"]}}}}
              webhook: {{target: {{type: http, url: "http://127.0.0.1:9/hook"}}}}
            triggers:
              k8s: {{type: audit, source: kubernetes, function: echo}}
            """
        )
    )
    env = {"TRIGGERHUB_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    daemon = Daemon(config, workdir, env, api_port=port)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.terminate()


@pytest.fixture(scope="module")
def document(daemon: Daemon) -> dict[str, Any]:
    served = requests.get(f"{daemon.url}/v1/openapi.json", headers=AUTH, timeout=10)
    assert served.status_code == 200
    loaded: dict[str, Any] = served.json()
    return loaded


@pytest.mark.timeout(RUN_TIMEOUT + 60)
def test_schemathesis_runs_every_check_against_the_served_document(daemon: Daemon) -> None:
    """Examples, coverage, fuzzing and stateful phases (sequences along the document's links:
    invoke, then get, stop or redrive what it made), `--checks all`."""
    command = [
        *(sys.executable, "-m", "schemathesis.cli"),
        *("--config-file", str(HERE / "schemathesis.toml"), "--no-color", "run"),
        f"{daemon.url}/v1/openapi.json",
        *("--header", f"Authorization: Bearer {TOKEN}"),
        *("--checks", "all"),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--phases", "examples,coverage,fuzzing,stateful"),
        *("--max-response-time", str(MAX_RESPONSE_SECONDS)),
        *("--request-timeout", str(MAX_RESPONSE_SECONDS * 2)),
        *("--generation-database", "none"),
        # A failure shows the values sent (the token is this test's own): a refused header
        # shown as [Filtered] cannot be told from one the document allows.
        *("--output-sanitize", "false"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        run = subprocess.run(
            command,
            check=False,
            cwd=daemon.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"schemathesis ran over {RUN_TIMEOUT}s; its output so far:\n{_text(exc.stdout)}"
        )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert "Stateful" in run.stdout, run.stdout


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


CLOUDEVENT = b'{"id": "e", "source": "/s", "type": "t"}'
# An invocation id no invocation has.
UNKNOWN_ID = "0" * 26


def is_valid(schema: dict[str, Any], value: Any) -> bool:
    """Whether `value` is valid by `schema` as schemathesis reads the document: OpenAPI 3.0's
    JSON Schema (draft 4) with its formats checked and its patterns read as ECMAScript's."""
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True).is_valid(value)


def parameter_schema(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    operation = document["paths"][path][method]
    [parameter] = [p for p in operation["parameters"] if p["name"] == name]
    schema: dict[str, Any] = parameter["schema"]
    return schema


@pytest.mark.parametrize(
    ("header", "value", "content_type"),
    [
        (DELAY_HEADER, "1_000", "application/json"),
        (DELAY_HEADER, "-0", "application/json"),
        (DELAY_HEADER, "1e2", "application/json"),
        (DELAY_HEADER, "0.25", "application/json"),
        (DELAY_HEADER, "604800", "application/json"),
        ("ce-type", "", "application/cloudevents+json"),
        ("ce-source", "", "application/cloudevents+json"),
        ("ce-subject", "50%", "text/plain"),
        ("ce-subject", "caf%C3%A9", "text/plain"),
        # A batch's events take nothing from ce-* headers, which the document states still.
        ("ce-type", "", BATCH),
        ("ce-specversion", "2.0", BATCH),
        ("ce-subject", "ok", BATCH),
        # Header values go as Latin-1 bytes from the tools, read as UTF-8 by the server.
        (IDEMPOTENCY_HEADER, "caf\xe9", "text/plain"),
        (IDEMPOTENCY_HEADER, "a\tb", "text/plain"),
        # RFC 3339 as JSON Schema's date-time has it, not all that fromisoformat() reads.
        (NOT_BEFORE_HEADER, "2020-01-01 00:00:00Z", "text/plain"),
        (NOT_BEFORE_HEADER, "20200101T000000Z", "text/plain"),
        (NOT_BEFORE_HEADER, "2020-01-01T00:00:00+0000", "text/plain"),
        (NOT_BEFORE_HEADER, "1990-12-31T23:59:60Z", "text/plain"),
        (NOT_BEFORE_HEADER, "1990-12-31T12:00:60Z", "text/plain"),
        ("ce-time", "2020-01-01T00:00:00,5Z", "text/plain"),
        ("ce-time", "0000-01-01T00:00:00Z", "text/plain"),
    ],
)
def test_the_server_answers_a_header_as_the_document_says(
    daemon: Daemon, document: dict[str, Any], header: str, value: str, content_type: str
) -> None:
    schema = parameter_schema(document, "/v1/functions/{name}/invocations", "post", header)
    valid = is_valid(schema, value)
    response = requests.post(
        f"{daemon.url}/v1/functions/echo/invocations",
        headers={**AUTH, header: value, "Content-Type": content_type},
        data=b"[" + CLOUDEVENT + b"]" if content_type == BATCH else CLOUDEVENT,
        timeout=10,
    )
    # 409: a key the schemathesis run sent first.
    assert (valid, response.status_code) in {(True, 202), (True, 409), (False, 400)}, response.text


@pytest.mark.parametrize("key", ["k", "a b", "\x1fk", "k\x85", "\u3000k", "\ufeffk", "k\u2029"])
def test_the_server_answers_an_events_key_as_the_document_says(
    daemon: Daemon, document: dict[str, Any], key: str
) -> None:
    """JSON Schema tools read `\\s` as ECMAScript's whitespace, which is not Python's: a key
    starting with U+001F was once valid by the document and refused by the server."""
    schema = document["components"]["schemas"]["CloudEventIn"]["properties"]["idempotencykey"]
    valid = jsonschema_rs.validator_for(schema).is_valid(key)
    event = {"id": "e", "source": "/s", "type": "t", "idempotencykey": key}
    response = requests.post(
        f"{daemon.url}/v1/functions/echo/invocations",
        headers={**AUTH, "Content-Type": "application/cloudevents+json"},
        json=event,
        timeout=10,
    )
    assert (valid, response.status_code) in {(True, 202), (True, 409), (False, 400)}, response.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("function", "echo"),
        ("function", "a\x00b"),
        # Python's `$` matches before a final newline too, ECMAScript's does not.
        ("cursor", UNKNOWN_ID),
        ("cursor", UNKNOWN_ID + "\n"),
        ("created_after", "2020-01-01T00:00:00Z"),
        ("created_after", "2020-01-01 00:00:00Z"),
        ("created_after", " 2020-01-01T00:00:00Z"),
        ("created_before", "2020-01-01T00:00Z"),
        ("created_before", "0000-01-01T00:00:00Z"),
    ],
)
def test_the_server_answers_a_query_as_the_document_says(
    daemon: Daemon, document: dict[str, Any], name: str, value: str
) -> None:
    schema = parameter_schema(document, "/v1/invocations", "get", name)
    valid = is_valid(schema, value)
    response = requests.get(
        f"{daemon.url}/v1/invocations", params={name: value}, headers=AUTH, timeout=10
    )
    assert (valid, response.status_code) in {(True, 200), (False, 400)}, response.text


@pytest.mark.parametrize(
    "attributes",
    [
        {"time": "2020-01-01T00:00:00Z"},
        {"time": "2020-01-01 00:00:00Z"},
        {"time": "2016-12-31T23:59:60Z"},
        {"abc\n": "x"},
        {"data_base64": "YWJj"},
        {"data_base64": "YWJj=="},
        {"data_base64": "***"},
    ],
)
def test_the_server_answers_a_structured_event_as_the_document_says(
    daemon: Daemon, document: dict[str, Any], attributes: dict[str, Any]
) -> None:
    event = {"id": "e", "source": "/s", "type": "t", **attributes}
    valid = is_valid(document["components"]["schemas"]["CloudEventIn"], event)
    response = requests.post(
        f"{daemon.url}/v1/functions/echo/invocations",
        headers={**AUTH, "Content-Type": "application/cloudevents+json"},
        json=event,
        timeout=10,
    )
    assert (valid, response.status_code) in {(True, 202), (False, 400)}, response.text


@pytest.mark.parametrize(
    "selection",
    [
        {"ids": [UNKNOWN_ID]},
        {"ids": [UNKNOWN_ID + "\n"]},
        {"created_after": "2020-01-01T00:00:00+01:00"},
        {"created_after": "2020-01-01T00:00:00+01"},
    ],
)
def test_the_server_answers_a_bulk_filter_as_the_document_says(
    daemon: Daemon, document: dict[str, Any], selection: dict[str, Any]
) -> None:
    body = {**selection, "dry_run": True}
    valid = is_valid(document["components"]["schemas"]["StopFilter"], body)
    response = requests.post(
        f"{daemon.url}/v1/invocations/stop", headers=AUTH, json=body, timeout=10
    )
    assert (valid, response.status_code) in {(True, 200), (False, 400)}, response.text


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from value
            yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def _read_differently(pattern: str) -> list[str]:
    """What of `pattern` Python's re and ECMAScript's RegExp (as JSON Schema tools read the
    document) take differently: the classes \\s \\w \\d \\b and their negations (Unicode sets
    in Python, other sets in ECMAScript), and `.` outside a class (ECMAScript's leaves out
    U+2028 and U+2029 too)."""
    found: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            if char in "sSwWdDbB":
                found.append(f"\\{char}")
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            found.append(".")
    return found


def test_the_documents_patterns_spell_out_their_classes(document: dict[str, Any]) -> None:
    """The server matches the document's patterns with Python's re (fullmatch, since Python's
    `$` also matches before a final newline): each must mean the same in both dialects."""
    patterns = set(_patterns(document))
    assert patterns
    assert {p: _read_differently(p) for p in patterns if _read_differently(p)} == {}


def test_a_webhook_event_is_served_as_the_document_says(
    daemon: Daemon, document: dict[str, Any]
) -> None:
    """An audit entry's stageTimestamp that is no RFC 3339 time stays in the event's data and
    is not made the event's time, which the document states as a date-time; its idempotency
    key, made of its auditID, is as long as that is."""
    audit_id = "long-" + "a" * MAX_KEY_LENGTH
    entry = {"auditID": audit_id, "stage": "ResponseComplete", "stageTimestamp": "not a time"}
    body = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [entry]}
    answer = requests.post(f"{daemon.url}/v1/hooks/audit/k8s", headers=AUTH, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    page = requests.get(
        f"{daemon.url}/v1/invocations",
        params={"function": "echo", "limit": "1000"},
        headers=AUTH,
        timeout=10,
    )
    assert page.status_code == 200, page.text
    [event] = [
        item["event"]
        for item in page.json()["items"]
        if item["event"]["id"] == f"k8s:{audit_id}:ResponseComplete"
    ]
    served = document["components"]["schemas"]["CloudEvent"]["properties"]
    assert "time" not in event or is_valid(served["time"], event["time"]), event
    assert is_valid(served["idempotencykey"], event["idempotencykey"]), event
    assert event["data"]["stageTimestamp"] == "not a time"
