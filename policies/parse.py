"""Turn policy TOML text into a validated `Policy`, with errors that say where and what."""

import hashlib
import json
import tomllib

from pydantic import ValidationError

from hitl.errors import PolicyError
from policies.model import Policy, PolicySnapshot


def parse_policy(text: str, source: str) -> Policy:
    """Parse and validate a policy.

    Args:
        text: The TOML document.
        source: File name used in error messages.

    Raises:
        PolicyError: The TOML is malformed or the policy is invalid; the message names the
            file, the field path and the problem, one line per problem.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{source}: not valid TOML: {err}") from err
    try:
        return Policy.model_validate(raw)
    except ValidationError as err:
        raise PolicyError(_explain(source, err)) from err


def _explain(source: str, err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        path = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {path}: {message}")
    return "\n".join(lines)


def policy_hash(policy: Policy) -> str:
    """Return the version hash of a policy: sha256 over its canonical JSON form."""
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def snapshot(text: str, source: str) -> PolicySnapshot:
    """Parse a policy and pin it with its hash."""
    policy = parse_policy(text, source)
    return PolicySnapshot(name=policy.name, hash=policy_hash(policy), policy=policy, source=source)
