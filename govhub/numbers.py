"""How numbers are written in findings, reports and model cards (one helper, three styles)."""

from __future__ import annotations

import math


def number(value: float | None, spec: str = ".4g", *, infinity: str = "∞", missing: str = "n/a") -> str:
    """``value`` formatted with ``spec``; infinities and missing values in words the reader knows."""
    if value is None:
        return missing
    if math.isinf(value):
        return infinity if value > 0 else f"-{infinity}"
    return format(value, spec)
