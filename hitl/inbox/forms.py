"""The modify form, generated from a tool's argument model, and the patch it produces.

The form's fields come from the model's JSON schema (types, lengths, patterns, bounds become
input types and HTML constraints, so the browser flags what it can). What counts is
`read_patch`: the submitted values are merged over the proposed arguments and validated by the
model itself, so whatever the model refuses is refused before anything is sent to the task.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

HTML_CONSTRAINTS = {
    "minLength": "minlength",
    "maxLength": "maxlength",
    "pattern": "pattern",
    "minimum": "min",
    "maximum": "max",
    "exclusiveMinimum": "min",
    "exclusiveMaximum": "max",
}


@dataclass(frozen=True)
class FormField:
    """One input of the modify form."""

    name: str
    label: str
    kind: str
    """`text`, `number`, `checkbox`, `select` or `json` (a textarea holding any JSON value)."""
    value: str
    required: bool
    attrs: dict[str, str] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)
    help: str = ""
    error: str = ""


def form_fields(
    model: type[BaseModel], values: Mapping[str, Any], errors: Mapping[str, str] | None = None
) -> list[FormField]:
    """The inputs for `model`, filled with `values` (the proposed or the submitted arguments)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        value = values.get(name, prop.get("default"))
        fields.append(
            FormField(
                name=name,
                label=prop.get("title", name),
                kind=kind,
                value=_shown(kind, value),
                required=name in required,
                attrs={html: str(prop[key]) for key, html in HTML_CONSTRAINTS.items() if key in prop}
                | ({"step": "1" if _type(prop) == "integer" else "any"} if kind == "number" else {}),
                choices=[str(c) for c in prop.get("enum", [])],
                help=prop.get("description", ""),
                error=(errors or {}).get(name, ""),
            )
        )
    return fields


@dataclass(frozen=True)
class PatchResult:
    """The reviewer's changes, or why the model refuses them."""

    patch: dict[str, Any]
    """Only the arguments that differ from the proposed ones, as the model validated them."""
    errors: dict[str, str]
    """Field name (or `_` for the whole form) -> the model's message."""
    submitted: dict[str, Any]


def read_patch(model: type[BaseModel], proposed: Mapping[str, Any], form: Mapping[str, str]) -> PatchResult:
    """Validate the submitted form against `model` over the proposed arguments."""
    schema = model.model_json_schema()
    submitted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        if name not in form and _kind(prop) != "checkbox":
            continue  # not on the form (an unchecked box is the one input a browser leaves out)
        try:
            submitted[name] = _parsed(_kind(prop), prop, form.get(name))
        except ValueError as err:
            errors[name] = str(err)
            submitted[name] = form.get(name, "")
    if errors:
        return PatchResult({}, errors, submitted)
    try:
        validated = model.model_validate({**proposed, **submitted}).model_dump(mode="json")
    except ValidationError as err:
        for problem in err.errors():
            where = str(problem["loc"][0]) if problem["loc"] else "_"
            errors.setdefault(where, problem["msg"])
        return PatchResult({}, errors, submitted)
    patch = {k: v for k, v in validated.items() if k in submitted and proposed.get(k) != v}
    if not patch:
        return PatchResult(
            {}, {"_": "nothing was changed: change an argument, or approve as proposed"}, submitted
        )
    return PatchResult(patch, {}, submitted)


def check_patch(model: type[BaseModel], proposed: Mapping[str, Any], patch: Mapping[str, Any]) -> str:
    """Why `model` refuses `patch` over the proposed arguments ('' when it accepts it): the same
    merge the gate validates."""
    try:
        model.model_validate({**proposed, **patch})
    except ValidationError as err:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
    return ""


def diff(proposed: Mapping[str, Any], patch: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(argument, proposed value, new value) for every changed argument, as JSON text."""
    return [(name, _json(proposed.get(name)), _json(value)) for name, value in sorted(patch.items())]


def _type(prop: Mapping[str, Any]) -> str:
    if "type" in prop:
        return str(prop["type"])
    kinds = [str(p.get("type")) for p in prop.get("anyOf", []) if p.get("type") not in (None, "null")]
    return kinds[0] if len(kinds) == 1 else ""


def _kind(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return "select"
    return {"string": "text", "number": "number", "integer": "number", "boolean": "checkbox"}.get(
        _type(prop), "json"
    )


def _shown(kind: str, value: Any) -> str:
    if kind == "json":
        return "" if value is None else json.dumps(value, indent=2, sort_keys=True)
    if kind == "checkbox":
        return "on" if value else ""
    return "" if value is None else str(value)


def _parsed(kind: str, prop: Mapping[str, Any], raw: str | None) -> Any:
    nullable = any(p.get("type") == "null" for p in prop.get("anyOf", []))
    if kind == "checkbox":
        return raw is not None
    if raw is None or (raw.strip() == "" and (nullable or kind in ("number", "json"))):
        if nullable:
            return None
        raise ValueError("a value is required")
    if kind == "number":
        try:
            return int(raw) if _type(prop) == "integer" else float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if kind == "json":
        try:
            return json.loads(raw)
        except ValueError as err:
            raise ValueError(f"not valid JSON: {err}") from None
    return raw


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
