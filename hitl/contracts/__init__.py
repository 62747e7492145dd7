"""Typed contracts shared by workflows, activities, workers, clients and the CLI.

Every workflow, activity, signal, update and query takes one of these models and returns
one. They are frozen pydantic models; new fields always get defaults so that histories
recorded by older code keep replaying.
"""

from hitl.contracts.actions import (
    AgentTurn,
    ProposedAction,
    ProposeInput,
    ReviseInput,
    RiskSignals,
    StepRecord,
    TurnKind,
)
from hitl.contracts.audit import (
    AuditEvent,
    AuditKind,
    ChainHead,
    FeedbackRecord,
    RecordEventsInput,
    RecordEventsResult,
)
from hitl.contracts.base import Contract
from hitl.contracts.facts import Binding, BudgetUse, Facts
from hitl.contracts.notify import Notice, NoticeKind, NotifyResult
from hitl.contracts.review import (
    AppliedDecision,
    Decision,
    DecisionReceipt,
    EmptyQuery,
    GateResolution,
    Outcome,
    PendingResult,
    Proof,
    ProofTarget,
    ProofType,
    Refusal,
    RequestKind,
    RequestState,
    ReviewRequest,
)
from hitl.contracts.status import TaskStatusView
from hitl.contracts.task import (
    AgentTaskInput,
    DecisionAnswer,
    GatedInput,
    RequesterProof,
    StepOutcome,
    StepStatus,
    TaskResult,
    TaskStatus,
)
from hitl.contracts.tools import ToolCall, ToolResult, ToolSpec, UndoCall
from hitl.contracts.verdict import Fallback, FiredRule, LadderTier, Mode, RiskTier, Verdict

__all__ = [
    "AgentTaskInput",
    "AgentTurn",
    "AppliedDecision",
    "AuditEvent",
    "AuditKind",
    "Binding",
    "BudgetUse",
    "ChainHead",
    "Contract",
    "Decision",
    "DecisionAnswer",
    "DecisionReceipt",
    "EmptyQuery",
    "Facts",
    "Fallback",
    "FeedbackRecord",
    "FiredRule",
    "GateResolution",
    "GatedInput",
    "LadderTier",
    "Mode",
    "Notice",
    "NoticeKind",
    "NotifyResult",
    "Outcome",
    "PendingResult",
    "Proof",
    "ProofTarget",
    "ProofType",
    "ProposeInput",
    "ProposedAction",
    "RecordEventsInput",
    "RecordEventsResult",
    "Refusal",
    "RequestKind",
    "RequestState",
    "RequesterProof",
    "ReviewRequest",
    "ReviseInput",
    "RiskSignals",
    "RiskTier",
    "StepOutcome",
    "StepRecord",
    "StepStatus",
    "TaskResult",
    "TaskStatus",
    "TaskStatusView",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "TurnKind",
    "UndoCall",
    "Verdict",
]
