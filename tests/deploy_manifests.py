"""Reading deploy/: the Kubernetes manifests, the example Secrets, and each container's environment.

Shared by the unit checks (`tests/unit/test_deploy.py`) and the smoke test that runs the
containers' commands (`tests/integration/test_deploy_smoke.py`).
"""

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from hitl.settings import (
    AgentWorkerSettings,
    CodecServerSettings,
    HitlSettings,
    InboxProcessSettings,
    NotificationWorkerSettings,
)

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
MANIFESTS = [*sorted((DEPLOY / "k8s").glob("*.yaml")), DEPLOY / "secrets.example.yaml"]
"""Everything an operator applies (the Secrets after filling them in)."""

SETTINGS: dict[str, type[HitlSettings]] = {
    "workers.agent": AgentWorkerSettings,
    "workers.notification": NotificationWorkerSettings,
    "workers.codec_server": CodecServerSettings,
    "hitl.inbox": InboxProcessSettings,
}
"""The module each container runs, and the settings model that process reads."""


def resources(path: Path) -> list[dict[str, Any]]:
    """The resources in one manifest file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def named(kind: str) -> dict[str, dict[str, Any]]:
    """Every resource of `kind` in the manifests, by name."""
    return {
        doc["metadata"]["name"]: doc for path in MANIFESTS for doc in resources(path) if doc["kind"] == kind
    }


def deployments() -> dict[str, dict[str, Any]]:
    """The Deployments by name."""
    return named("Deployment")


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    """The one container of a Deployment."""
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def module(deployment: dict[str, Any]) -> str:
    """The Python module the container runs (`python -m MODULE`)."""
    command = container(deployment)["command"]
    assert command[:2] == ["python", "-m"] and len(command) == 3, command
    return str(command[2])


def environment(
    deployment: dict[str, Any], secrets: dict[str, dict[str, str]] | None = None
) -> dict[str, str]:
    """The container's environment: Secrets it reads whole (from `secrets`, by default the example
    Secrets' placeholders), then its `env` entries, which win as in Kubernetes."""
    stored = secrets if secrets is not None else {n: s["stringData"] for n, s in named("Secret").items()}
    spec = container(deployment)
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        env.update(stored[source["secretRef"]["name"]])
    for entry in spec.get("env", []):
        # The downward API (`valueFrom.fieldRef`) gives the pod's own fields; a stand-in here.
        value = (
            str(entry["value"]) if "value" in entry else f"<{entry['valueFrom']['fieldRef']['fieldPath']}>"
        )
        # Kubernetes expands `$(NAME)` from the variables defined before it.
        env[entry["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value)
    return env


def mounts(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Mount path -> the volume mounted there."""
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    return {m["mountPath"]: volumes[m["name"]] for m in container(deployment)["volumeMounts"]}


def expansions(deployment: dict[str, Any]) -> set[str]:
    """Variables the container's `env` values refer to as `$(NAME)` (the pod's name, say)."""
    values = [str(e.get("value", "")) for e in container(deployment).get("env", [])]
    return {name for value in values for name in re.findall(r"\$\((\w+)\)", value)}


def health_port(deployment: dict[str, Any], probe: str) -> int:
    """The container port a probe's `httpGet` names."""
    spec = container(deployment)
    port = spec[probe]["httpGet"]["port"]
    return int(
        next(p["containerPort"] for p in spec["ports"] if p["name"] == port)
        if isinstance(port, str)
        else port
    )
