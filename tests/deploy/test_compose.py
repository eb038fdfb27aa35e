"""deploy/compose.yaml: valid under the Compose Specification, and consistent with the hub
config, the Prometheus config and the files it mounts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML

from hub.config.durations import parse_duration
from hub.plugins.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
HUBS = ("hub-1", "hub-2")


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def compose() -> dict[str, Any]:
    document: dict[str, Any] = load(COMPOSE)
    return document


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(compose())
    ]
    assert not errors, "\n".join(errors)


def test_the_schema_check_catches_a_bad_compose_file() -> None:
    schema = json.loads(SCHEMA.read_text())
    bad = compose()
    bad["services"]["hub-1"]["stop_grace_period"] = {"seconds": 45}
    bad["services"]["postgres"]["restrat"] = "always"
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(bad))
    assert len(errors) == 2, errors


def test_the_example_config_validates_and_binds_every_trigger_kind() -> None:
    config = DEPLOY / "compose" / "triggers.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "hub", "validate", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {trigger["type"] for trigger in load(config)["triggers"].values()}
    assert kinds == set(default_registry().kinds())


def test_two_hubs_share_postgres_and_get_to_drain() -> None:
    services = compose()["services"]
    config = load(DEPLOY / "compose" / "triggers.yaml")
    drain = parse_duration(config["hub"]["drain_timeout"])
    for name in HUBS:
        hub = services[name]
        assert hub["environment"]["TRIGGERHUB_STORE"].startswith("postgresql://")
        assert "./compose:/etc/triggerhub:ro" in hub["volumes"]
        assert parse_duration(hub["stop_grace_period"]) > drain
        assert {"postgres", "kafka", "rabbitmq", "mongo"} <= set(hub["depends_on"])


def test_minio_notifies_the_hubs_object_storage_webhook() -> None:
    minio = compose()["services"]["minio"]["environment"]
    endpoint = minio["MINIO_NOTIFY_WEBHOOK_ENDPOINT_HUB"]
    prefix = "http://hub-1:8080/v1/hooks/object-storage/"
    assert endpoint.startswith(prefix)
    triggers = load(DEPLOY / "compose" / "triggers.yaml")["triggers"]
    trigger = triggers[endpoint.removeprefix(prefix)]
    assert trigger["type"] == "object_storage" and "queue_url" not in trigger


def test_prometheus_scrapes_both_hubs_and_grafana_gets_the_dashboard() -> None:
    prometheus = load(DEPLOY / "prometheus" / "prometheus.yml")
    [job] = prometheus["scrape_configs"]
    [static] = job["static_configs"]
    assert sorted(static["targets"]) == [f"{name}:8080" for name in HUBS]
    services = compose()["services"]
    assert "api_token" in services["prometheus"]["secrets"]
    grafana_mounts = services["grafana"]["volumes"]
    assert "./grafana/triggerhub.json:/var/lib/grafana/dashboards/triggerhub.json:ro" in (
        grafana_mounts
    )


def test_every_bind_mount_exists() -> None:
    services = compose()["services"]
    missing = [
        f"{name}: {volume}"
        for name, service in services.items()
        for volume in service.get("volumes", [])
        if volume.startswith(".") and not (DEPLOY / volume.split(":")[0]).exists()
    ]
    assert not missing, missing
    build = services["hub-1"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).exists()
