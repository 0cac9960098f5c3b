"""The self-contained HTML gate report: gate table, per-group fairness bars, drift per feature, and the
reasons for each failure. No external assets: the file can be attached to a ticket or an audit pack."""

from __future__ import annotations

import math

from govhub.core.decision import Decision
from govhub.core.evidence import Evidence
from govhub.core.policy import PolicyPack
from govhub.numbers import number
from govhub.resources import templates_dir

TEMPLATES = templates_dir("reports")
FAIRNESS_BARS = ("clarify.DI", "clarify.DPPL", "fairlearn.selection_rate", "clarify.RD")
DRIFT_METRICS = ("drift.psi", "drift.ks_statistic", "drift.linf", "drift.js_divergence_base2", "quality.missing_rate")


def _fmt(value: float | None) -> str:
    return number(value, ".3f")


def _fairness_blocks(decision: Decision, evidence: Evidence, pack: PolicyPack | None) -> list[dict]:
    thresholds = {t.metric: t for gate in (pack.gates.values() if pack else ()) for t in gate.thresholds}
    failing = {(f.metric, f.group) for g in decision.gates for f in g.findings}
    blocks = []
    for name in FAIRNESS_BARS:
        metrics = [m for m in evidence.metrics if m.name == name and m.group]
        if not metrics:
            continue
        finite = [abs(m.value) for m in metrics if m.value is not None and not math.isinf(m.value)]
        scale = max([1.5 if name == "clarify.DI" else 0.5, *finite])
        bars = [
            {
                "group": m.describe_group(),
                "text": _fmt(m.value),
                "width": 100.0 if m.value is None or math.isinf(m.value) else min(100.0, abs(m.value) / scale * 100),
                "ok": (name, m.describe_group()) not in failing and m.value is not None,
            }
            for m in metrics
        ]
        t = thresholds.get(name)
        band = None
        if t is not None and t.min is not None and t.max is not None:
            band = (min(t.min / scale * 100, 100.0), min(t.max / scale * 100, 100.0))
        blocks.append({"metric": name, "bars": bars, "band": band, "band_text": t.describe() if t else ""})
    return blocks


def render_report(decision: Decision, evidence: Evidence, pack: PolicyPack | None = None) -> str:
    from govhub.rendering import environment

    env = environment("reports")
    drift: dict[str, dict[str, str]] = {}
    for m in evidence.metrics:
        if m.feature and m.name in DRIFT_METRICS:
            drift.setdefault(m.feature, {})[m.name] = _fmt(m.value)
    model_name = " ".join(v for v in (evidence.model.get("name"), evidence.model.get("version")) if v) or "model"
    return env.get_template("gate_report.html.j2").render(
        decision=decision,
        failures=decision.failures(),
        fairness=_fairness_blocks(decision, evidence, pack),
        drift=drift,
        drift_metrics=[n for n in DRIFT_METRICS if any(n in v for v in drift.values())],
        model_name=model_name,
    )
