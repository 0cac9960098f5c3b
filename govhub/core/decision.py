"""The decision engine: evidence + policy pack (+ waivers) -> one recorded, explainable decision.

Outcome: ``pass`` when every gate passes, is not applicable or is waived; ``error`` when any gate
errored; otherwise ``fail``. A prohibited-tier pack always fails. The decision carries the policy's
name, version and digest and the evidence digest, so that it can be checked later against exactly
what was judged. Its JSON Schema is published at ``hub/schemas/decision.schema.json``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govhub.canonical import sha256_hex
from govhub.core.evidence import Evidence
from govhub.core.gates import GATES, GateContext, GateResult
from govhub.core.policy import PolicyPack
from govhub.resources import schemas_dir
from govhub.text import substantial
from govhub.vocabulary import BLOCKING, Outcome, RiskTier, Status

DECISION_SCHEMA_VERSION = 1
SCHEMA_PATH = schemas_dir() / "decision.schema.json"
MIN_WAIVER_REASON = 20
ERR_WAIVER_REASON = "waiver for {gate}: the reason must be at least {n} characters that a reviewer can accept"
ERR_WAIVER_GATE = "waiver names unknown gate {gate!r}; gates are: {known}"


class Waiver(BaseModel):
    """An approved exception to one gate, with a reason, an approver and an expiry date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gate: str
    reason: str
    approver: str = Field(min_length=3)
    expires: date

    @field_validator("gate")
    @classmethod
    def _known_gate(cls, gate: str) -> str:
        known = [g.id for g in GATES if g.waivable]
        if gate not in known:
            raise ValueError(ERR_WAIVER_GATE.format(gate=gate, known=", ".join(known)))
        return gate

    @field_validator("reason")
    @classmethod
    def _substantial(cls, reason: str, info) -> str:
        if not substantial(reason, MIN_WAIVER_REASON):
            raise ValueError(ERR_WAIVER_REASON.format(gate=info.data.get("gate", "?"), n=MIN_WAIVER_REASON))
        return reason.strip()

    def active(self, today: date) -> bool:
        return today <= self.expires


class FindingDoc(BaseModel):
    metric: str
    group: str
    value: float | None
    threshold: str
    message: str


class CheckDoc(BaseModel):
    """One value judged against one bound, passing or not."""

    model_config = ConfigDict(ser_json_inf_nan="strings")

    metric: str
    group: str
    value: float | None
    threshold: str
    passed: bool


class GateDoc(BaseModel):
    id: str
    status: Status
    principle: str
    findings: list[FindingDoc]
    waiver: Waiver | None = None
    notes: list[str] = Field(default_factory=list)
    checks: list[CheckDoc] = Field(default_factory=list, description="every value judged, passing or not")


class PolicyRef(BaseModel):
    name: str
    version: str
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")


class Decision(BaseModel):
    """A gate decision for one model version."""

    model_config = ConfigDict(ser_json_inf_nan="strings")

    schema_version: int = DECISION_SCHEMA_VERSION
    outcome: Outcome
    risk_tier: RiskTier
    policy: PolicyRef
    gates: list[GateDoc]
    evidence_digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    model: dict[str, str] = Field(default_factory=dict)
    decided_on: date

    def failures(self) -> list[GateDoc]:
        """The gates that block promotion (failed or errored): the one definition of "blocking"."""
        return [g for g in self.gates if g.status in BLOCKING]


def _doc(result: GateResult, waiver: Waiver | None = None) -> GateDoc:
    return GateDoc(
        id=result.id,
        status="waived" if waiver else result.status,
        principle=result.principle,
        waiver=waiver,
        findings=[FindingDoc(**f.__dict__) for f in result.findings],
        notes=list(result.notes),
        checks=[CheckDoc(**c.__dict__) for c in result.checks],
    )


def decide(
    evidence: Evidence,
    pack: PolicyPack,
    *,
    ctx: GateContext | None = None,
    waivers: list[Waiver] | tuple[Waiver, ...] = (),
    today: date | None = None,
) -> Decision:
    today = today or date.today()
    ctx = ctx or GateContext(risk_tier=pack.risk_tier)
    by_gate = {w.gate: w for w in waivers if w.active(today)}
    gates: list[GateDoc] = []
    for gate in GATES:
        result = gate.run(evidence, gate.policy_for(pack), ctx)
        waiver = by_gate.get(result.id) if result.status == "fail" and gate.waivable else None
        gates.append(_doc(result, waiver))
    statuses = {g.status for g in gates}
    outcome: Outcome = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    digest = sha256_hex(evidence.to_json())
    return Decision(
        outcome=outcome,
        risk_tier=pack.risk_tier,
        policy=PolicyRef(**pack.ref),
        gates=gates,
        evidence_digest=digest,
        model=dict(evidence.model),
        decided_on=today,
    )


def decision_schema() -> dict:
    return Decision.model_json_schema()
