"""The self-contained HTML gate report: gate table, per-group fairness bars, drift per feature, and the
reasons for each failure. No external assets: the file can be attached to a ticket or an audit pack."""

from __future__ import annotations

import math

from govhub.core.catalog import SIGNED_UNIT, spec
from govhub.core.decision import Decision
from govhub.core.evidence import Evidence
from govhub.core.guidance import glossary, next_steps
from govhub.core.policy import PolicyPack
from govhub.numbers import number
from govhub.resources import templates_dir

TEMPLATES = templates_dir("reports")
FAIRNESS_BARS = ("clarify.DI", "clarify.DPPL", "fairlearn.selection_rate", "clarify.RD")
DRIFT_METRICS = ("drift.psi", "drift.ks_statistic", "drift.linf", "drift.js_divergence_base2", "quality.missing_rate")


def _fmt(value: float | None) -> str:
    return number(value, ".3f")


def _fairness_blocks(decision: Decision, evidence: Evidence, pack: PolicyPack | None) -> list[dict]:
    """Bars per group for the fairness metrics. A signed metric (a difference of rates) is drawn from a
    zero axis in the middle, to the left when negative; the allowed band is marked on every bar."""
    thresholds = {t.metric: t for gate in (pack.gates.values() if pack else ()) for t in gate.thresholds}
    judged = {(c.metric, c.group): c.passed for g in decision.gates for c in g.checks}
    blocks = []
    for name in FAIRNESS_BARS:
        metrics = [m for m in evidence.metrics if m.name == name and m.group]
        if not metrics:
            continue
        t = thresholds.get(name)
        signed = spec(name).domain == SIGNED_UNIT
        finite = [abs(m.value) for m in metrics if m.value is not None and not math.isinf(m.value)]
        bounds = [abs(b) * 1.25 for b in ((t.min, t.max, t.abs_max) if t else ()) if b is not None]
        scale = max([1.5 if name == "clarify.DI" else 0.5 if not signed else 0.2, *finite, *bounds])

        def at(value: float, scale: float = scale, signed: bool = signed) -> float:
            """Where ``value`` sits on the track, in percent."""
            pos = 50 + value / scale * 50 if signed else value / scale * 100
            return max(0.0, min(100.0, pos))

        bars = []
        for m in metrics:
            group = m.describe_group()
            if m.value is None or math.isinf(m.value):
                left, width = 0.0, 100.0
            elif signed:
                left, width = min(50.0, at(m.value)), abs(at(m.value) - 50.0)
            else:
                left, width = 0.0, at(m.value)
            ok = judged.get((name, group), True) and m.value is not None
            bars.append({"group": group, "text": _fmt(m.value), "left": left, "width": width, "ok": ok})
        band = None
        if t is not None:
            if t.abs_max is not None and signed:
                band = (at(-t.abs_max), at(t.abs_max))
            elif t.min is not None or t.max is not None:
                band = (at(t.min) if t.min is not None else (0.0 if not signed else at(-1.0)),
                        at(t.max) if t.max is not None else 100.0)  # fmt: skip
        blocks.append(
            {
                "metric": name,
                "bars": bars,
                "band": band,
                "band_text": t.describe() if t else "",
                "signed": signed,
                "zero": at(0.0) if signed else None,
            }
        )
    return blocks


def _attributions(evidence: Evidence) -> list[dict]:
    """The global feature attributions behind the explainability gate, largest first, with the baseline
    model's next to them when the evidence has it."""
    from govhub.core.gates import ExplainabilityGate

    current = ExplainabilityGate.attributions(evidence)
    baseline = ExplainabilityGate.attributions(evidence, "baseline")
    top = max([abs(v) for v in (*current.values(), *baseline.values())] or [1.0]) or 1.0
    return [
        {
            "feature": f,
            "value": _fmt(v),
            "width": abs(v) / top * 100,
            "baseline": _fmt(baseline.get(f)) if f in baseline else "–",
        }
        for f, v in sorted(current.items(), key=lambda kv: -abs(kv[1]))
    ]


def render_report(decision: Decision, evidence: Evidence, pack: PolicyPack | None = None, model_ref: str = "") -> str:
    from govhub.rendering import environment

    env = environment("reports")
    drift: dict[str, dict[str, str]] = {}
    for m in evidence.metrics:
        if m.feature and m.name in DRIFT_METRICS:
            drift.setdefault(m.feature, {})[m.name] = _fmt(m.value)
    model_name = " ".join(v for v in (evidence.model.get("name"), evidence.model.get("version")) if v) or "model"
    failures = decision.failures()
    checks = [(g.id, c) for g in decision.gates for c in g.checks]
    fairness = _fairness_blocks(decision, evidence, pack)
    attributions = _attributions(evidence)
    names = [c.metric for _, c in checks] + [b["metric"] for b in fairness] + [n for v in drift.values() for n in v]
    if attributions:
        names.append("explain.mean_abs_attribution")
    return env.get_template("gate_report.html.j2").render(
        decision=decision,
        failures=failures,
        checks=checks,
        fmt=_fmt,
        fairness=fairness,
        attributions=attributions,
        drift=drift,
        drift_metrics=[n for n in DRIFT_METRICS if any(n in v for v in drift.values())],
        model_name=model_name,
        glossary=glossary(names),
        next_steps=next_steps([g.id for g in failures], model_ref) if failures else None,
    )
