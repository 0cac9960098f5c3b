"""Helpers for reading synthesized Terraform JSON in tests."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "examples" / "platform.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def resources(doc: dict, rtype: str) -> dict[str, dict]:
    return (doc.get("resource") or {}).get(rtype, {})


def only(doc: dict, rtype: str) -> dict:
    items = resources(doc, rtype)
    assert len(items) == 1, f"expected one {rtype}, found {sorted(items)}"
    return next(iter(items.values()))


def by_path(doc: dict, rtype: str, suffix: str) -> dict:
    """The resource of ``rtype`` whose construct path ends with ``suffix``."""
    found = [b for b in resources(doc, rtype).values() if b["//"]["metadata"]["path"].endswith(suffix)]
    assert len(found) == 1, f"expected one {rtype} at */{suffix}, found {len(found)}"
    return found[0]


def policy(value: str) -> dict:
    return json.loads(value)


def statements(value: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy(value)["Statement"]}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def ref(doc: dict, rtype: str, suffix: str, attr: str) -> str:
    """The interpolation that refers to ``attr`` of the resource at construct path */``suffix``."""
    names = [n for n, b in resources(doc, rtype).items() if b["//"]["metadata"]["path"].endswith(suffix)]
    assert len(names) == 1, f"expected one {rtype} at */{suffix}, found {names}"
    return f"${{{rtype}.{names[0]}.{attr}}}"
