"""`hitl report` from seeded data in a real PostgreSQL: text, JSON figures and the HTML page."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from activities.store.audit import AuditActivities
from hitl.contracts import AuditEvent, AuditKind, FeedbackRecord, RecordEventsInput
from store.db import create_pool
from tests.support import run_hitl
from workers.local.postgres import EmbeddedPostgres, start_migrated

T0 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
NOT_UNCHANGED = {125: "modify", 131: "reject", 140: "modify"}
"""Among the 40 human decisions on refunds of 101..140, these were not approved as proposed."""


class Task:
    """Builds one seeded task's events and feedback."""

    def __init__(self, task_id: str, kind: str = "refund") -> None:
        self.task_id = task_id
        self.kind = kind
        self.events: list[AuditEvent] = []
        self.feedback: list[FeedbackRecord] = []
        self.event(AuditKind.TASK_STARTED, "svc", kind=kind)

    def event(self, what: AuditKind, actor: str = "system", /, **data: Any) -> "Task":
        seq = len(self.events) + 1
        self.events.append(
            AuditEvent(
                event_key=f"{self.task_id}/r/{seq}",
                task_id=self.task_id,
                workflow_id=self.task_id,
                seq=seq,
                kind=what,
                actor=actor,
                occurred_at=T0,
                data=data,
            )
        )
        return self

    def propose(self, tool: str, mode: str, **args: Any) -> "Task":
        self.event(AuditKind.PROPOSED, "agent", step=1, tool=tool, args=args)
        return self.event(AuditKind.VERDICT, "policy", step=1, mode=mode)

    def decide(
        self,
        tool: str,
        outcome: str,
        *,
        confidence: float,
        seconds: float,
        day: int,
        request_kind: str = "approval",
        by_fallback: bool = False,
        reason_code: str | None = None,
        **args: Any,
    ) -> "Task":
        opened = T0 + timedelta(days=day)
        self.feedback.append(
            FeedbackRecord(
                feedback_key=f"{self.task_id}/{request_kind}-1",
                task_id=self.task_id,
                task_kind=self.kind,
                request_id=f"{request_kind}-1",
                request_kind=request_kind,
                step=1,
                action_type=tool,
                outcome=outcome,
                proposed_args=args,
                confidence=confidence,
                reviewers=["system" if by_fallback else "alice"],
                by_fallback=by_fallback,
                reason_code=reason_code,
                opened_at=opened,
                decided_at=opened + timedelta(seconds=seconds),
            )
        )
        return self


def seeded_tasks() -> list[Task]:
    tasks = []
    for i, amount in enumerate(range(101, 141)):
        outcome = NOT_UNCHANGED.get(amount, "approve")
        t = Task(f"human-{amount}").propose("issue_refund", "approve", amount=amount)
        t.event(AuditKind.GATED, "policy", request_id="approval-1", tool="issue_refund", kind="approval")
        t.decide(
            "issue_refund",
            outcome,
            confidence=0.95 if amount <= 120 else 0.65,
            seconds=60 * (i + 1),
            day=i // 10,
            reason_code=None if outcome == "approve" else "wrong_amount",
            amount=amount,
        )
        tasks.append(t.event(AuditKind.TASK_FINISHED))
    for n in (1, 2):
        t = Task(f"timeout-{n}").propose("issue_refund", "approve", amount=900)
        t.event(AuditKind.GATED, "policy", request_id="approval-1", tool="issue_refund", kind="approval")
        t.event(AuditKind.ESCALATED, request_id="approval-1", tier=1)
        t.event(AuditKind.ESCALATED, request_id="approval-1", tier=2)
        t.decide(
            "issue_refund",
            "reject",
            confidence=0.8,
            seconds=36 * 3600,
            day=3,
            by_fallback=True,
            reason_code="sla_fallback",
            amount=900,
        )
        tasks.append(t.event(AuditKind.TASK_FINISHED))
    t = Task("window").propose("issue_refund", "auto_then_review", amount=40)
    t.event(AuditKind.GATED, "policy", request_id="post_review-1", tool="issue_refund", kind="post_review")
    t.decide(
        "issue_refund",
        "approve",
        confidence=0.9,
        seconds=7200,
        day=3,
        request_kind="post_review",
        by_fallback=True,
        reason_code="window_closed",
        amount=40,
    )
    tasks.append(t.event(AuditKind.TASK_FINISHED))
    reverted = Task("reverted").propose("issue_refund", "auto_then_review", amount=30)
    reverted.event(AuditKind.EXECUTED, step=1, tool="issue_refund")
    tasks.append(
        reverted.event(AuditKind.REVERTED, step=1, tool="issue_refund").event(AuditKind.TASK_FINISHED)
    )
    tasks += [
        Task(f"auto-{n}").propose("issue_refund", "auto", amount=20).event(AuditKind.TASK_FINISHED)
        for n in range(10)
    ]
    waiting = Task("waiting").propose("issue_refund", "approve", amount=300)
    tasks.append(
        waiting.event(
            AuditKind.GATED, "policy", request_id="approval-1", tool="issue_refund", kind="approval"
        )
    )
    change = Task("change", kind="config_change").propose("set_config", "approve", value=5)
    change.event(AuditKind.GATED, "policy", request_id="approval-1", tool="set_config", kind="approval")
    tasks.append(
        change.decide(
            "set_config", "modify", confidence=0.5, seconds=30, day=0, reason_code="timing", value=5
        )
    )
    return tasks


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    server = await start_migrated(tmp_path_factory.mktemp("pg-report") / "data", delete_on_stop=True)
    pool = await create_pool(server.dsn, max_size=2)
    try:
        audit = AuditActivities(pool)
        for task in seeded_tasks():
            await audit.record_events(RecordEventsInput(events=task.events, feedback=task.feedback))
    finally:
        await pool.close()
    yield server
    server.stop()


