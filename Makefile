# The two commands: `make run` (local stack with sample tasks) and `make test` (the whole suite).
# Both create .venv from requirements.lock first; only Python 3.11 needs to be installed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint pytest bench venv clean-state

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

# `make run AGENT=openai_agents` or `make run AGENT=langgraph`: the samples run by that framework's agent.
run: venv
	$(BIN)/python -m workers.stack $(if $(AGENT),--agent $(AGENT))

test: lint pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: venv
	$(BIN)/pytest

bench: venv
	$(BIN)/python -m bench.gate_vs_bare
	$(BIN)/python -m bench.profile_task
	$(BIN)/python -m bench.reviewer_speed
	$(BIN)/python -m bench.policy_eval
	$(BIN)/python -m bench.audit_chain
	$(BIN)/python -m bench.faults

clean-state:
	rm -rf .hitl-state
