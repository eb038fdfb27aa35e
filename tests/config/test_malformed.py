"""Every malformed file fails at load with FILE:LINE:COL: field.path: what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.config.loader import load_config
from hub.errors import ConfigError
from hub.plugins import Registry

F = "functions:\n  f:\n    target: {type: python, handler: 'a:b'}\n"

CASES: dict[str, tuple[str, str]] = {
    "bad indentation": (
        """\
        functions:
          f:
            target: {type: python, handler: "a:b"}
           concurrency: 2
        """,
        "cfg.yaml:4:4: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(check the indentation) (while parsing a block mapping started at line 2)",
    ),
    "tab indentation": (
        "functions:\n\tf: {}\n",
        "cfg.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token "
        "(YAML indents with spaces, not tabs)",
    ),
    "unclosed flow sequence": (
        "triggers:\n  t: {type: memory, function: [f, g}\n",
        "cfg.yaml:2:36: invalid YAML: expected ',' or ']', but got '}' "
        "(while parsing a flow sequence started at line 2)",
    ),
    "duplicate keys": (
        F + "  f:\n    target: {type: python, handler: 'c:d'}\n",
        'cfg.yaml:4:3: invalid YAML: duplicate key "f"; a key may appear once per mapping',
    ),
    "unknown top-level key": (
        "functions: {}\ntrigers: {}\n",
        "cfg.yaml:2:1: trigers: unknown key 'trigers'; expected one of: functions, hub, triggers",
    ),
    "non-mapping top level": (
        "- functions\n- triggers\n",
        "cfg.yaml:1:1: found a list; expected a mapping with the keys hub, functions and triggers",
    ),
    "scalar top level": (
        "just some text\n",
        "cfg.yaml:1:1: found 'just some text'; "
        "expected a mapping with the keys hub, functions and triggers",
    ),
    "empty file": (
        "",
        "cfg.yaml:1:1: the file is empty; expected a mapping with the keys hub, functions and "
        "triggers",
    ),
    "only comments": (
        "# nothing yet\n",
        "cfg.yaml:1:1: the file is empty; expected a mapping with the keys hub, functions and "
        "triggers",
    ),
    "unknown trigger type": (
        F + "triggers:\n  orders:\n    type: kafka\n    function: f\n",
        "cfg.yaml:6:11: triggers.orders.type: unknown trigger type 'kafka'; "
        "known types: memory, ticker",
    ),
    "trigger without type": (
        F + "triggers:\n  orders:\n    function: f\n",
        "cfg.yaml:5:3: triggers.orders: a trigger needs a 'type'; known types: memory, ticker",
    ),
    "missing target": (
        "functions:\n  f:\n    concurrency: 3\n",
        "cfg.yaml:2:3: functions.f.target: missing required key 'target'",
    ),
    "wrong target type": (
        "functions:\n  f:\n    target: {type: ftp, host: x}\n",
        # Located at the type, naming the known ones, like a trigger's type.
        "cfg.yaml:3:20: functions.f.target.type: unknown target type 'ftp'; "
        "known types: command, http, python",
    ),
    "missing trigger field": (
        F + "triggers:\n  orders:\n    type: memory\n    function: f\n",
        "cfg.yaml:5:3: triggers.orders.channel: missing required key 'channel'",
    ),
    "misspelt trigger field": (
        F + "triggers:\n  orders:\n    type: memory\n    channel: c\n    function: f\n"
        "    batchsize: 5\n",
        "cfg.yaml:9:5: triggers.orders.batchsize: unknown key 'batchsize'; expected one of: "
        "batch_size, batching, channel, debounce, enabled, filter, function, key_concurrency, "
        "priority, rate_limit, singleton, type",
    ),
    "max_retry_attempts: 9": (
        F + "    max_retry_attempts: 9\n",
        "cfg.yaml:4:25: functions.f.max_retry_attempts: must be at most 8; got 9",
    ),
    "max_event_age: 30s": (
        F + "    max_event_age: 30s\n",
        "cfg.yaml:4:20: functions.f.max_event_age: must be at least 60 seconds; got '30s'",
    ),
    "bad duration": (
        F + "    timeout: 5 minutes\n",
        "cfg.yaml:4:14: functions.f.timeout: '5 minutes' is not a duration; write seconds (30) "
        "or a number with a unit: 250ms, 30s, 5m, 6h, 7d",
    ),
    "concurrency: 0": (
        F + "    concurrency: 0\n",
        "cfg.yaml:4:18: functions.f.concurrency: must be at least 1; got 0",
    ),
    "not an integer": (
        "hub:\n  executors: many\n",
        "cfg.yaml:2:14: hub.executors: input should be a valid integer, unable to parse string "
        "as an integer; got 'many'",
    ),
    "function name with uppercase": (
        "functions:\n  Resize:\n    target: {type: python, handler: 'a:b'}\n",
        "cfg.yaml:2:3: functions.Resize: invalid name 'Resize': names are 1-63 lowercase "
        "letters, digits, '-' or '_', starting with a letter (^[a-z][a-z0-9_-]{0,62}$)",
    ),
    "unknown function referenced by a trigger": (
        F + "triggers:\n  orders:\n    type: memory\n    channel: c\n    function: [f, g]\n",
        "cfg.yaml:8:19: triggers.orders.function[1]: the trigger names function 'g', "
        "which is not configured; configured functions: f",
    ),
    "unknown function destination": (
        F + "    on_failure: function:dlq\n",
        "cfg.yaml:4:17: functions.f.on_failure: the destination names function 'dlq', "
        "which is not configured; configured functions: f",
    ),
    "bad destination shorthand": (
        F + "    on_success: ftp://example.com/x\n",
        "cfg.yaml:4:17: functions.f.on_success: 'ftp://example.com/x' is not a destination; "
        "write function:NAME, file:PATH, an http(s) URL, or a mapping with a 'type'",
    ),
    "unset variable": (
        "functions:\n  f:\n    target: {type: python, handler: '${HANDLER}'}\n",
        "cfg.yaml:3:37: functions.f.target.handler: environment variable HANDLER is not set "
        "(or write ${HANDLER:-default})",
    ),
    "unset variable in a function: destination": (
        F + "    on_failure: function:${DLQ}\n",
        "cfg.yaml:4:17: functions.f.on_failure: environment variable DLQ is not set "
        "(or write ${DLQ:-default})",
    ),
    "malformed interpolation": (
        "functions:\n  f:\n    target: {type: python, handler: '${handler-x}'}\n",
        "cfg.yaml:3:37: functions.f.target.handler: invalid ${…}: write ${NAME} or "
        "${NAME:-default}, or $${ for a literal ${",
    ),
    "bad filter operator": (
        F + "triggers:\n  t:\n    type: memory\n    channel: c\n    function: f\n"
        "    filter: {attribute: type, startswith: com.example.}\n",
        "cfg.yaml:9:31: triggers.t.filter.startswith: unknown key 'startswith'; "
        "expected one of: attribute, exact, exists, field, prefix, suffix",
    ),
    "filter condition without operator": (
        F + "triggers:\n  t:\n    type: memory\n    channel: c\n    function: f\n"
        "    filter:\n      any:\n        - {attribute: type, exact: a}\n"
        "        - {attribute: subject}\n",
        "cfg.yaml:12:11: triggers.t.filter.any[1]: give an operator: exact, prefix, suffix or "
        "exists",
    ),
    "filter that is not a mapping": (
        F + "triggers:\n  t:\n    type: memory\n    channel: c\n    function: f\n"
        "    filter: [type]\n",
        "cfg.yaml:9:5: triggers.t.filter: a filter is a mapping: a condition {attribute|field: "
        "…, exact|prefix|suffix|exists: …}, {all: […]}, {any: […]}, {not: {…}} or "
        "{SELECTOR: VALUE}",
    ),
    "bad filter selector": (
        F + "triggers:\n  t:\n    type: memory\n    channel: c\n    function: f\n"
        "    filter: {not: {Subject: x}}\n",
        "cfg.yaml:9:20: triggers.t.filter.not.Subject: invalid name 'Subject': a selector is a "
        "CloudEvents attribute name (1-20 lowercase letters or digits) or a data path like "
        "data.user.id",
    ),
    "wrong literal": (
        "hub:\n  log: {format: xml}\n",
        "cfg.yaml:2:17: hub.log.format: expected 'auto', 'json' or 'console'; got 'xml'",
    ),
    "bad listen address": (
        "hub:\n  api:\n    listen: localhost\n",
        "cfg.yaml:3:13: hub.api.listen: 'localhost' is not HOST:PORT; "
        "write e.g. 127.0.0.1:8080 or [::1]:8080",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed(name: str, tmp_path: Path, registry: Registry) -> None:
    text, expected = CASES[name]
    path = tmp_path / "cfg.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, registry=registry)
    assert str(caught.value).replace(f"{tmp_path}/", "") == expected


def test_every_problem_is_listed_in_file_order(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(
        F + "    concurrency: 0\n    timeout: forever\n"
        "triggers:\n  orders:\n    type: memory\n    function: f\n    spam: 1\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, registry=registry)
    lines = str(caught.value).replace(f"{tmp_path}/", "").splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        ["cfg.yaml:4:18", "functions.f.concurrency"],
        ["cfg.yaml:5:14", "functions.f.timeout"],
        ["cfg.yaml:7:3", "triggers.orders.channel"],
        ["cfg.yaml:10:5", "triggers.orders.spam"],
    ]


def test_every_phase_reports_in_one_run(tmp_path: Path, registry: Registry) -> None:
    """A misspelt key, an unset variable and dangling function names, each of which used to
    hide the next kind: all are reported together, the names checked where they parsed."""
    path = tmp_path / "cfg.yaml"
    path.write_text(
        F + "    timout: 5s\n    on_failure: {type: function, function: dlq}\n"
        "triggers:\n  orders:\n    type: memory\n    channel: ${CHANNEL}\n"
        "    function: [f, g]\n    batchsize: 5\n"
        "  audit:\n    type: nope\n    function: h\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, registry=registry)
    known = "which is not configured; configured functions: f"
    assert str(caught.value).replace(f"{tmp_path}/", "").splitlines() == [
        "cfg.yaml:4:5: functions.f.timout: unknown key 'timout'; expected one of: batching, "
        "cancel_on, concurrency, debounce, key_concurrency, max_event_age, "
        "max_retry_attempts, on_failure, on_success, priority, rate_limit, response_limit, "
        "retry_backoff, singleton, target, timeout",
        f"cfg.yaml:5:44: functions.f.on_failure.function: the destination names function "
        f"'dlq', {known}",
        "cfg.yaml:9:14: triggers.orders.channel: environment variable CHANNEL is not set "
        "(or write ${CHANNEL:-default})",
        f"cfg.yaml:10:19: triggers.orders.function[1]: the trigger names function 'g', {known}",
        "cfg.yaml:11:5: triggers.orders.batchsize: unknown key 'batchsize'; expected one of: "
        "batch_size, batching, channel, debounce, enabled, filter, function, key_concurrency, "
        "priority, rate_limit, singleton, type",
        "cfg.yaml:13:11: triggers.audit.type: unknown trigger type 'nope'; known types: memory, "
        "ticker",
        f"cfg.yaml:14:15: triggers.audit.function: the trigger names function 'h', {known}",
    ]


def test_a_function_with_problems_still_counts_as_configured(
    tmp_path: Path, registry: Registry
) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(
        "functions:\n  f:\n    concurrency: 0\n"
        "triggers:\n  t: {type: memory, channel: c, function: f}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, registry=registry)
    assert str(caught.value).replace(f"{tmp_path}/", "").splitlines() == [
        "cfg.yaml:2:3: functions.f.target: missing required key 'target'",
        "cfg.yaml:3:18: functions.f.concurrency: must be at least 1; got 0",
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: no such file$"):
        load_config(tmp_path / "nope.yaml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a triggers file"):
        load_config(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_bytes(b"functions: {}\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"cfg\.yaml: not UTF-8 text \(invalid .* at byte 19\)"):
        load_config(path)


def test_secret_values_are_not_echoed_in_errors(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("hub:\n  executors: ${MY_SECRET}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"MY_SECRET": "hunter2"}, registry=registry)
    assert "hunter2" not in str(caught.value)
    assert str(caught.value).endswith(
        "hub.executors: input should be a valid integer, "
        "unable to parse string as an integer; got ***"
    )
