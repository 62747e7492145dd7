"""`make run AGENT=openai_agents|langgraph`: the sample refund tasks run by an agent written with
that framework, and the scripted demo model they talk to when no real endpoint is configured."""

import sys
from pathlib import Path

from hitl.contracts import AgentTaskInput
from hitl.names import LANGGRAPH_REFUND_WORKFLOW, OPENAI_AGENTS_REFUND_WORKFLOW
from workers.local.ports import free_port, wait_for_port
from workers.local.processes import Child

FRAMEWORK_WORKFLOWS = {
    "openai_agents": OPENAI_AGENTS_REFUND_WORKFLOW,
    "langgraph": LANGGRAPH_REFUND_WORKFLOW,
}
"""The `--agent` choices and the workflow type each one starts."""


def framework_tasks(agent: str) -> list[AgentTaskInput]:
    """Two refunds for `agent`'s workflow: one the policy lets run, one that waits for a human
    (the LangGraph one also emails the customer, which the graph's own review interrupts)."""
    email = {"email_to": "ana@example.com"} if agent == "langgraph" else {}
    samples = [
        (f"demo-{agent}-1", "A-1001", 35.0, "The item arrived broken.", email),
        (f"demo-{agent}-2", "A-1003", 250.0, "Wrong size, returned it last week.", {}),
    ]
    return [
        AgentTaskInput(
            task_id=task_id,
            kind="refund",
            requester="svc-support-bot",
            subject={"order_id": order_id, "amount": amount, "customer_message": message, **extra},
        )
        for task_id, order_id, amount, message, extra in samples
    ]


def start_demo_model(log_file: Path) -> tuple[Child, str]:
    """Start the scripted demo model on a free loopback port; returns it and its base URL."""
    port = free_port()
    child = Child("demo-model", [sys.executable, "-m", "workers.local.demo_model", str(port)], log_file)
    child.start()
    wait_for_port(port, timeout=15)
    return child, f"http://127.0.0.1:{port}/v1"
