"""The HITL search attributes that make the Temporal UI and CLI a review queue.

Register them on the namespace before any gated workflow runs (the local stack and the tests
do); a workflow that upserts an unregistered attribute fails its workflow task.
"""

from temporalio.common import SearchAttributeKey

HITL_STATUS = SearchAttributeKey.for_keyword("HitlStatus")
"""`waiting`, `running`, or the final task status."""
RUNNING = "running"
"""`HitlStatus` of a task that is neither waiting nor finished: what the gate starts with and what
`hitl.client` sets on the start request."""
HITL_ASSIGNEES = SearchAttributeKey.for_keyword_list("HitlAssignees")
"""Reviewer groups that may decide now."""
HITL_RISK_TIER = SearchAttributeKey.for_keyword("HitlRiskTier")
HITL_ACTION_TYPE = SearchAttributeKey.for_keyword("HitlActionType")
HITL_AMOUNT = SearchAttributeKey.for_float("HitlAmount")
HITL_DEADLINE = SearchAttributeKey.for_datetime("HitlDeadline")
HITL_TIER = SearchAttributeKey.for_int("HitlTier")

ALL_KEYS = (
    HITL_STATUS,
    HITL_ASSIGNEES,
    HITL_RISK_TIER,
    HITL_ACTION_TYPE,
    HITL_AMOUNT,
    HITL_DEADLINE,
    HITL_TIER,
)

CLI_TYPE_NAMES: dict[str, str] = {
    "HitlStatus": "Keyword",
    "HitlAssignees": "KeywordList",
    "HitlRiskTier": "Keyword",
    "HitlActionType": "Keyword",
    "HitlAmount": "Double",
    "HitlDeadline": "Datetime",
    "HitlTier": "Int",
}
"""Names and types as `temporal server start-dev --search-attribute NAME=TYPE` takes them."""


def dev_server_flags() -> list[str]:
    """Return the `--search-attribute` flags that register every HITL attribute."""
    flags: list[str] = []
    for name, kind in CLI_TYPE_NAMES.items():
        flags += ["--search-attribute", f"{name}={kind}"]
    return flags
