"""Error types of temporal-hitl, in one place.

- `HitlError`: base of everything below.
- `PolicyError`: a policy file is malformed or invalid; the message names file, field, problem.
- `ConfigError`: a setting is missing or invalid at process start.
- `CodecError`: an encrypted payload cannot be read: its key id is not held (`CodecKeyError`)
  or it fails authentication (`CodecDecryptError`).
- `ApplicationError.type` names: `TOOL_*` (tool activities), `POLICY_*`, `AUDIT_KEY_CONFLICT`,
  `AUDIT_DATA_ERROR`, `AUDIT_UNWRITTEN`, so
  workflows and callers can tell a permanent failure from a transient one.
"""


class HitlError(Exception):
    """Base class of temporal-hitl errors."""


class PolicyError(HitlError):
    """A policy file is malformed or invalid."""


class ConfigError(HitlError):
    """A setting is missing or invalid."""


class CodecError(HitlError):
    """An encrypted payload cannot be decrypted; the message names the key id and the remedy."""


class CodecKeyError(CodecError):
    """The payload names a key id this process does not hold."""


class CodecDecryptError(CodecError):
    """The payload fails AES-GCM authentication (another key under the same id, or altered bytes)."""


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
AUDIT_DATA_ERROR = "AuditDataError"
"""PostgreSQL refused a row's content (a NUL, an unencodable character): retrying cannot help; the
workflow writes an escaped substitute instead (`workflows.audit_log`)."""
AUDIT_UNWRITTEN = "AuditUnwritten"
"""A tool activity could not write the audit batch that rode with it (the database unreachable
for the whole attempt); the tool did not run. The workflow writes the batch through the audit
activity, which waits for the database, and calls the tool again (`workflows.tool_runner`)."""
TOOL_RESERVED_ERROR = "ToolReservedError"
"""A tool raised `AUDIT_UNWRITTEN` or `AUDIT_DATA_ERROR`, types only the write-ahead may raise:
renamed so that the workflow never takes the tool's failure for an unwritten audit batch."""
