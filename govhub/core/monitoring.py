"""Monitoring plans: no model reaches production without one.

A plan says which drift and data-quality checks run on the serving data, on what schedule, against
which baseline, with which thresholds (catalog metrics, the same bounds as policy packs), and where
alerts go. It is validated on load with precise errors and attached to a model version by digest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govhub import inputs
from govhub.canonical import canonical_json, digest_of
from govhub.core.catalog import spec
from govhub.core.thresholds import Threshold
from govhub.problems import problem_report

SCHEDULE = re.compile(r"^(hourly|daily|weekly|cron\([^)]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")


class PlanError(ValueError):
    """A monitoring plan that cannot be attached; the message names the file, the field and the fix."""


class Check(Threshold):
    kind: Literal["drift", "data_quality", "performance", "fairness"]
    features: tuple[str, ...] = Field(default=("*",), description="features the check covers; * for all")

    @model_validator(mode="after")
    def _family(self) -> Check:
        family = {"drift": "drift.", "data_quality": "quality."}.get(self.kind)
        if family and not self.metric.startswith(family):
            raise ValueError(f"a {self.kind} check needs a {family}* metric, not {self.metric}")
        spec(self.metric)
        return self


class Alerting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    ticket: bool = True
    notify: tuple[str, ...] = Field(default=(), description="e-mail addresses told about breaches")


class MonitoringPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    schedule: str = Field(description="hourly, daily, weekly, cron(...) or rate(N unit)")
    baseline: str = Field(min_length=1, description="URI of the baseline (training) data the checks compare with")
    checks: tuple[Check, ...] = Field(min_length=1)
    alerting: Alerting = Alerting()

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not SCHEDULE.match(value.strip()):
            raise ValueError(
                f"schedule {value!r} is not hourly, daily, weekly, cron(...) or rate(N minutes|hours|days)"
            )
        return value.strip()

    @model_validator(mode="after")
    def _covers_drift_and_quality(self) -> MonitoringPlan:
        kinds = {c.kind for c in self.checks}
        missing = [k for k in ("drift", "data_quality") if k not in kinds]
        if missing:
            raise ValueError(f"a plan must run drift and data-quality checks; add a check of kind {', '.join(missing)}")
        return self

    @property
    def digest(self) -> str:
        return digest_of(self.model_dump(mode="json"))

    def canonical(self) -> bytes:
        """The bytes the hub stores; their sha256 is :attr:`digest`."""
        return canonical_json(self.model_dump(mode="json"))


def parse_plan(text: str | bytes, source: str) -> MonitoringPlan:
    try:
        data = inputs.load_yaml(text, source, "monitoring plan")
    except inputs.InputError as exc:
        raise PlanError(str(exc)) from None
    if isinstance(data, dict) and isinstance(data.get("monitoring_plan"), dict):
        data = data["monitoring_plan"]  # a project's governance.yaml holds the plan under this key
    try:
        return MonitoringPlan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(problem_report(exc, f"monitoring plan {source}")) from None


def load_plan(path: str | Path) -> MonitoringPlan:
    try:
        text = inputs.read_text(path, "monitoring plan")
    except inputs.InputError as exc:
        raise PlanError(str(exc)) from None
    return parse_plan(text, str(path))


# What production monitoring watches, per gate of a pack: drift and data quality on the serving data,
# and fairness on the labelled feedback. Performance needs ground truth a monitor rarely has at once,
# so it stays with evaluation.
MONITORED_GATES = {"drift": "drift", "data_quality": "data_quality", "fairness": "fairness"}
# A pack without drift thresholds (minimal) still gets a drift check: PSI above 0.25 is the usual
# "significant shift" line (Yurdakul, "Statistical properties of population stability index", 2018).
DEFAULT_DRIFT = ({"metric": "drift.psi", "max": 0.25},)


def checks_for_pack(pack: object) -> list[dict[str, object]]:
    """The plan's checks with the tier's own thresholds: a limited-tier project must not alert on the
    high tier's bounds, and a plan never passes what the pack would block."""
    gates = getattr(pack, "gates", {})
    out: list[dict[str, object]] = []
    for gate, kind in MONITORED_GATES.items():
        policy = gates.get(gate)
        thresholds = [t.model_dump(exclude_none=True) for t in policy.thresholds] if policy else []
        if kind == "drift" and not thresholds:
            thresholds = [dict(t) for t in DEFAULT_DRIFT]
        out += [{"kind": kind, **t} for t in thresholds]
    if not any(c["kind"] == "data_quality" for c in out):
        out.append({"kind": "data_quality", "metric": "quality.missing_rate", "max": 0.05})
    return out
