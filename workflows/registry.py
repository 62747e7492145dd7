"""Every gated workflow the agent worker runs: each `GatedWorkflow` with a workflow definition in a
module of this package. A new workflow file is found here with no edit anywhere else."""

import importlib
import pkgutil

import workflows
from workflows.gated import GatedWorkflow


def discover() -> list[type[GatedWorkflow]]:
    """Import every module of `workflows` and return its gated workflow classes, by name."""
    for module in pkgutil.iter_modules(workflows.__path__):
        if not module.ispkg:
            importlib.import_module(f"{workflows.__name__}.{module.name}")
    found = {
        cls
        for cls in _subclasses(GatedWorkflow)
        if hasattr(cls, "__temporal_workflow_definition")
        and cls.__module__.startswith(f"{workflows.__name__}.")
    }
    return sorted(found, key=lambda cls: cls.__name__)


def _subclasses(cls: type[GatedWorkflow]) -> list[type[GatedWorkflow]]:
    direct = cls.__subclasses__()
    return direct + [grand for sub in direct for grand in _subclasses(sub)]


WORKFLOWS: list[type[GatedWorkflow]] = discover()
"""The workflows the agent worker registers (and the replay gate replays with)."""
