"""The metrics operators watch, and the alert rules and dashboard built on them: every metric
and label they name must exist on a real daemon's /metrics, and the rules must load in
Prometheus' own checker and fire on the series they are meant for."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.deploy.exposition import Family, families, problems, unsampled

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "triggerhub.json"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"


def promtool() -> str:
    path = shutil.which("promtool")
    # A missing checker fails: the rules would otherwise go unchecked and the suite green.
    assert path is not None, "promtool is missing: run scripts/install-test-deps.sh"
    return path


def alert_rules() -> list[dict[str, Any]]:
    doc = YAML(typ="safe").load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_queries() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())

    def walk(panels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
        for panel in panels:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]
            yield from walk(panel.get("panels", []))

    yield from walk(dashboard["panels"])
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield f"variable {variable['name']}", variable["definition"]


def sample(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {line_start!r} in /metrics:\n{text}")


def test_the_daemon_exports_what_operators_watch(exercised_metrics: str) -> None:
    text = exercised_metrics
    assert (
        sample(text, 'triggerhub_invocations_dropped_total{function="fail",status="failed"}') == 1
    )
    assert sample(text, 'triggerhub_invocations_dropped_total{function="ok",status="stopped"}') == 1
    assert 'status="succeeded"' not in "".join(
        line for line in text.splitlines() if line.startswith("triggerhub_invocations_dropped")
    )
    failures = sample(
        text,
        'triggerhub_destination_delivery_failures_total{destination="on_success",function="ok",'
        'type="http"}',
    )
    abandoned = sample(
        text,
        'triggerhub_destination_deliveries_abandoned_total{destination="on_success",'
        'function="ok",type="http"}',
    )
    assert failures >= 1 and abandoned == failures  # one try each: every failure is final
    assert sample(text, 'triggerhub_event_age_at_start_seconds_count{function="fail"}') == 1
    assert sample(text, "triggerhub_store_writable ") == 1
    assert sample(text, 'triggerhub_trigger_info{function="ok",trigger="tick",type="timer"}') == 1
    assert sample(text, 'triggerhub_trigger_events_filtered_total{trigger="tick"}') == 0
    assert sample(text, 'triggerhub_trigger_events_total{trigger="tick"}') >= 1
    assert sample(text, 'triggerhub_invocations_throttled_total{function="limited"}') >= 2
    assert sample(text, 'triggerhub_function_paused{function="held"}') == 1
    assert sample(text, 'triggerhub_function_paused{function="ok"}') == 0


def test_alert_rules_pass_promtool() -> None:
    result = subprocess.run(
        [promtool(), "check", "rules", str(ALERTS)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_name_only_exported_metrics(exercised_metrics: str) -> None:
    exported = families(exercised_metrics)
    found = [
        f"{rule['alert']}: {problem}"
        for rule in alert_rules()
        for problem in problems(rule["expr"], exported)
    ]
    assert not found, "\n".join(found)
    # A rule on a metric the exercised daemon never sampled would pass unchecked.
    unchecked = [
        f"{rule['alert']}: {p}" for rule in alert_rules() for p in unsampled(rule["expr"], exported)
    ]
    assert not unchecked, "\n".join(unchecked)
    # Every issue's signal has its alert.
    assert {
        "TriggerhubTriggerFailed",
        "TriggerhubLagGrowing",
        "TriggerhubInvocationsExpiring",
        "TriggerhubDestinationFailures",
        "TriggerhubStoreNotWritable",
        "TriggerhubThrottlingSustained",
        "TriggerhubFunctionPausedLong",
    } <= {rule["alert"] for rule in alert_rules()}


def test_dashboard_names_only_exported_metrics(exercised_metrics: str) -> None:
    exported = families(exercised_metrics)
    queries = list(dashboard_queries())
    assert len(queries) > 20
    found = [f"{title}: {p}" for title, expr in queries for p in problems(expr, exported)]
    assert not found, "\n".join(found)


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each panel query, with Grafana's variables filled in, parsed by promtool as the
    expression of a recording rule."""
    filled = {"$__rate_interval": "5m", "$instance": ".*", "$function": ".*", "$trigger": ".*"}
    rules = []
    for n, (title, query) in enumerate(dashboard_queries()):
        if title.startswith("variable "):
            continue  # label_values(...) is Grafana's, not PromQL
        expr = query
        for variable, value in filled.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"{title}: unknown variable in {expr}"
        rules.append({"record": f"dashboard:query_{n}", "expr": expr})
    path = tmp_path / "dashboard_rules.yaml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool(), "check", "rules", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checker_catches_unknown_metrics_and_labels(exercised_metrics: str) -> None:
    exported: dict[str, Family] = families(exercised_metrics)
    assert problems("rate(triggerhub_invocations_finished_total[5m])", exported) == []
    assert problems("triggerhub_invocations_finsihed_total", exported)
    assert problems('triggerhub_backlog{function="x"}', exported)
    assert problems("histogram_quantile(0.9, rate(triggerhub_backlog_bucket[5m]))", exported)


def test_alerts_fire_on_the_series_they_watch(tmp_path: Path) -> None:
    """promtool's rule unit tests: each alert fires on a series shaped like the daemon's (the
    annotations, prose for people, are left out of the comparison)."""
    yaml = YAML(typ="safe")
    doc = yaml.load(ALERTS.read_text())
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    rules = tmp_path / "alerts.yaml"
    with rules.open("w") as out:
        yaml.dump(doc, out)
    tests = tmp_path / "alerts_test.yaml"
    shutil.copyfile(Path(__file__).parent / "alerts_test.yaml", tests)
    result = subprocess.run(
        [promtool(), "test", "rules", str(tests)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    # The config names the paths the compose stack mounts; point them at the checkout's files.
    token = tmp_path / "api_token"
    token.write_text("token\n")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        PROMETHEUS_CONFIG.read_text()
        .replace("/etc/prometheus/alerts.yaml", str(ALERTS))
        .replace("/run/secrets/api_token", str(token))
    )
    result = subprocess.run(
        [promtool(), "check", "config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def documented_metrics() -> dict[str, set[str]]:
    """README's metrics reference: metric name (as PromQL spells it) -> its label names."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("#### Metrics reference", 1)[1].split("\n####", 1)[0]
    rows = re.findall(r"^\| `(triggerhub_[a-z0-9_]+)` \| [^|]+ \| ([^|]+) \|", section, re.M)
    return {name: set(re.findall(r"`([a-z_]+)`", labels)) for name, labels in rows}


def test_the_readme_documents_every_metric_with_its_labels(exercised_metrics: str) -> None:
    exported = families(exercised_metrics)
    documented = documented_metrics()
    spelled = {
        family.name + ("_total" if family.type == "counter" else ""): family
        for family in exported.values()
        # Creation times of counters and histograms come as families of their own.
        if family.name.startswith("triggerhub_") and not family.name.endswith("_created")
    }
    assert sorted(documented) == sorted(spelled)
    wrong = {
        name: (sorted(documented[name]), sorted(family.labels))
        for name, family in spelled.items()
        if family.samples and documented[name] != family.labels - {"le"}
    }
    assert not wrong, f"documented vs exported labels: {wrong}"
