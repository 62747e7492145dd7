"""The configuration reference, generated from the settings models.

`python -m hitl.settings.doc > docs/configuration.md` regenerates it; a unit test fails when the
file and the models disagree.
"""

from collections.abc import Mapping

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from hitl.settings.base import DOC_DEFAULT, HitlSettings, env_names
from hitl.settings.processes import PROCESSES

INTRO = """\
# Configuration

<!-- Generated from hitl/settings/ by `python -m hitl.settings.doc > docs/configuration.md`. -->

Each process reads its settings from the environment once, at start, into one typed model
(`hitl/settings/processes.py`). Empty values count as unset. A value that does not validate stops
the process with a message that names the variable; secret values are never shown or logged.

| process | settings model | what it is |
|---|---|---|
"""

OUTRO = """
The Temporal connection is configured separately, through `temporalio.envconfig`: `TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS settings and `TEMPORAL_PROFILE` with `temporal.toml`
profiles (default `localhost:7233`, namespace `default`). Channel settings live in the notification
worker only: notices never carry secrets.
"""


def render(processes: Mapping[str, type[HitlSettings]] = PROCESSES) -> str:
    """The reference for `processes` (every process kind by default) as Markdown.

    Raises:
        ValueError: A field has no docstring, or a computed default has no `doc_default`.
    """
    kinds = [
        f"| {kind} | `{model.__name__}` | {_one_line(model.__doc__ or '')} |"
        for kind, model in processes.items()
    ]
    readers: dict[str, list[str]] = {}
    fields: dict[str, tuple[str, FieldInfo]] = {}
    for kind, model in processes.items():
        for name, field in model.model_fields.items():
            readers.setdefault(name, []).append(kind)
            fields.setdefault(name, (f"{model.__name__}.{name}", field))
    rows = []
    for name, (where, field) in sorted(fields.items(), key=lambda item: env_names(item[0], item[1][1])):
        if not field.description:
            raise ValueError(f"{where} has no docstring")
        variables = " or ".join(f"`{v}`" for v in env_names(name, field))
        rows.append(
            f"| {variables} | {_one_line(field.description)} | {_default(where, field)} "
            f"| {', '.join(readers[name])} |"
        )
    table = ["", "| variable | meaning | default | read by |", "|---|---|---|---|", *rows]
    return INTRO + "\n".join(kinds + table) + "\n" + OUTRO


def _default(where: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and DOC_DEFAULT in extra:
        return str(extra[DOC_DEFAULT])
    if field.default_factory_takes_validated_data:
        raise ValueError(f"{where}: a default computed from other fields needs a {DOC_DEFAULT}")
    value = field.get_default(call_default_factory=True)
    if value in (None, {}, [], SecretStr("")):
        return "none"
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


if __name__ == "__main__":
    print(render(), end="")