async def test_report_figures(seeded: EmbeddedPostgres) -> None:
    done = await run_hitl("report", "--json", "--dsn", seeded.dsn)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    groups = {(g["task_kind"], g["action_type"]): g for g in report["groups"]}
    assert set(groups) == {("refund", "issue_refund"), ("config_change", "set_config")}
    refund = groups[("refund", "issue_refund")]
    # 40 human + 2 timed out + 1 waiting gated; 2 reviewed after running and 10 auto were not.
    assert (refund["proposed"], refund["gated"]) == (55, 43)
    assert refund["intervention_rate"] == pytest.approx(43 / 55)
    assert refund["decisions"] == 40
    assert (refund["approve_rate"], refund["modify_rate"], refund["reject_rate"]) == pytest.approx(
        (37 / 40, 2 / 40, 1 / 40)
    )
    # Times to decision 60, 120, ..., 2400 s: the median lies between 1200 and 1260.
    assert (refund["p50_seconds"], refund["p90_seconds"]) == pytest.approx((1230.0, 2166.0))
    assert (refund["sla_breaches"], refund["escalations"], refund["reverts"], refund["queue_depth"]) == (
        2,
        4,
        1,
        1,
    )

    calibration = {(b["low"], b["high"]): b for b in report["calibration"]["refund/issue_refund"]}
    assert (calibration[(0.9, 1.0)]["decisions"], calibration[(0.9, 1.0)]["approved_unchanged"]) == (20, 20)
    assert (calibration[(0.6, 0.7)]["decisions"], calibration[(0.6, 0.7)]["approved_unchanged"]) == (20, 17)
    everything = {(b["low"], b["high"]): b["decisions"] for b in report["calibration"]["all"]}
    assert everything == {
        (0.0, 0.5): 0,
        (0.5, 0.6): 1,
        (0.6, 0.7): 20,
        (0.7, 0.8): 0,
        (0.8, 0.9): 0,
        (0.9, 1.0): 20,
    }

    assert [r["text"] for r in report["recommendations"]] == [
        "96% of issue_refund requests (refund) with amount up to 130 were approved unchanged over 30 "
        "decisions: consider raising the approval threshold to 130"
    ]
    assert [(p["day"], p["decisions"]) for p in report["rates"]] == [
        ("2026-04-06", 11),
        ("2026-04-07", 10),
        ("2026-04-08", 10),
        ("2026-04-09", 10),
    ]


async def test_report_text_and_filters(seeded: EmbeddedPostgres) -> None:
    done = await run_hitl("report", "--kind", "refund", "--dsn", seeded.dsn)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    row = next(line for line in lines if line.startswith("refund / issue_refund"))
    assert row.split()[3:] == [
        "55",
        "78.2%",
        "40",
        "92.5%",
        "5.0%",
        "2.5%",
        "0.0%",
        "20.5m",
        "36.1m",
        "2",
        "4",
        "1",
        "1",
    ]
    assert not any(line.startswith("config_change") for line in lines)
    assert "  - 96% of issue_refund requests (refund) with amount up to 130" in done.stdout

    late = await run_hitl("report", "--json", "--since", "2026-04-09", "--dsn", seeded.dsn)
    decided = {g["action_type"]: g["decisions"] for g in json.loads(late.stdout)["groups"]}
    assert decided["issue_refund"] == 10


class Page(HTMLParser):
    """Collects the tags, attributes and text of the report page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, **match: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in match.items())]


async def test_html_page_is_self_contained_with_three_charts(
    seeded: EmbeddedPostgres, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    done = await run_hitl("report", "--kind", "refund", "--html", str(out), "--dsn", seeded.dsn)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", f"wrote {out}\n")  # the page only
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))

    charts = [a["id"] for a in page.all("svg")]
    assert charts == ["calibration-curve", "latency-histogram", "rates-over-time"]
    assert page.all("script") == [] and page.all("link") == [] and page.all("img") == []
    assert not [a for _, a in page.tags if any(k in ("src", "href") for k in a)]

    points = {
        a["data-low"]: (a["data-decisions"], a["data-share"])
        for a in page.all("circle", **{"class": "point"})
    }
    assert points == {"0.6": ("20", "0.8500"), "0.9": ("20", "1.0000")}
    bars = {a["data-label"]: int(a["data-count"] or 0) for a in page.all("rect", **{"class": "bar"})}
    assert sum(bars.values()) == 40
    assert (bars["< 1 min"], bars["1-5 min"], bars["5-15 min"], bars["15-60 min"]) == (0, 4, 10, 26)
    segments = page.all("rect", **{"class": "segment", "data-day": "2026-04-09"})  # refunds of 131..140
    assert {a["data-outcome"]: a["data-count"] for a in segments} == {
        "approve": "8",
        "modify": "1",
        "reject": "1",
    }
    cards = [a["data-card"] for a in page.all("div", **{"class": "card"})]
    assert cards == [
        "decisions",
        "approved unchanged",
        "verified decisions",
        "SLA breaches",
        "escalations",
        "reverts",
        "waiting now",
    ]
    assert "consider raising the approval threshold to 130" in "".join(page.text)
    assert [a["data-group"] for a in page.all("tr") if a.get("data-group")] == ["refund/issue_refund"]
