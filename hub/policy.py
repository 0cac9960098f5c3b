"""Policy packs: governance as code, one versioned YAML pack per risk tier.

A pack sets, per gate, whether the gate is required and which thresholds apply to which catalog
metrics; it also sets the approvals each stage needs and whether a monitoring plan is required. A
pack is validated completely on load (every problem at once, each with the field and the fix), and
its digest (sha256 of the canonical JSON of its content) is recorded with every decision.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.catalog import spec

PACKS_DIR = Path(__file__).resolve().parent / "policies"
GateName = Literal["performance", "fairness", "explainability", "drift", "data_quality", "documentation", "lineage"]
Stage = Literal["dev", "staging", "prod"]
ERR_UNKNOWN_PACK = "no policy pack {name!r}; available packs: {known}"


class PolicyError(ValueError):
    """A policy pack that cannot be used; the message lists every problem with its field and fix."""


class Threshold(BaseModel):
    """Bounds for one catalog metric; every group (facet value, feature) must satisfy them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    min: float | None = None
    max: float | None = None
    abs_max: float | None = Field(default=None, ge=0)

    @field_validator("metric")
    @classmethod
    def _known(cls, metric: str) -> str:
        spec(metric)
        return metric

    @model_validator(mode="after")
    def _bounded(self) -> Threshold:
        if self.min is None and self.max is None and self.abs_max is None:
            raise ValueError(f"threshold for {self.metric} sets no bound; give min, max or abs_max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"threshold for {self.metric} has min {self.min} above max {self.max}")
        return self

    def violation(self, value: float) -> str | None:
        """Why ``value`` breaks this threshold, or None when it holds."""
        if self.min is not None and value < self.min:
            return f"is below {self.min:g} required"
        if self.max is not None and value > self.max:
            return f"is above {self.max:g} allowed"
        if self.abs_max is not None and abs(value) > self.abs_max:
            return f"is outside ±{self.abs_max:g} allowed"
        return None

    def describe(self) -> str:
        parts = []
        if self.min is not None and self.max is not None:
            parts.append(f"within [{self.min:g}, {self.max:g}]")
        elif self.min is not None:
            parts.append(f">= {self.min:g}")
        elif self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.abs_max is not None:
            parts.append(f"within ±{self.abs_max:g}")
        return " and ".join(parts)


class GatePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: bool = True
    thresholds: tuple[Threshold, ...] = ()
    fields: tuple[str, ...] = ()  # documentation and lineage gates: the fields that must be filled
    assets: tuple[str, ...] = ()  # documentation gate: assets the model card must link (card["assets"])
    top_k: int | None = Field(default=None, ge=1)  # explainability: compare the k most important features
    min_top_k_overlap: float | None = Field(default=None, ge=0, le=1)


class PolicyPack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    risk_tier: Literal["minimal", "limited", "high", "prohibited"]
    description: str = ""
    gates: dict[GateName, GatePolicy] = Field(default_factory=dict)
    prohibited: bool = False
    approvals: dict[Stage, int] = Field(default_factory=dict)
    monitoring_plan_required: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> PolicyPack:
        if (self.risk_tier == "prohibited") != self.prohibited:
            raise ValueError("risk_tier prohibited and prohibited: true go together")
        if any(n < 0 for n in self.approvals.values()):
            raise ValueError("approvals per stage must be 0 or more")
        return self

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def ref(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "digest": self.digest}


def problem_lines(exc: ValidationError) -> list[str]:
    """One indented ``field: message`` line per validation problem (shared by packs and plans)."""
    return [f"  {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()]


def load_pack(path: str | Path) -> PolicyPack:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: policy pack file not found") from None
    return parse_pack(text, str(path))


def parse_pack(text: str | bytes, source: str) -> PolicyPack:
    """A pack from its YAML text; ``source`` names it in the errors (a file path or a store URI)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML ({exc})") from None
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        lines = problem_lines(exc)
        raise PolicyError(f"policy pack {source} has {len(lines)} problem(s):\n" + "\n".join(lines)) from None


def available_packs(directory: Path = PACKS_DIR) -> dict[str, Path]:
    return {p.stem: p for p in sorted(directory.glob("*.yaml"))}


def pack_for_tier(tier: str, directory: Path = PACKS_DIR) -> PolicyPack:
    packs = available_packs(directory)
    if tier not in packs:
        raise PolicyError(ERR_UNKNOWN_PACK.format(name=tier, known=", ".join(packs) or "none"))
    return load_pack(packs[tier])
