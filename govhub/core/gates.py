"""Gates: each trustworthy-AI principle as a small, fail-closed check over evidence.

A gate returns pass, fail, not_applicable (the policy does not ask for it), error (the gate itself
broke: that blocks too) or waived (a failure excused by a valid waiver). Missing evidence for a
required gate is a failure, never a pass. "What was found" (the finding) and "why it matters" (the
gate's principle) are separate fields.
"""

from __future__ import annotations

import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from govhub.core.evidence import Evidence
from govhub.core.thresholds import GatePolicy, Threshold
from govhub.numbers import number
from govhub.text import placeholder
from govhub.vocabulary import Status

if TYPE_CHECKING:
    from govhub.core.policy import PolicyPack

_DEFINED = itertools.count(1)

__all__ = ["GATES", "GATE_NAMES", "Check", "Finding", "Gate", "GateContext", "GateResult", "Status", "configurable"]


@dataclass(frozen=True)
class Finding:
    metric: str
    group: str
    value: float | None
    threshold: str
    message: str


@dataclass(frozen=True)
class Check:
    """One value the gate judged against one bound, passing or not: the report shows every one."""

    metric: str
    group: str
    value: float | None
    threshold: str
    passed: bool


@dataclass(frozen=True)
class GateResult:
    id: str
    status: Status
    principle: str
    findings: tuple[Finding, ...] = ()
    waiver: Mapping[str, str] | None = None
    notes: tuple[str, ...] = ()  # what the gate set aside and why (never a reason to pass)
    checks: tuple[Check, ...] = ()  # every value judged, with its bound (passing gates too)


@dataclass(frozen=True)
class GateContext:
    risk_tier: str
    model_card: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)
    protected_attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """The use case's sensitive columns and their groups (platform.yaml): the fairness gate requires
    every judged metric for every group, so evidence with a row or a column left out fails closed."""
    positive_outcome: str = ""
    """What a positive prediction means to the people affected ("approval"); findings say "approval
    rate" instead of "selection rate"."""


class Gate(ABC):
    """Base class: a gate has a stable id derived from its name and a principle (its docstring)."""

    name: ClassVar[str]
    configurable: ClassVar[bool] = True  # a pack configures it under ``gates.<name>``
    waivable: ClassVar[bool] = True
    _defined: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._defined = next(_DEFINED)

    def policy_for(self, pack: PolicyPack) -> GatePolicy | None:
        """What the pack asks of this gate; None when it does not ask (the gate is not applicable)."""
        return pack.gates.get(self.name)

    @property
    def id(self) -> str:
        return f"gate.{self.name}"

    @property
    def principle(self) -> str:
        return " ".join((type(self).__doc__ or "").split())

    def run(self, evidence: Evidence, policy: GatePolicy | None, ctx: GateContext) -> GateResult:
        """Run the gate; an exception inside it becomes an ``error`` result that carries the message."""
        if policy is None:
            return GateResult(self.id, "not_applicable", self.principle)
        try:
            findings = tuple(self.check(evidence, policy, ctx))
            notes = tuple(self.notes(evidence, policy))
            checks = tuple(self.measure(evidence, policy, ctx))
        except Exception as exc:  # noqa: BLE001 - a crashing gate must block, not abort the run
            return GateResult(
                self.id,
                "error",
                self.principle,
                (Finding("", "", None, "", f"gate crashed: {type(exc).__name__}: {exc}"),),
            )
        status: Status = "fail" if findings else "pass"
        return GateResult(self.id, status, self.principle, findings, notes=notes, checks=checks)

    def measure(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Check]:
        """Every value the pack's thresholds judge, each with its bound and whether it held."""
        out = []
        for threshold in policy.thresholds:
            for metric in evidence.find(threshold.metric):
                where = metric.describe_group() if metric.group else (metric.feature or "all rows")
                ok = metric.value is not None and threshold.violation(metric.value) is None
                out.append(Check(metric.name, where, metric.value, threshold.describe(), ok))
        return out

    def notes(self, evidence: Evidence, policy: GatePolicy) -> list[str]:
        """What the gate set aside and why; shown with the decision (none by default)."""
        return []

    @abstractmethod
    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        """What the gate found wrong; an empty list is a pass."""


