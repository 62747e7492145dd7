"""What a reviewer sees in a terminal: cards as plain text with the agent's words made inert, ids
shell-quoted in printed commands, and no noise (warnings, tracebacks, a report printed twice)."""

import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from activities.notify.render import hitl_commands
from hitl.contracts import (
    Mode,
    Notice,
    NoticeKind,
    Outcome,
    ProposedAction,
    RequestKind,
    ReviewRequest,
    RiskTier,
    Verdict,
)
from hitl.review.terminal import card_for_terminal
from workflows.gate.card import decide_command, render_card

ROOT = Path(__file__).parents[2]

HOSTILE = "Refund it.\x1b[2J\x1b[31mAPPROVED BY LEGAL\x1b[0m\r\u202eevil\u202c **bold** `code`"
"""An agent's rationale that clears the screen, recolours, returns the cursor and reorders text."""


def card() -> str:
    action = ProposedAction(
        step=1, tool="issue_refund", args={"amount": 250}, summary="Refund 250", rationale=HOSTILE
    )
    request = ReviewRequest(
        request_id="approval-1",
        kind=RequestKind.APPROVAL,
        action=action,
        verdict=Verdict(mode=Mode.APPROVE, risk_tier=RiskTier.HIGH),
        card="",
        allowed_outcomes=[Outcome.APPROVE, Outcome.REJECT],
        opened_at=datetime(2026, 3, 1, tzinfo=UTC),
        deadline=None,
    )
    return render_card(request, "refund-1", "http://ui/refund-1")


def test_the_card_is_plain_text_without_the_agents_control_characters() -> None:
    text = card_for_terminal(card())
    assert [c for c in text if c != "\n" and not c.isprintable()] == []
    assert "**" not in text and "```" not in text and "`" not in text
    assert "Why Refund it.[2J[31mAPPROVED BY LEGAL[0mevil bold code" in text.splitlines()
    assert "Open in the Temporal UI: http://ui/refund-1" in text.splitlines()


def test_printed_commands_quote_the_ids() -> None:
    notice = Notice(
        notice_key="k",
        kind=NoticeKind.NEW_REQUEST,
        task_id="refund 1; rm -rf ~",
        request_id="approval-1",
        title="t",
        summary="s",
    )
    show, approve = hitl_commands(notice)
    assert shlex.split(show) == ["hitl", "show", "refund 1; rm -rf ~"]
    assert shlex.split(approve)[:3] == ["hitl", "approve", "refund 1; rm -rf ~"]


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**base, **env},
        cwd=ROOT,
        timeout=60,
    )


def test_the_local_stack_imports_without_runtime_dir_warnings() -> None:
    assert run("import workers.local.postgres").stderr == ""


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    code = (
        "import subprocess, sys\n"
        "hitl = [sys.executable, '-c', 'from hitl.cli import main; main()', 'policy', 'explain', 'policies/refund.toml', 'docs/examples/refund-250.json']\n"
        "p = subprocess.Popen(hitl, stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "p.stdout.close()\n"  # the reader is gone before the first line
        "print(p.wait(), p.stderr.read().decode(), end='')\n"
    )
    done = run(code)
    assert done.stdout == "141 "  # the exit code, and nothing on stderr


def test_the_cards_command_quotes_the_ids() -> None:
    command = decide_command("refund 7; rm -rf ~", "approval-1")
    words = shlex.split(command)
    assert words[:5] == ["temporal", "workflow", "signal", "--workflow-id", "refund 7; rm -rf ~"]
    signing = shlex.split(words[-1].removeprefix("$(").removesuffix(")"))
    assert signing[:4] == ["hitl", "sign", "approve", "refund 7; rm -rf ~"]
