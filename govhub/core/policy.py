"""Policy packs: governance as code, one versioned YAML pack per risk tier.

A pack sets, per gate, whether the gate is required and which thresholds apply to which catalog
metrics; it also sets the approvals each stage needs and whether a monitoring plan is required. A
pack is validated completely on load (every problem at once, each with the field and the fix), and
its digest (sha256 of the canonical JSON of its content) is recorded with every decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govhub import inputs
from govhub.canonical import digest_of
from govhub.core.gates import GATE_NAMES, configurable
from govhub.core.thresholds import GatePolicy
from govhub.problems import problem_report
from govhub.resources import policies_dir
from govhub.vocabulary import RiskTier, Stage

PACKS_DIR = policies_dir()
ERR_UNKNOWN_PACK = "no policy pack {name!r}; available packs: {known}"
ERR_UNKNOWN_GATE = "unknown gate {name!r}; a pack configures these gates: {known}"


def _configurable_gate(name: str) -> str:
    if name not in configurable():
        raise ValueError(ERR_UNKNOWN_GATE.format(name=name, known=", ".join(configurable())))
    return name


GateName = Annotated[str, AfterValidator(_configurable_gate)]
"""A gate a pack may configure: the names come from the gate classes (:mod:`govhub.core.gates`)."""


class PolicyError(ValueError):
    """A policy pack that cannot be used; the message lists every problem with its field and fix."""


class PolicyPack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    risk_tier: RiskTier
    description: str = ""
    gates: dict[GateName, GatePolicy] = Field(default_factory=dict)
    prohibited: bool = False
    approvals: dict[Stage, int] = Field(default_factory=dict)
    monitoring_plan_required: bool = False

    @field_validator("gates")
    @classmethod
    def _in_gate_order(cls, gates: dict[str, GatePolicy]) -> dict[str, GatePolicy]:
        return {name: gates[name] for name in GATE_NAMES if name in gates}

    @model_validator(mode="after")
    def _consistent(self) -> PolicyPack:
        if (self.risk_tier == "prohibited") != self.prohibited:
            raise ValueError("risk_tier prohibited and prohibited: true go together")
        if any(n < 0 for n in self.approvals.values()):
            raise ValueError("approvals per stage must be 0 or more")
        return self

    @property
    def digest(self) -> str:
        return digest_of(self.model_dump(mode="json"))

    @property
    def ref(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "digest": self.digest}


def load_pack(path: str | Path) -> PolicyPack:
    try:
        text = inputs.read_text(path, "policy pack")
    except inputs.InputError as exc:
        raise PolicyError(str(exc)) from None
    return parse_pack(text, str(path))


def parse_pack(text: str | bytes, source: str) -> PolicyPack:
    """A pack from its YAML text; ``source`` names it in the errors (a file path or a store URI)."""
    try:
        data = inputs.load_yaml(text, source, "policy pack")
    except inputs.InputError as exc:
        raise PolicyError(str(exc)) from None
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(problem_report(exc, f"policy pack {source}")) from None


def available_packs(directory: Path = PACKS_DIR) -> dict[str, Path]:
    return {p.stem: p for p in sorted(directory.glob("*.yaml"))}


def pack_for_tier(tier: str, directory: Path = PACKS_DIR) -> PolicyPack:
    packs = available_packs(directory)
    if tier not in packs:
        raise PolicyError(ERR_UNKNOWN_PACK.format(name=tier, known=", ".join(packs) or "none"))
    return load_pack(packs[tier])
