"""Kubernetes manifests: CronJob and daemon Deployment, key from a Secret, state on a claim, probes."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from worker.settings import Settings, load_settings

from .cli_check import gate_args_error, help_options, unknown_env

MANIFESTS = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


@pytest.fixture(scope="module")
def objects() -> dict[str, dict]:
    """Load every manifest, keyed by kind."""
    loaded = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for document in YAML(typ="safe").load_all(path.read_text()):
            loaded[document["kind"]] = document
    return loaded


def _pod(objects: dict[str, dict], kind: str) -> dict:
    if kind == "CronJob":
        return objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]
    return objects["Deployment"]["spec"]["template"]


def _env(container: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["env"]}


def test_kinds(objects) -> None:
    assert sorted(objects) == ["ConfigMap", "CronJob", "Deployment", "PersistentVolumeClaim", "Service"]


@pytest.mark.parametrize(("kind", "args"), [("CronJob", ["run", "--once"]), ("Deployment", ["run"])])
def test_container_command(objects, kind: str, args: list[str]) -> None:
    container = _pod(objects, kind)["spec"]["containers"][0]
    assert container["args"] == args
    assert gate_args_error(args) is None
    assert {word for word in args if word.startswith("--")} <= help_options("run")
    assert unknown_env(list(_env(container))) == []


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_key_from_secret(objects, kind: str) -> None:
    spec = _pod(objects, kind)["spec"]
    container = spec["containers"][0]
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    key_file = Path(_env(container)["GERRA_API_KEY_FILE"])
    secret = volumes["api-key"]["secret"]
    assert "GERRA_API_KEY" not in _env(container)
    assert str(key_file.parent) == mounts["api-key"]
    assert secret["secretName"] == "gerra-gate-api-key"
    # The gate runs as a non-root user in the pod's fsGroup, so the group must be able to read the key.
    assert secret["defaultMode"] & 0o040


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_state_on_claim(objects, kind: str) -> None:
    spec = _pod(objects, kind)["spec"]
    container = spec["containers"][0]
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    settings_file = Path(_env(container)["GERRA_CONFIG"])
    assert volumes["state"]["persistentVolumeClaim"]["claimName"] == objects["PersistentVolumeClaim"]["metadata"]["name"]
    assert mounts["state"] == "/var/lib/gerra-gate"
    assert volumes["settings"]["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]
    assert str(settings_file.parent) == mounts["settings"]
    assert settings_file.name in objects["ConfigMap"]["data"]


@pytest.mark.parametrize("kind", ["CronJob", "Deployment"])
def test_non_root_and_grace(objects, kind: str) -> None:
    spec = _pod(objects, kind)["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["terminationGracePeriodSeconds"] > Settings.model_fields["shutdown_grace_s"].default


def test_cronjob_never_overlaps(objects) -> None:
    spec = objects["CronJob"]["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["schedule"] == "*/5 * * * *"


def test_daemon_probes_and_port(objects) -> None:
    deployment = objects["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert ports["metrics"] == int(_env(container)["GERRA_METRICS_PORT"])
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, probe


def test_service_selects_daemon(objects) -> None:
    service = objects["Service"]["spec"]
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"][0]["targetPort"] == "metrics"
    assert objects["Service"]["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"


def test_configmap_settings_load(objects, tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text(objects["ConfigMap"]["data"]["gate.toml"])
    settings = load_settings(path)
    assert settings.dry_run is True
    assert settings.state_dir == Path("/var/lib/gerra-gate/state")
    assert settings.rules_dir == Path("/opt/gerra-gate/rules")
