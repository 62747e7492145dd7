"""Error types of temporal-hitl, in one place.

- `HitlError`: base of everything below.
- `PolicyError`: a policy file is malformed or invalid; the message names file, field, problem.
- `ConfigError`: a setting is missing or invalid at process start.
- `ApplicationError.type` names: `TOOL_*` (tool activities), `POLICY_*`, `AUDIT_KEY_CONFLICT`, so
  workflows and callers can tell a permanent failure from a transient one.
"""


class HitlError(Exception):
    """Base class of temporal-hitl errors."""


class PolicyError(HitlError):
    """A policy file is malformed or invalid."""


class ConfigError(HitlError):
    """A setting is missing or invalid."""


TOOL_INVALID_ARGS = "ToolInvalidArgs"
"""A tool refused its arguments; retrying cannot help."""
TOOL_NOT_FOUND = "ToolNotFound"
"""The record the tool acts on does not exist."""
POLICY_NOT_FOUND = "PolicyNotFound"
"""No policy file by that name."""
POLICY_INVALID = "PolicyInvalid"
"""The policy file does not validate."""
AUDIT_KEY_CONFLICT = "AuditKeyConflict"
"""An audit key is taken by other content and so is the key its conflict record would use."""
