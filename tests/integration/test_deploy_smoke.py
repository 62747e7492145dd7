"""The Deployments' containers, run here: each worker starts with exactly its manifest's command
and environment, answers its probes, and together they complete a gated task; SIGTERM stops them.

What stands in for the cluster: a folder is each container's filesystem (the ConfigMaps are
written where they are mounted, the emptyDirs are folders, and paths in the environment point
there); the Secrets are local stand-ins (the embedded PostgreSQL's DSN, no Temporal API key: the
dev server takes none); the `prod` profile of `temporal.toml` points at the dev server; the
OTLP endpoint is a local collector; each pod's health port is a free port, as both share this
host. `python` is this virtual environment's. Nothing else of this process's environment leaks in.
"""

import asyncio
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from activities.tools.shop_seed import DemoOrder, seed_orders
from hitl.client import connect, decide, start_task, wait_for_review
from hitl.contracts import AgentTaskInput, Decision, Outcome, TaskStatus
from store.db import create_pool
from store.signing import generate_key_file
from tests.codec_keys import TEST_KEYS, TEST_KEYS_ENV
from tests.deploy_manifests import container, deployments, environment, mounts, named
from tests.otlp_collector import Collector
from tests.support import assert_eventually, pin_test_keys, signed_by_key, unique
from workers.local.dev_server import dev_server, start_dev_server
from workers.local.ports import free_port
from workers.local.postgres import EmbeddedPostgres

pytestmark = pytest.mark.integration


