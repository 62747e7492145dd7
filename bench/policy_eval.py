"""How fast `evaluate()` and policy loading are: the cost a workflow pays per proposed action,
and the cost of `load_task_context` parsing and hashing a policy file.

Pure CPU, no Temporal, no database. Usage: `python -m bench.policy_eval [--n 20000]`; results go
to `bench/results/policy_eval.json` and are printed.
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import policies
from hitl.contracts import ProposedAction, RiskSignals
from policies.evaluate import EvaluationContext, evaluate
from policies.parse import snapshot

RESULTS = Path(__file__).parent / "results" / "policy_eval.json"


def _actions() -> list[ProposedAction]:
    """A mix like the refund demo's: small and large refunds, triggers, read-only lookups."""
    return [
        ProposedAction(step=0, tool="lookup_order", args={"order_id": "o1"}, confidence=0.99),
        ProposedAction(step=1, tool="issue_refund", args={"amount": 40}, confidence=0.95),
        ProposedAction(step=1, tool="issue_refund", args={"amount": 250}, confidence=0.8),
        ProposedAction(
            step=1,
            tool="issue_refund",
            args={"amount": 90},
            confidence=0.93,
            signals=RiskSignals(customer_tier="gold", sentiment="hostile", policy_conflict=True),
        ),
        ProposedAction(step=2, tool="email_customer", confidence=0.96),
    ]


def _per_call_us(fn: object, n: int) -> list[float]:
    assert callable(fn)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    text = (Path(policies.__file__).parent / "refund.toml").read_text()
    pinned = snapshot(text, "refund.toml")
    context = EvaluationContext(task_kind="refund", policy_hash=pinned.hash)
    actions = _actions()
    i = 0

    def one_eval() -> None:
        nonlocal i
        evaluate(pinned.policy, actions[i % len(actions)], context, 1 + i % 5)
        i += 1

    evals = _per_call_us(one_eval, args.n)
    loads = _per_call_us(lambda: snapshot(text, "refund.toml"), max(args.n // 20, 100))
    result = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "evaluate_us_median": round(statistics.median(evals), 2),
        "evaluate_per_s": round(1e6 / statistics.median(evals)),
        "load_and_hash_policy_us_median": round(statistics.median(loads), 1),
        "n": args.n,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
