"""deploy/kubernetes/: both variants validate against the API schemas of a current Kubernetes
release (kubernetes-validate, strict: unknown fields are errors), the ServiceMonitor against the
prometheus-operator CRD's schema, and the pieces fit together."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from kubernetes_validate import utils as kubernetes
from ruamel.yaml import YAML

from hub.config.durations import parse_duration

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
VARIANTS = ("sqlite", "postgres")
# The newest release kubernetes-validate ships schemas for when this was written.
KUBERNETES_VERSION = "1.37.0"
CRD = Path(__file__).parent / "schemas" / "monitoring.coreos.com_servicemonitors.yaml"


def documents(variant: str) -> dict[str, dict[str, Any]]:
    """kind -> the one resource of that kind in the variant's folder (kustomization aside)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((KUBERNETES / variant).glob("*.yaml")):
        for doc in YAML(typ="safe").load_all(path.read_text()):
            assert doc["kind"] not in found, f"two {doc['kind']} in {variant}"
            found[doc["kind"]] = doc
    return found


def servicemonitor_schema() -> dict[str, Any]:
    crd = YAML(typ="safe").load(CRD.read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("variant", VARIANTS)
def test_manifests_validate_against_kubernetes(variant: str) -> None:
    resources = documents(variant)
    builtin = {k: v for k, v in resources.items() if k not in {"Kustomization", "ServiceMonitor"}}
    expected = {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"}
    assert expected <= set(builtin)
    for kind, resource in builtin.items():
        try:
            kubernetes.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes.ValidationError as exc:
            raise AssertionError(f"{variant}/{kind}: {exc.message}") from exc


def test_the_validator_catches_a_bad_manifest() -> None:
    deployment = documents("sqlite")["Deployment"]
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 45
    with pytest.raises(kubernetes.ValidationError):
        kubernetes.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_servicemonitor_validates_against_its_crd(variant: str) -> None:
    resources = documents(variant)
    monitor = resources["ServiceMonitor"]
    schema = servicemonitor_schema()
    # The CRD's schema leaves apiVersion/kind/metadata to the API server; check them here.
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    jsonschema.Draft7Validator(schema).validate(monitor)
    bad = {**monitor, "spec": {**monitor["spec"], "endpoints": [{"port": 8080}]}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))
    # It selects the Service and scrapes its named port with the Secret's token.
    service = resources["Service"]
    labels = monitor["spec"]["selector"]["matchLabels"]
    assert labels.items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    credentials = endpoint["authorization"]["credentials"]
    secret = resources["Secret"]
    assert credentials["name"] == secret["metadata"]["name"]
    assert credentials["key"] in secret["stringData"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_pod_probes_drains_and_runs_as_non_root(variant: str) -> None:
    resources = documents(variant)
    pod = resources["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    config = YAML(typ="safe").load(resources["ConfigMap"]["data"]["triggers.yaml"])
    drain = parse_duration(config["hub"]["drain_timeout"])
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > drain + pre_stop
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's USER
    # Every key the triggers file reads from the environment is in the Secret.
    assert container["envFrom"] == [
        {"secretRef": {"name": resources["Secret"]["metadata"]["name"]}}
    ]


def test_sqlite_is_one_replica_on_a_volume_and_postgres_several() -> None:
    sqlite = documents("sqlite")
    assert sqlite["Deployment"]["spec"]["replicas"] == 1
    assert sqlite["Deployment"]["spec"]["strategy"]["type"] == "Recreate"
    assert sqlite["Secret"]["stringData"]["TRIGGERHUB_STORE"].startswith("sqlite:////var/lib/")
    volumes = sqlite["Deployment"]["spec"]["template"]["spec"]["volumes"]
    claims = [
        v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v
    ]
    assert claims == [sqlite["PersistentVolumeClaim"]["metadata"]["name"]]
    postgres = documents("postgres")
    assert postgres["Deployment"]["spec"]["replicas"] >= 2
    assert postgres["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    assert postgres["Secret"]["stringData"]["TRIGGERHUB_STORE"].startswith("postgresql://")
    assert "PersistentVolumeClaim" not in postgres


@pytest.mark.parametrize("variant", VARIANTS)
def test_kustomization_lists_every_manifest(variant: str) -> None:
    folder = KUBERNETES / variant
    kustomization = YAML(typ="safe").load((folder / "kustomization.yaml").read_text())
    files = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_configmaps_triggers_file_validates(variant: str, tmp_path: Path) -> None:
    resources = documents(variant)
    data = resources["ConfigMap"]["data"]
    [volume] = [
        v
        for v in resources["Deployment"]["spec"]["template"]["spec"]["volumes"]
        if "configMap" in v
    ]
    for item in volume["configMap"]["items"]:  # laid out as the pod mounts them
        target = tmp_path / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data[item["key"]])
    env = {"PATH": "/usr/bin:/bin", **resources["Secret"]["stringData"]}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "validate", str(tmp_path / "triggers.yaml")],
        capture_output=True, text=True, timeout=60, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