class ThresholdGate(Gate):
    """Metric thresholds from the policy, applied to every group and feature the evidence reports."""

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        return self._check_all(evidence, policy, ctx)

    @classmethod
    def _check_all(cls, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        findings: list[Finding] = []
        for threshold in policy.thresholds:
            findings += cls._check_threshold(evidence, threshold, policy.required, ctx)
        return findings

    @staticmethod
    def _check_threshold(evidence: Evidence, threshold: Threshold, required: bool, ctx: GateContext) -> list[Finding]:
        metrics = list(evidence.find(threshold.metric))
        wanted = threshold.describe()
        if not metrics:
            if not required:
                return []
            return [
                Finding(
                    threshold.metric,
                    "",
                    None,
                    wanted,
                    f"no evidence for {threshold.metric}; a required gate fails closed when its evidence is missing",
                )
            ]
        out = []
        for metric in metrics:
            where = metric.describe_group() if metric.group else (metric.feature or "all rows")
            if metric.value is None:
                out.append(
                    Finding(
                        metric.name,
                        where,
                        None,
                        wanted,
                        f"{metric.name} for {where} could not be "
                        f"computed ({metric.error}); missing evidence is never a pass",
                    )
                )
                continue
            broken = threshold.violation(metric.value)
            if broken:
                out.append(
                    Finding(
                        metric.name,
                        where,
                        metric.value,
                        wanted,
                        f"{metric.name} {number(metric.value, infinity='infinity')} for {where} {broken} for risk tier "
                        f"{ctx.risk_tier}",
                    )
                )
        return out


class ProhibitedGate(Gate):
    """Safety: prohibited AI practices (EU AI Act Article 5) may not be deployed, whatever the evidence."""

    name = "prohibited"
    configurable = False  # set by the pack's ``prohibited: true``, never by a threshold
    waivable = False  # no evidence or waiver can make a prohibited use case pass

    def policy_for(self, pack: PolicyPack) -> GatePolicy | None:
        return GatePolicy(required=True) if pack.prohibited else None

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        return [
            Finding(
                "risk_tier",
                "",
                None,
                "not prohibited",
                "the use case is in the prohibited risk tier; no evidence or waiver can make it pass",
            )
        ]


class PerformanceGate(ThresholdGate):
    """Robustness and safety: the model must perform well enough for its use before anyone relies on it."""

    name = "performance"


class FairnessGate(ThresholdGate):
    """Fairness: outcomes and error rates must not differ unacceptably between groups of people."""

    name = "fairness"
    SIZE: ClassVar[str] = "fairness.group_size"
    RATE: ClassVar[str] = "fairlearn.selection_rate"

    def measure(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Check]:
        out = super().measure(evidence, policy, ctx)
        if policy.min_group_size is not None:
            need = policy.min_group_size
            out += [
                Check(self.SIZE, m.describe_group(), m.value, f">= {need}", m.value is not None and m.value >= need)
                for m in evidence.find(self.SIZE)
                if m.group
            ]
        return out

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        findings = self._causes(self._check_all(evidence, policy, ctx), evidence, ctx)
        findings += self._coverage(evidence, policy, ctx)
        if policy.min_group_size is None:
            return findings
        need = policy.min_group_size
        sizes = {m.describe_group(): m.value for m in evidence.find(self.SIZE) if m.group and m.value is not None}
        judged = {t.metric for t in policy.thresholds}
        groups = sorted({m.describe_group() for m in evidence.metrics if m.name in judged and m.group} - {"all rows"})
        groups = [g for g in groups if not g.endswith("=*")]  # worst-case metrics over all groups
        small = {g for g in groups if g in sizes and sizes[g] < need}
        unknown = [g for g in groups if g not in sizes]
        out = [f for f in findings if f.group not in small]
        for g in sorted(small):
            n = int(sizes[g] or 0)
            why = (
                f"{g} has {n} row(s), below the minimum group size {need} of risk tier {ctx.risk_tier}: its "
                "fairness metrics are not judged on so few rows"
            )
            fix = ("collect at least {need} rows for {g} and evaluate again" if policy.small_groups == "insufficient_data"
                   else "the gate fails closed")  # fmt: skip
            out.append(Finding(self.SIZE, g, float(n), f">= {need}", f"{why}; {fix.format(need=need, g=g)}"))
        if unknown:
            out.append(
                Finding(
                    self.SIZE,
                    ", ".join(unknown[:5]),
                    None,
                    f">= {need}",
                    f"the evidence does not say how many rows {', '.join(unknown[:5])} "
                    f"{'has' if len(unknown) == 1 else 'have'}, so the minimum group size {need} cannot be checked; "
                    "merge the local evaluator's evidence (it records fairness.group_size)",
                )
            )
        return out

    @classmethod
    def _causes(cls, findings: list[Finding], evidence: Evidence, ctx: GateContext) -> list[Finding]:
        """One finding per cause. Clarify judges each group against the rest, so with two groups one
        disparity shows as mirrored breaches (female's DI 0.66 is male's 1.51, and DPPL both ways):
        those become one finding about the group with the lower positive rate, led by the rates and
        group sizes behind it. Worst-case metrics over all groups join their attribute's one cause."""
        sizes = {m.describe_group(): m.value for m in evidence.find(cls.SIZE) if m.group and m.value is not None}
        rates = {m.describe_group(): m.value for m in evidence.find(cls.RATE) if m.group and m.value is not None}
        di = {m.describe_group(): m.value for m in evidence.find("clarify.DI") if m.group and m.value is not None}
        single = re.compile(r"[^=,]+=[^,]+")
        judged = [f for f in findings if f.value is not None and single.fullmatch(f.group)]
        out = [f for f in findings if f not in judged]
        by_attribute: dict[str, list[Finding]] = {}
        for f in judged:
            by_attribute.setdefault(f.group.split("=", 1)[0], []).append(f)
        for attribute, found in by_attribute.items():
            groups = sorted(
                {m.describe_group() for m in evidence.metrics if set(m.group) == {attribute}} - {f"{attribute}=*"}
            )
            per_group: dict[str, list[Finding]] = {}
            for f in found:
                per_group.setdefault(f.group, []).append(f)
            worst = per_group.pop(f"{attribute}=*", [])
            if len(groups) == 2 and len(per_group) == 2:  # the two sides of one disparity
                known = rates if all(x in rates for x in per_group) else di
                cause = min(per_group, key=lambda g, k=known: (k.get(g, 0.0) or 0.0, g))  # type: ignore[misc]
                per_group = {cause: per_group[cause] + [f for g, fs in per_group.items() if g != cause for f in fs]}
            if len(per_group) == 1:
                (cause,) = per_group
                per_group[cause] += worst
            else:
                per_group.update({f"{attribute}=*": worst} if worst else {})
            for group, members in per_group.items():
                out.append(cls._plain(group, members, groups, sizes, rates, ctx))
        return out

    @staticmethod
    def _plain(
        group: str,
        members: list[Finding],
        groups: list[str],
        sizes: Mapping[str, float | None],
        rates: Mapping[str, float | None],
        ctx: GateContext,
    ) -> Finding:
        head = next((f for f in members if f.group == group), members[0])
        lead = ""
        if group in groups and all(g in sizes and g in rates for g in groups):
            rest = [g for g in groups if g != group]
            n_rest = sum(int(sizes[g] or 0) for g in rest)
            if n_rest:
                rest_rate = sum((rates[g] or 0.0) * int(sizes[g] or 0) for g in rest) / n_rest
                label = f"{ctx.positive_outcome} rate" if ctx.positive_outcome else "selection rate"
                lead = (
                    f"{label} {rates[group]:.1%} for {group} (n={int(sizes[group] or 0):,}) vs {rest_rate:.1%} "
                    f"for the rest (n={n_rest:,}): "
                )
        also = [
            f"{f.metric} {number(f.value, infinity='infinity')} for {f.group} (allowed {f.threshold})"
            for f in members
            if f is not head
        ]
        message = lead + head.message + (f"; also {', '.join(also)}" if also else "")
        return Finding(head.metric, head.group, head.value, head.threshold, message)

    @classmethod
    def _coverage(cls, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        """One finding per (metric, attribute) that lacks a declared group: a metric over all groups
        (``attribute=*``) covers every group; otherwise each group needs its own value."""
        out: list[Finding] = []
        if not policy.required:
            return out
        wanted = [t.metric for t in policy.thresholds]
        if policy.min_group_size is not None:
            wanted.append(cls.SIZE)
        for attribute, groups in ctx.protected_attributes.items():
            for metric in dict.fromkeys(wanted):
                have = {str(m.group.get(attribute)) for m in evidence.find(metric) if set(m.group) == {attribute}}
                if "*" in have and metric != cls.SIZE:
                    continue
                missing = [g for g in groups if g not in have]
                if missing:
                    out.append(
                        Finding(
                            metric,
                            f"{attribute}={','.join(missing)}",
                            None,
                            "present",
                            f"the use case declares {attribute} with groups {', '.join(groups)}, but the evidence has "
                            f"no {metric} for {', '.join(f'{attribute}={g}' for g in missing)}; evaluate on the "
                            f"declared column {attribute} with every row, and submit the whole evidence",
                        )
                    )
        return out


class ExplainabilityGate(Gate):
    """Explainability: the model's global feature attributions must be computed and available for review,
    and the most important features must stay stable against the baseline model's."""

    name = "explainability"
    METRIC: ClassVar[str] = "explain.mean_abs_attribution"

    @classmethod
    def attributions(cls, evidence: Evidence, reference: str = "") -> dict[str, float]:
        """Global attributions per feature, of the model (``reference=""``) or of the baseline model."""
        return {
            m.feature: m.value
            for m in evidence.find(cls.METRIC)
            if m.group.get("reference", "") == reference and m.feature and m.value is not None
        }

    @classmethod
    def _overlap(cls, evidence: Evidence, policy: GatePolicy) -> float | None:
        current, baseline = cls.attributions(evidence), cls.attributions(evidence, "baseline")
        if not (policy.top_k and policy.min_top_k_overlap is not None and baseline and current):
            return None
        k = policy.top_k
        top = lambda scores: {f for f, _ in sorted(scores.items(), key=lambda kv: -abs(kv[1]))[:k]}  # noqa: E731
        return len(top(current) & top(baseline)) / k

    def measure(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Check]:
        out = super().measure(evidence, policy, ctx)
        overlap = self._overlap(evidence, policy)
        if overlap is not None and policy.min_top_k_overlap is not None:
            need = policy.min_top_k_overlap
            out.append(Check("top_k_overlap", f"top {policy.top_k}", overlap, f">= {need:g}", overlap >= need))
        return out

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        current = self.attributions(evidence)
        if not current:
            if not policy.required:
                return []
            return [
                Finding(
                    self.METRIC,
                    "",
                    None,
                    "present",
                    f"no global feature attributions ({self.METRIC}); "
                    "a required gate fails closed when its evidence is missing",
                )
            ]
        findings = ThresholdGate._check_all(evidence, policy, ctx)
        # an attribution the tool could not compute is missing evidence, never a quiet omission
        findings += [
            Finding(
                self.METRIC,
                m.feature or m.describe_group(),
                None,
                "computed",
                f"{self.METRIC} for {m.feature or m.describe_group()} could not be computed "
                f"({m.error}); missing evidence is never a pass",
            )
            for m in evidence.find(self.METRIC)
            if m.value is None
        ]
        overlap = self._overlap(evidence, policy)
        if overlap is not None and policy.min_top_k_overlap is not None:
            k = policy.top_k
            if overlap < policy.min_top_k_overlap:
                findings.append(
                    Finding(
                        "top_k_overlap",
                        f"top {k}",
                        overlap,
                        f">= {policy.min_top_k_overlap:g}",
                        f"only {overlap:.0%} of the top {k} features match the baseline model's "
                        f"(at least {policy.min_top_k_overlap:.0%} required for risk tier "
                        f"{ctx.risk_tier})",
                    )
                )
        return findings


class DriftGate(ThresholdGate):
    """Robustness: the data the model sees must still resemble the data it was trained and validated on."""

    name = "drift"
    PSI: ClassVar[str] = "drift.psi"
    BINS: ClassVar[str] = "drift.psi_bins"
    KS: ClassVar[str] = "drift.ks_statistic"

    @classmethod
    def too_few_bins(cls, evidence: Evidence, policy: GatePolicy) -> dict[str, int]:
        """Features whose baseline deciles tied into fewer PSI bins than the pack accepts."""
        if policy.min_psi_bins is None:
            return {}
        return {
            m.feature: int(m.value)
            for m in evidence.find(cls.BINS)
            if m.feature and m.value is not None and m.value < policy.min_psi_bins
        }

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        coarse = self.too_few_bins(evidence, policy)
        findings = [
            f for f in self._check_all(evidence, policy, ctx) if not (f.metric == self.PSI and f.group in coarse)
        ]
        ks_judged = any(t.metric == self.KS for t in policy.thresholds)
        for feature, bins in sorted(coarse.items()):
            has_ks = any(m.feature == feature and m.value is not None for m in evidence.find(self.KS))
            if not (ks_judged and has_ks):
                findings.append(
                    Finding(
                        self.PSI,
                        feature,
                        float(bins),
                        f">= {policy.min_psi_bins} bins",
                        f"PSI for {feature} rests on {bins} bin(s) only (the baseline's deciles tie), so it cannot "
                        f"show drift; it must be judged by the KS statistic, but "
                        + ("the evidence has no KS statistic for it" if ks_judged else "the pack sets no KS threshold")
                        + f" (risk tier {ctx.risk_tier})",
                    )
                )
        return findings

    def notes(self, evidence: Evidence, policy: GatePolicy) -> list[str]:
        return [
            f"PSI for {feature} set aside: {bins} bin(s) are fewer than the {policy.min_psi_bins} the pack requires "
            "(a heavily tied baseline); the feature is judged by the KS statistic alone"
            for feature, bins in sorted(self.too_few_bins(evidence, policy).items())
        ]


class DataQualityGate(ThresholdGate):
    """Safety: decisions must not rest on missing or malformed inputs."""

    name = "data_quality"


class FieldsGate(Gate):
    """Base for gates that require named fields to be filled in a document."""

    source: ClassVar[str]

    @abstractmethod
    def document(self, ctx: GateContext) -> Mapping[str, Any]:
        """The document whose fields the policy requires."""

    def measure(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Check]:
        doc = self.document(ctx)
        raw_assets = doc.get("assets")
        assets: Mapping[str, Any] = raw_assets if isinstance(raw_assets, dict) else {}
        return [Check(f, "", None, "filled", not placeholder(doc.get(f))) for f in policy.fields] + [
            Check(f"assets.{a}", "", None, "linked", not placeholder(assets.get(a))) for a in policy.assets
        ]

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        doc = self.document(ctx)
        missing = [f for f in policy.fields if placeholder(doc.get(f))]
        findings = [
            Finding(
                f,
                "",
                None,
                "filled",
                f"{self.source} field {f!r} is missing, empty or a placeholder; risk tier {ctx.risk_tier} requires it",
            )
            for f in missing
        ]
        raw_assets = doc.get("assets")
        assets: Mapping[str, Any] = raw_assets if isinstance(raw_assets, dict) else {}
        findings += [
            Finding(
                a,
                "",
                None,
                "linked",
                f"{self.source} asset {a!r} is not linked (assets.{a}); risk tier {ctx.risk_tier} requires it",
            )
            for a in policy.assets
            if placeholder(assets.get(a))
        ]
        return findings


class DocumentationGate(FieldsGate):
    """Transparency: a model card must state intended use, limitations and the other required fields."""

    name = "documentation"
    source = "model card"

    def document(self, ctx: GateContext) -> Mapping[str, Any]:
        return ctx.model_card


# For risk tier high the code commit must name a commit: a git object id (SHA-1, abbreviated to 7 or
# more hex digits, or SHA-256). "uncommitted", "local", a branch name or a tag cannot be traced back.
COMMIT_ID = re.compile(r"[0-9a-f]{7,64}")
COMMIT_TIERS = ("high",)


class LineageGate(FieldsGate):
    """Accountability: every model version must trace back to its data version, code commit and training job."""

    name = "lineage"
    source = "lineage"

    def document(self, ctx: GateContext) -> Mapping[str, Any]:
        return ctx.lineage

    def check(self, evidence: Evidence, policy: GatePolicy, ctx: GateContext) -> list[Finding]:
        findings = super().check(evidence, policy, ctx)
        commit = ctx.lineage.get("code_commit")
        if (
            ctx.risk_tier in COMMIT_TIERS
            and "code_commit" in policy.fields
            and not placeholder(commit)
            and not COMMIT_ID.fullmatch(str(commit).strip().lower())
        ):
            findings.append(
                Finding(
                    "code_commit",
                    "",
                    None,
                    "a commit id",
                    f"lineage code_commit {str(commit)[:80]!r} is not a commit id; risk tier {ctx.risk_tier} "
                    "requires the git commit the model was trained from: commit your code and evaluate again "
                    "(in CI, GIT_COMMIT or the CI's commit variable is used)",
                )
            )
        return findings


def _concrete(base: type) -> list[type[Gate]]:
    found: list[type[Gate]] = []
    cls: type[Gate]
    for cls in base.__subclasses__():
        if "name" in cls.__dict__:
            found.append(cls)
        found += [c for c in _concrete(cls) if c not in found]
    return found


def _in_definition_order(classes: list[type[Gate]]) -> list[type[Gate]]:
    return sorted(classes, key=lambda cls: cls._defined)


# Every gate defined in this module, in the order a decision runs and lists them. Adding a gate is one
# class above: its name, its principle (the docstring) and its check.
GATES: tuple[Gate, ...] = tuple(cls() for cls in _in_definition_order(_concrete(Gate)))
GATE_NAMES: tuple[str, ...] = tuple(g.name for g in GATES)


def configurable() -> tuple[str, ...]:
    """The gate names a policy pack may configure under ``gates:``."""
    return tuple(g.name for g in GATES if g.configurable)
