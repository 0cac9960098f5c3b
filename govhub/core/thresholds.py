"""What a policy pack asks of one gate: its thresholds over catalog metrics and its required fields.

Kept apart from :mod:`govhub.core.policy` so that the gates (which apply these) and the packs (which
name the gates) depend on it, and not on each other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govhub.core.catalog import spec


class Threshold(BaseModel):
    """Bounds for one catalog metric; every group (facet value, feature) must satisfy them."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    required: bool = True
    thresholds: tuple[Threshold, ...] = ()
    fields: tuple[str, ...] = ()  # documentation and lineage gates: the fields that must be filled
    assets: tuple[str, ...] = ()  # documentation gate: assets the model card must link (card["assets"])
    top_k: int | None = Field(default=None, ge=1)  # explainability: compare the k most important features
    min_top_k_overlap: float | None = Field(default=None, ge=0, le=1)
    # fairness: groups with fewer rows are not judged on their metrics; the gate fails, saying so
    min_group_size: int | None = Field(default=None, ge=1)
    small_groups: Literal["fail", "insufficient_data"] = "fail"
    # drift: a numeric feature whose baseline deciles tie into fewer PSI bins is judged by KS alone
    min_psi_bins: int | None = Field(default=None, ge=2)
