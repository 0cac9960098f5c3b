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


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "datetime_type": "a date and time (ISO 8601)",
    "datetime_parsing": "a date and time (ISO 8601)",
}
_BOUNDS = {"greater_than": "more than", "greater_than_equal": "at least", "less_than": "less than",
           "less_than_equal": "at most"}  # fmt: skip


def describe(error: Any) -> str:
    """One pydantic error in plain words, without the validator's vocabulary ("Tuple should have at
    least 1 item after validation" becomes "needs at least 1 entry, found 0")."""
    kind, ctx, value = error.get("type", ""), error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "is required and missing"
    if kind == "extra_forbidden":
        return "is not a known key; remove it or check its spelling"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length", "?")
        bound = "at least" if kind == "too_short" else "at most"
        found = len(value) if hasattr(value, "__len__") else "?"
        return f"needs {bound} {n} entr{'y' if n == 1 else 'ies'}, found {found}"
    if kind in ("string_too_short", "string_too_long"):
        if kind == "string_too_short" and ctx.get("min_length") == 1:
            return "is empty"
        n = ctx.get("min_length" if kind == "string_too_short" else "max_length", "?")
        return f"must be {'at least' if kind == 'string_too_short' else 'at most'} {n} characters long"
    if kind in _BOUNDS:
        limit = next(iter(ctx.values()), "?")
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return f"{value!r} is out of range: it must be {_BOUNDS[kind]} {limit}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {type(value).__name__} {value!r}"
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of {ctx.get('expected', 'the allowed values')}"
    if kind == "string_pattern_mismatch":
        return f"does not have the expected form {ctx.get('pattern', '')}: got {value!r}"
    return clean_message(str(error.get("msg", "is invalid")))


def problem_lines(exc: Any) -> list[str]:
    """One indented ``field: message`` line per problem of a pydantic ``ValidationError``."""
    return [f"  {field_path(e['loc'])}: {describe(e)}" for e in exc.errors()]


def problem_report(exc: Any, what: str) -> str:
    """``<what> has N problem(s):`` followed by one line per problem."""
    lines = problem_lines(exc)
    return f"{what} has {len(lines)} problem(s):\n" + "\n".join(lines)


def first_problem(exc: Any) -> str:
    """The first problem as ``field: message`` (for documents whose first error says enough)."""
    first = exc.errors()[0]
    return f"{field_path(first['loc'])}: {describe(first)}"
