"""Bounded text: what decision fields accept, and the stand-in a hostile value is recorded by."""

import hashlib
import math

import pytest
from pydantic import ValidationError

from hitl.contracts import Decision, Outcome
from hitl.contracts.text import excerpt, scrub


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"reviewer": "al\x00ice"}, "control_character"),
        ({"reviewer": "al\nice"}, "control_character"),
        ({"reviewer": "a" * 201}, "string_too_long"),
        ({"comment": "x\x1b[31m"}, "control_character"),
        ({"comment": "c" * 4001}, "string_too_long"),
        ({"decision_id": "d\x7f"}, "control_character"),
        ({"outcome": "modify", "patch": {"note": "\x00"}}, "control_character"),
        ({"outcome": "modify", "patch": {"k\x00": 1}}, "control_character"),
        ({"outcome": "modify", "patch": {"a": [[[[[[[[1]]]]]]]]}}, "too_deep"),
        (
            {
                "outcome": "modify",
                "patch": {
                    "a": "x" * 3000,
                    "b": "y" * 3000,
                    "c": "z" * 3000,
                    "d": "w" * 3000,
                    "e": "v" * 3000,
                    "f": "u" * 3000,
                },
            },
            "too_large",
        ),
    ],
)
def test_hostile_input_fields_are_refused_with_their_error_type(
    fields: dict[str, object], error: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Decision.model_validate({"outcome": "approve", "reviewer": "alice", **fields})
    assert [e["type"] for e in refused.value.errors()] == [error]


def test_hostile_input_multiline_text_keeps_line_breaks() -> None:
    decision = Decision(outcome=Outcome.APPROVE, reviewer="alice", comment="line 1\nline 2\ttab")
    assert decision.comment == "line 1\nline 2\ttab"


def test_hostile_input_excerpt_is_the_value_or_a_bounded_stand_in() -> None:
    assert excerpt("alice") == "alice"
    digest = hashlib.sha256(b"al\x00ice").hexdigest()
    assert excerpt("al\x00ice") == f"al\\u0000ice… (6 chars, sha256 {digest})"
    long = "r" * 1_000_000
    assert excerpt(long) == f"{'r' * 32}… (1000000 chars, sha256 {hashlib.sha256(long.encode()).hexdigest()})"
    surrogate = excerpt("a\ud800")
    assert surrogate.startswith("a\\ud800… (2 chars, sha256 ")
    surrogate.encode()  # storable as UTF-8


def test_hostile_input_scrub_makes_a_json_value_storable() -> None:
    value = {"k\x00": ["ok", "line\nbreak", "nul\x00", math.inf, 3], "n": {"deep": "x" * 5000}}
    scrubbed = scrub(value)
    assert scrubbed["k\\u0000… (2 chars, sha256 " + hashlib.sha256(b"k\x00").hexdigest() + ")"][:4] == [
        "ok",
        "line\nbreak",
        excerpt("nul\x00"),
        "inf",
    ]
    assert scrubbed["n"]["deep"].startswith("x" * 32 + "… (5000 chars")
    assert scrub({"a": 1, "b": ["c"]}) == {"a": 1, "b": ["c"]}
