"""Turn policy TOML text into a validated `Policy`, with errors that say where and what."""

import hashlib
import json
import tomllib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

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
    problems = [f"{source}: {path}: unknown field" for path in unknown_fields(Policy, raw)]
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as err:
        problems.extend(_explain(source, err))
    if problems:
        raise PolicyError("\n".join(problems))
    return policy


def unknown_fields(model: type[BaseModel], raw: Any, path: str = "") -> list[str]:
    """Return the dotted paths of keys in `raw` that `model` does not define.

    Contracts ignore unknown fields so that payloads evolve; a policy file must not, or a typo
    like `aprove_above` would silently drop a rule.
    """
    if not isinstance(raw, dict):
        return []
    found = []
    for key, value in raw.items():
        where = f"{path}.{key}" if path else str(key)
        field = model.model_fields.get(str(key))
        if field is None:
            found.append(where)
            continue
        found.extend(_unknown_in(field.annotation, value, where))
    return found


def _unknown_in(annotation: Any, value: Any, path: str) -> list[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return unknown_fields(models[0], value, path) if models else []
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return [p for k, v in value.items() for p in _unknown_in(args[1], v, f"{path}.{k}")]
    if origin is list and args and isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown_in(args[0], v, f"{path}.{i}")]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return unknown_fields(annotation, value, path)
    return []


def _explain(source: str, err: ValidationError) -> list[str]:
    lines = []
    for problem in err.errors():
        path = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        # Whole-policy checks (references between sections) name their own field path.
        lines.append(f"{source}: {path}: {message}" if path else f"{source}: {message}")
    return lines


def policy_hash(policy: Policy) -> str:
    """Return the version hash of a policy: sha256 over its canonical JSON form."""
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def snapshot(text: str, source: str) -> PolicySnapshot:
    """Parse a policy and pin it with its hash."""
    policy = parse_policy(text, source)
    return PolicySnapshot(name=policy.name, hash=policy_hash(policy), policy=policy, source=source)
