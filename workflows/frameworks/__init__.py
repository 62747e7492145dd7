"""Agents written with other frameworks (OpenAI Agents SDK, LangGraph) behind the same gate:
each framework tool call is a proposed action for `GatedWorkflow.act()`. Workflow code only."""
