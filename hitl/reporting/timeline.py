"""`hitl audit show`: one task's audit events as a readable timeline."""

import json
from collections.abc import Callable
from typing import Any

from store.audit_read import StoredEvent


def _args(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _started(d: dict[str, Any]) -> list[str]:
    lines = [
        f"{d.get('kind', '?')} task under policy {d.get('policy')} ({_short(d.get('policy_hash'))})",
        f"subject: {_args(d.get('subject', {}))}",
    ]
    if d.get("requester_refused"):
        lines.append(f"requester proof refused: {d['requester_refused']}")
    elif "requester_verified" in d:
        verified = d["requester_verified"]
        lines.append(
            f"requester verified ({d.get('requester_principal')})" if verified else "requester asserted"
        )
    return lines


def _proposed(d: dict[str, Any]) -> list[str]:
    lines = [
        f"step {d.get('step')}: {d.get('tool')} {_args(d.get('args', {}))}"
        f" (confidence {d.get('confidence')}, revision {d.get('revision', 0)})"
    ]
    if d.get("summary"):
        lines.append(f"summary: {d['summary']}")
    if d.get("rationale"):
        lines.append(f"reasoning: {d['rationale']}")
    if d.get("sources"):
        lines.append(f"sources: {', '.join(str(s) for s in d['sources'])}")
    if d.get("question"):
        lines.append(f"question: {d['question']}")
    return lines


def _verdict(d: dict[str, Any]) -> list[str]:
    rules = ", ".join(r.get("id", "?") for r in d.get("rules", [])) or "none"
    return [
        f"step {d.get('step')}: {d.get('mode')}, risk {d.get('risk_tier')}; rules: {rules};"
        f" policy {_short(d.get('policy_hash'))}"
    ]


def _gated(d: dict[str, Any]) -> list[str]:
    return [
        f"{d.get('request_id')} opened for {', '.join(d.get('assignees', [])) or 'nobody'}"
        f" (allowed: {', '.join(d.get('allowed', []))}; deadline {d.get('deadline') or 'none'})"
    ]


def _accepted(d: dict[str, Any]) -> list[str]:
    line = f"{d.get('request_id')}: {d.get('outcome')}"
    if d.get("reason_code"):
        line += f" [{d['reason_code']}]"
    if d.get("via"):
        line += f" via {d['via']}"
    if "verified" in d:
        line += f", verified ({d.get('principal')})" if d["verified"] else ", asserted (no proof)"
    lines = [line]
    if d.get("comment"):
        lines.append(f"comment: {d['comment']}")
    if d.get("diff"):
        lines.append("changed: " + "; ".join(f"{k} {v[0]} -> {v[1]}" for k, v in sorted(d["diff"].items())))
    if d.get("answer"):
        lines.append(f"answer: {d['answer']}")
    return lines


def _refused(d: dict[str, Any]) -> list[str]:
    return [f"{d.get('request_id') or '-'}: refused {d.get('code')}: {d.get('message')} (via {d.get('via')})"]


def _escalated(d: dict[str, Any]) -> list[str]:
    return [
        f"{d.get('request_id')}: tier {d.get('tier')} -> {d.get('to_group')}"
        f" (was {', '.join(d.get('from_group', []))})"
    ]


def _tool(d: dict[str, Any]) -> list[str]:
    detail = d.get("summary") or d.get("reason") or d.get("error") or ""
    return [f"step {d.get('step')}: {d.get('tool')}" + (f": {detail}" if detail else "")]


def _notified(d: dict[str, Any]) -> list[str]:
    state = "delivered" if d.get("delivered", True) else "NOT delivered"
    return [
        f"{d.get('kind')} notice to {', '.join(d.get('groups', [])) or '?'}"
        f" via {', '.join(d.get('channels', [])) or '?'} ({state})"
    ]


def _fallback(d: dict[str, Any]) -> list[str]:
    outcome = f" -> {d['outcome']}" if d.get("outcome") else ""
    return [f"{d.get('request_id')}: ladder ran out, fallback {d.get('fallback')}{outcome}"]


def _withdrawn(d: dict[str, Any]) -> list[str]:
    return [f"{d.get('request_id')}: withdrawn (the task was cancelled)"]


def _finished(d: dict[str, Any]) -> list[str]:
    return [f"{d.get('status')}: {d.get('reason') or ''}".rstrip(": ")]


FORMATS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "task_started": _started,
    "proposed": _proposed,
    "verdict": _verdict,
    "gated": _gated,
    "decision_accepted": _accepted,
    "decision_refused": _refused,
    "escalated": _escalated,
    "notified": _notified,
    "fallback": _fallback,
    "request_withdrawn": _withdrawn,
    "executed": _tool,
    "failed": _tool,
    "compensated": _tool,
    "reverted": _tool,
    "task_finished": _finished,
}
"""Event kind -> lines; kinds not listed print their data as JSON."""


def _short(policy_hash: Any) -> str:
    return str(policy_hash or "")[:12] or "-"


def render_timeline(task_id: str, events: list[StoredEvent]) -> str:
    """The timeline: one entry per event (time, actor, kind, what), details indented under it."""
    out = [f"Audit trail of {task_id} ({len(events)} events)"]
    for e in events:
        fmt = FORMATS.get(e.kind)
        lines = fmt(e.data) if fmt else [_args(e.data)]
        stamp = e.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
        out.append(f"{stamp}  {e.actor:<14} {e.kind:<18} {lines[0]}")
        out += [f"{'':<55}{line}" for line in lines[1:]]
    return "\n".join(out)
