"""deploy/ is checked, not hoped: valid manifests, consistent with the settings models and the
code, hardened, and an image of runtime dependencies only.

The image itself is not built here (no container engine on the development machine); what it
installs (`deploy/requirements.txt`) and copies (`deploy/Containerfile`) is checked instead.
"""

import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from packaging.requirements import Requirement

from hitl.settings.base import env_names
from policies.parse import snapshot
from tests.deploy_manifests import (
    DEPLOY,
    MANIFESTS,
    ROOT,
    SETTINGS,
    container,
    deployments,
    environment,
    expansions,
    health_port,
    module,
    mounts,
    named,
    resources,
)
from workers.health import LIVE_PATH, READY_PATH
from workers.running import GRACEFUL_SHUTDOWN

KUBERNETES = "1.37.0"
"""Kubernetes version the manifests are validated against (schemas shipped by kubernetes-validate)."""

TEMPORAL_VARIABLES = {
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_PROFILE",
    "TEMPORAL_CONFIG_FILE",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
}
"""What `temporalio.envconfig` reads besides the TOML file."""

WORKERS = sorted(deployments())

TEMPORAL_CLIENTS = {"workers.agent", "workers.notification", "hitl.inbox"}
"""The processes that connect to Temporal (the codec server only converts payloads)."""


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file, by normalized name."""
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return {normalized(n): v for n, _, v in (line.partition("==") for line in lines)}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_manifests_are_valid_kubernetes(path: Path) -> None:
    for resource in resources(path):
        kubernetes_validate.validate(resource, KUBERNETES, strict=True)


@pytest.mark.parametrize("name", WORKERS)
def test_every_variable_is_a_setting_of_the_process_it_runs(name: str) -> None:
    deployment = deployments()[name]
    model = SETTINGS[module(deployment)]
    assert importlib.util.find_spec(module(deployment)) is not None
    known = {v for field, info in model.model_fields.items() for v in env_names(field, info)}
    helpers = expansions(deployment)  # only there to be expanded into another value
    assert set(environment(deployment)) - known - TEMPORAL_VARIABLES - helpers == set()


@pytest.mark.parametrize("name", WORKERS)
def test_every_path_is_where_a_volume_puts_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = deployments()[name]
    env = environment(deployment)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    settings: Any = SETTINGS[module(deployment)].from_env()  # refuses a bad value, names it
    volumes = mounts(deployment)
    config_maps = {n: c["data"] for n, c in named("ConfigMap").items()}

    if module(deployment) in TEMPORAL_CLIENTS:
        profile_file = Path(env["TEMPORAL_CONFIG_FILE"])
        temporal = config_maps[volumes[str(profile_file.parent)]["configMap"]["name"]]
        assert env["TEMPORAL_PROFILE"] in tomllib.loads(temporal[profile_file.name])["profile"]
    if "codec_key_file" in type(settings).model_fields:
        assert "secret" in volumes[str(settings.codec_key_file.parent)]  # keys never in a ConfigMap
    if "policy_dir" in type(settings).model_fields:
        policies = config_maps[volumes[str(settings.policy_dir)]["configMap"]["name"]]
        assert sorted(policies) == sorted(p.name for p in (ROOT / "policies").glob("*.toml"))
    if "outbox" in type(settings).model_fields:
        assert "emptyDir" in volumes[str(settings.outbox.parent)]  # written on a read-only root
    assert health_port(deployment, "readinessProbe") == health_port(deployment, "livenessProbe")
    ports = ("health_port", "codec_server_port", "inbox_port")
    served = next(getattr(settings, port) for port in ports if port in type(settings).model_fields)
    assert health_port(deployment, "livenessProbe") == served


def test_the_config_maps_hold_the_repository_files() -> None:
    config_maps = {n: c["data"] for n, c in named("ConfigMap").items()}
    assert config_maps["hitl-temporal"] == {"temporal.toml": (DEPLOY / "temporal.toml").read_text()}
    shipped = {p.name: p.read_text() for p in (ROOT / "policies").glob("*.toml")}
    assert config_maps["hitl-policies"] == shipped
    for file_name, text in shipped.items():
        snapshot(text, file_name)  # each one loads as a policy


def test_only_the_agent_worker_gets_database_credentials() -> None:
    readers = {n for n, d in deployments().items() if "HITL_DATABASE_URL" in environment(d)}
    assert readers == {"hitl-agent-worker"}
    notification = environment(deployments()["hitl-notification-worker"])
    assert not any(v.startswith(("postgres://", "postgresql://")) for v in notification.values())


@pytest.mark.parametrize("name", WORKERS)
def test_probes_resources_and_hardening(name: str) -> None:
    deployment = deployments()[name]
    pod = deployment["spec"]["template"]["spec"]
    spec = container(deployment)
    assert (spec["readinessProbe"]["httpGet"]["path"], spec["livenessProbe"]["httpGet"]["path"]) == (
        READY_PATH,
        LIVE_PATH,
    )
    for bound in ("requests", "limits"):
        assert set(spec["resources"][bound]) == {"cpu", "memory"}
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    hardened = spec["securityContext"]
    assert (hardened["readOnlyRootFilesystem"], hardened["allowPrivilegeEscalation"]) == (True, False)
    assert pod["terminationGracePeriodSeconds"] > GRACEFUL_SHUTDOWN.total_seconds()


def test_the_image_installs_runtime_dependencies_pinned_as_the_lock() -> None:
    runtime = pins(DEPLOY / "requirements.txt")
    lock = pins(ROOT / "requirements.lock")
    assert {n: v for n, v in runtime.items() if lock.get(n) != v} == {}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    not_runtime = {
        normalized(Requirement(r).name) for extra in project["optional-dependencies"].values() for r in extra
    }
    assert not_runtime & set(runtime) == set()
    assert {normalized(Requirement(r).name) for r in project["dependencies"]} <= set(runtime)


def test_the_image_requirements_are_closed_under_their_own_requirements() -> None:
    runtime = pins(DEPLOY / "requirements.txt")
    missing = {
        f"{name} needs {Requirement(r).name}"
        for name in runtime
        for r in importlib.metadata.requires(name) or []
        if (Requirement(r).marker is None or Requirement(r).marker.evaluate({"extra": ""}))  # type: ignore[union-attr]
        and normalized(Requirement(r).name) not in runtime
    }
    assert missing == set()


IMAGE_ONLY = """
import importlib.metadata, json, re, sys
allowed = set(json.loads(sys.argv[1]))
owners = importlib.metadata.packages_distributions()

class NotInTheImage:
    def find_spec(self, name, path=None, target=None):
        found = owners.get(name.partition(".")[0], [])
        if found and not any(re.sub(r"[-_.]+", "-", d).lower() in allowed for d in found):
            raise ModuleNotFoundError(f"{name} is not in the image")

sys.meta_path.insert(0, NotInTheImage())
import workers.agent, workers.notification, hitl.cli, hitl.inbox.app
hitl.cli.build_parser()
"""
"""Import the workers, every CLI command and the inbox as if only the image's distributions were installed."""


def test_the_workers_and_the_cli_import_with_the_image_requirements_alone() -> None:
    allowed = [*pins(DEPLOY / "requirements.txt"), "temporal-hitl"]
    done = subprocess.run(
        [sys.executable, "-c", IMAGE_ONLY, json.dumps(allowed)], capture_output=True, text=True, cwd=ROOT
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_the_image_copies_every_package_it_installs() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \1$", (DEPLOY / "Containerfile").read_text(), re.MULTILINE))
    assert copied == packages
