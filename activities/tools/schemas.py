"""Tools as agent frameworks describe them to a model: an OpenAI function (name, description,
JSON schema of the argument model). Pure: no I/O."""

from typing import Any

from hitl.contracts import ToolSpec


def function_schema(spec: ToolSpec) -> dict[str, Any]:
    """The tool as an OpenAI-style function: `{"name", "description", "parameters"}`."""
    return {
        "name": spec.name,
        "description": spec.description,
        "parameters": spec.args_model.model_json_schema(),
    }
