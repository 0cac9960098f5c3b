"""Validation problems as people read them: one line per problem, naming the field and the fix.

Every document govhub validates with pydantic (policy packs, monitoring plans, evidence, decisions,
adapter configs) reports its problems through these helpers, so that every message has the same shape
and never shows the validator's internals.
"""

from __future__ import annotations

from typing import Any


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``gates.fairness.thresholds.0.min``; ``(top level)`` for the document itself."""
    return ".".join(str(p) for p in loc) or "(top level)"


def clean_message(message: str) -> str:
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problem_lines(exc: Any) -> list[str]:
    """One indented ``field: message`` line per problem of a pydantic ``ValidationError``."""
    return [f"  {field_path(e['loc'])}: {clean_message(e['msg'])}" for e in exc.errors()]


def problem_report(exc: Any, what: str) -> str:
    """``<what> has N problem(s):`` followed by one line per problem."""
    lines = problem_lines(exc)
    return f"{what} has {len(lines)} problem(s):\n" + "\n".join(lines)


def first_problem(exc: Any) -> str:
    """The first problem as ``field: message`` (for documents whose first error says enough)."""
    first = exc.errors()[0]
    return f"{field_path(first['loc'])}: {clean_message(first['msg'])}"
