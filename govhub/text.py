"""Is a text really filled in? Placeholders ("TODO", "-", "n/a") and punctuation are not content.

Required model-card and lineage fields, approval and rejection justifications and waiver reasons are
read by auditors later; a value that only looks filled must count as missing.
"""

from __future__ import annotations

from typing import Any

PLACEHOLDERS = frozenset(
    {
        "todo", "tbd", "tba", "tbc", "fixme", "xxx", "n/a", "na", "none", "null", "nil", "unknown", "placeholder",
        "-", "--", "?", "...", "lorem ipsum", "asdf", "changeme", "fill me in", "fill in",
    }
)  # fmt: skip


def letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def placeholder(value: Any) -> bool:
    """True for an empty value, a known placeholder, or text with no letter or digit in it."""
    if value is None:
        return True
    text = " ".join(str(value).split()).strip()
    if not text or letters(text) == 0:
        return True
    return text.lower().strip(" .:!<>[]()") in PLACEHOLDERS


def substantial(text: str, min_chars: int, min_letters: int | None = None) -> bool:
    """At least ``min_chars`` characters, of which at least ``min_letters`` (default half) are letters
    or digits, and not a placeholder."""
    text = " ".join(text.split())
    need = min_chars // 2 if min_letters is None else min_letters
    return len(text) >= min_chars and letters(text) >= need and not placeholder(text)