class Pod:
    """One Deployment's container as a local process, its filesystem rooted in a folder."""

    def __init__(
        self, name: str, root: Path, secrets: dict[str, dict[str, str]], standins: dict[str, str]
    ) -> None:
        self.deployment = deployments()[name]
        self.root = root
        self.port = free_port()
        self._lay_out_volumes(secrets)
        env = environment(self.deployment, secrets)
        env |= {k: v for k, v in standins.items() if k in env} | {"HITL_HEALTH_PORT": str(self.port)}
        self.env = {k: self._rooted(v) for k, v in env.items()}
        self.process: subprocess.Popen[bytes] | None = None

    def _lay_out_volumes(self, secrets: dict[str, dict[str, str]]) -> None:
        config_maps = {n: c["data"] for n, c in named("ConfigMap").items()}
        for path, volume in mounts(self.deployment).items():
            folder = self.root / path.lstrip("/")
            folder.mkdir(parents=True)
            files = config_maps.get(volume.get("configMap", {}).get("name"), {})
            files |= secrets.get(volume.get("secret", {}).get("secretName"), {})
            for key, text in files.items():
                (folder / key).write_text(text)

    def _rooted(self, value: str) -> str:
        under = any(value == m or value.startswith(f"{m}/") for m in mounts(self.deployment))
        return str(self.root / value.lstrip("/")) if under else value

    def file(self, path: str) -> Path:
        """Where the container's `path` is here."""
        return Path(self._rooted(path))

    def start(self, log: Path) -> None:
        command = container(self.deployment)["command"]
        assert command[0] == "python"
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **self.env}
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *command[1:]], cwd=self.root, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def probe(self, which: str) -> int:
        """What the kubelet's probe would get (path and port from the manifest)."""
        spec = container(self.deployment)[which]["httpGet"]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{spec['path']}", timeout=5) as answer:
                return int(answer.status)
        except (urllib.error.URLError, ConnectionError) as err:
            return getattr(err, "code", 0)

    async def ready(self) -> int:
        """The readiness probe's answer, off the event loop."""
        return await asyncio.to_thread(self.probe, "readinessProbe")

    def stop(self) -> int:
        """SIGTERM, as the kubelet stops a pod; the exit code within the grace period."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        grace = self.deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        try:
            return self.process.wait(grace)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def run_migration_job(secrets: dict[str, dict[str, str]], log: Path) -> None:
    """The `hitl-migrate` Job's command with its environment (the migrator's Secret only)."""
    (job,) = named("Job").values()
    (spec,) = job["spec"]["template"]["spec"]["containers"]
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    for source in spec["envFrom"]:
        env |= secrets[source["secretRef"]["name"]]
    with log.open("ab") as out:
        done = subprocess.run(spec["command"], env=env, stdout=out, stderr=subprocess.STDOUT, timeout=120)
    assert done.returncode == 0, log.read_text()


async def test_the_manifests_workers_complete_a_gated_task(tmp_path: Path) -> None:
    port = free_port()
    server = start_dev_server(dev_server(port=port, log_file=tmp_path / "temporal.log"), port)
    postgres = EmbeddedPostgres(tmp_path / "pg")
    pods: list[Pod] = []
    try:
        await asyncio.to_thread(postgres.start)
        await postgres.provision()  # the DBA's part: the two roles (docs/security.md)
        dsn = postgres.worker_dsn
        with Collector() as collector:
            secrets: dict[str, dict[str, str]] = {name: {} for name in named("Secret")}
            secrets["hitl-database"] = {"HITL_DATABASE_URL": dsn}
            secrets["hitl-migrator"] = {"HITL_MIGRATOR_DATABASE_URL": postgres.migrator_dsn}
            secrets["hitl-codec-keys"] = {"codec-keys": TEST_KEYS_ENV["HITL_CODEC_KEYS"] + "\n"}
            generate_key_file(tmp_path / "audit-signing-key.pem")
            secrets["hitl-audit-key"] = {
                "audit-signing-key.pem": (tmp_path / "audit-signing-key.pem").read_text()
            }
            await asyncio.to_thread(run_migration_job, secrets, tmp_path / "migrate.log")
            standins = {"HITL_OTLP_ENDPOINT": collector.endpoint}
            agent = Pod("hitl-agent-worker", tmp_path / "agent", secrets, standins)
            # The risk owner's part: pin the reviewers' keys in the policies (test keys here).
            pin_test_keys(agent.file(agent.env["HITL_POLICY_DIR"]))
            notification = Pod("hitl-notification-worker", tmp_path / "notification", secrets, standins)
            pods = [agent, notification]
            for pod in pods:
                profile = pod.file(pod.env["TEMPORAL_CONFIG_FILE"])
                profile.write_text(f'[profile.prod]\naddress = "127.0.0.1:{port}"\nnamespace = "default"\n')
                pod.start(tmp_path / f"{pod.deployment['metadata']['name']}.log")
            for pod in pods:
                await assert_eventually(pod.ready, lambda code: code == 200, within=60)
                assert await asyncio.to_thread(pod.probe, "livenessProbe") == 200

            pool = await create_pool(dsn, max_size=1)
            order = unique("ord")
            await seed_orders(
                pool, [DemoOrder(order_id=order, customer_email="li@example.com", total=Decimal("900"))]
            )
            await pool.close()
            client = await connect(target_host=f"127.0.0.1:{port}", codec_keys=TEST_KEYS)
            task = AgentTaskInput(
                task_id=unique("smoke"),
                kind="refund",
                requester="svc",
                subject={"order_id": order, "amount": 250},
            )
            handle = await start_task(client, task)
            assert await wait_for_review(handle) is not None
            approval = Decision(outcome=Outcome.APPROVE, reviewer="alice")
            await decide(client, handle.id, await signed_by_key(client, handle.id, approval))
            assert (await handle.result()).status is TaskStatus.COMPLETED
            outbox = Path(notification.env["HITL_STATE_DIR"]) / "outbox.jsonl"
            assert task.task_id in outbox.read_text()
            assert [await asyncio.to_thread(pod.stop) for pod in pods] == [0, 0]
            assert collector.traces  # flushed at shutdown to the manifests' telemetry endpoint
    finally:
        for pod in pods:
            if pod.process is not None and pod.process.poll() is None:
                pod.process.kill()
        postgres.stop()
        server.stop()
