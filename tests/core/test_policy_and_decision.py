"""Policy packs, gates and decisions: fail closed, explain with numbers, record the policy digest."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from govhub.core.decision import SCHEMA_PATH, Decision, Waiver, decide, decision_schema
from govhub.core.evidence import Evidence, Metric, Provenance
from govhub.core.gates import GATES, FairnessGate, GateContext
from govhub.core.policy import GatePolicy, PolicyError, available_packs, load_pack, pack_for_tier

PROV = Provenance(
    artifact_uri="file:///p.parquet",
    artifact_sha256="1" * 64,
    tool="govhub-local",
    tool_version="0.1.0",
    variant="clarify",
)
TODAY = date(2026, 11, 28)
# The EU AI Act Annex IV fields the high-tier documentation gate requires, filled as a provider would.
ANNEX_IV = {
    "deployers": "the bank's consumer-lending officers, who take the final decision",
    "affected_persons": "EU retail applicants for consumer credit",
    "human_oversight": "every decline is reviewed by a credit officer, who may override the score",
    "risk_management": "quarterly risk review by the model risk committee; fairness gates at every release",
    "residual_risks": "thin-file applicants are scored less accurately; they are routed to manual review",
    "data_provenance": "the bank's loan book 2019-2024, outcomes labelled from repayment records",
    "data_representativeness": "applicants of every region and both sexes; group sizes in the evidence",
    "accuracy_robustness": "ROC AUC at least 0.70 on a holdout from the latest year; drift watched daily",
    "post_market_monitoring": "daily drift and fairness checks against the training baseline, tickets on breach",
    "log_retention": "decisions and evidence kept in the hub's audit log for the retention period",
}
CARD = {
    **ANNEX_IV,
    "intended_use": "consumer credit scoring",
    "limitations": "not for business loans",
    "owners": "credit-ds@acme.example",
    "training_data": "loans 2019-2024",
    "evaluation_data": "holdout 2025",
    "ethical_considerations": "reviewed by the ethics board",
    "assets": {"evaluation_report": "eval.html"},
}
LINEAGE = {"data_version": "v3", "code_commit": "abc1234", "training_job": "tj-1"}


def judge(ev: Evidence, pack, **kwargs) -> Decision:
    """decide() with a complete model card and lineage, so that only the gate under test can fail."""
    kwargs.setdefault("ctx", GateContext(risk_tier=pack.risk_tier, model_card=CARD, lineage=LINEAGE))
    return decide(ev, pack, **kwargs)


def metric(name: str, value: float | None, error: str | None = None, **group: str) -> Metric:
    return Metric(name=name, value=value, error=error, group=group, provenance=PROV)


def evidence(di_female: float = 0.95, **extra: float) -> Evidence:
    values = {"roc_auc": 0.81, "accuracy": 0.74, "fairlearn.equalized_odds_difference": 0.05, **extra}
    metrics = [metric(k, v) for k, v in values.items()]
    metrics += [
        metric("clarify.DI", di_female, sex="female"),
        metric("clarify.DI", 1.02, sex="male"),
        metric("clarify.DPPL", 0.02, sex="female"),
        metric("clarify.RD", 0.01, sex="female"),
        metric("fairness.group_size", 612, sex="female"),
        metric("fairness.group_size", 1588, sex="male"),
    ]
    return Evidence(model={"name": "credit", "version": "7"}, metrics=tuple(metrics))


def test_every_tier_has_a_valid_pack_and_high_is_stricter_than_limited() -> None:
    assert set(available_packs()) == {"minimal", "limited", "high", "prohibited"}
    high, limited = pack_for_tier("high"), pack_for_tier("limited")
    di = {
        p.risk_tier: next(t for t in p.gates["fairness"].thresholds if t.metric == "clarify.DI")
        for p in (high, limited)
    }
    assert (di["high"].min, di["high"].max) == (0.8, 1.25)
    assert di["limited"].min < di["high"].min and di["limited"].max > di["high"].max
    assert high.approvals["prod"] == 2 and high.monitoring_plan_required
    assert pack_for_tier("prohibited").prohibited
    assert len(high.digest) == 64 and high.digest != limited.digest


def test_invalid_pack_lists_every_problem(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("""
name: Bad Name
version: one
risk_tier: high
gates:
  fairness:
    thresholds:
      - {metric: clarify.EOD, max: 0.1}
      - {metric: clarify.DI}
      - {metric: clarify.DPPL, min: 0.5, max: 0.1}
  happiness: {required: true}
colour: blue
""")
    with pytest.raises(PolicyError) as caught:
        load_pack(bad)
    text = str(caught.value)
    assert text.startswith(f"policy pack {bad} has ")
    for expected in (
        "name: does not have the expected form",
        "version: does not have the expected form",
        "unknown metric 'clarify.EOD'",
        "threshold for clarify.DI sets no bound",
        "min 0.5 above max 0.1",
        "gates.happiness",
        "colour: is not a known key; remove it or check its spelling",
    ):
        assert expected in text, expected
    assert "should" not in text and "Extra inputs" not in text  # never the validator's wording
    with pytest.raises(PolicyError, match="no policy pack 'extreme'; available packs: high, limited, minimal"):
        pack_for_tier("extreme")


def test_fair_model_passes_and_records_policy_and_evidence_digests() -> None:
    pack = pack_for_tier("high")
    decision = judge(evidence(), pack, today=TODAY)
    assert decision.outcome == "pass"
    assert decision.policy.digest == pack.digest and decision.policy.version == "1.2.0"
    statuses = {g.id: g.status for g in decision.gates}
    assert statuses["gate.fairness"] == "pass" and statuses["gate.performance"] == "pass"
    assert statuses["gate.documentation"] == "pass" and statuses["gate.lineage"] == "pass"
    assert statuses["gate.drift"] == "pass"  # not required and no drift evidence: nothing to judge


def test_biased_model_fails_with_a_readable_reason() -> None:
    decision = judge(evidence(di_female=0.71), pack_for_tier("high"), today=TODAY)
    assert decision.outcome == "fail"
    (fairness,) = decision.failures()
    (finding,) = fairness.findings
    assert finding.message == "clarify.DI 0.71 for sex=female is below 0.8 required for risk tier high"
    assert (finding.metric, finding.group, finding.value, finding.threshold) == (
        "clarify.DI",
        "sex=female",
        0.71,
        "within [0.8, 1.25]",
    )
    assert fairness.principle.startswith("Fairness:")
    # the same evidence passes the looser limited-risk pack
    assert judge(evidence(di_female=0.71), pack_for_tier("limited"), today=TODAY).outcome == "pass"


def test_missing_or_uncomputable_evidence_fails_closed() -> None:
    no_fairness = Evidence(metrics=(metric("roc_auc", 0.8), metric("accuracy", 0.8)))
    decision = judge(no_fairness, pack_for_tier("high"), today=TODAY)
    fairness = next(g for g in decision.gates if g.id == "gate.fairness")
    assert fairness.status == "fail"
    assert "no evidence for clarify.DI; a required gate fails closed" in fairness.findings[0].message
    broken = Evidence(metrics=(*evidence().metrics, metric("clarify.DI", None, error="Facet set is empty", sex="x")))
    found = judge(broken, pack_for_tier("high"), today=TODAY).failures()[0].findings[0]
    assert "could not be computed (Facet set is empty)" in found.message


def test_a_crashing_gate_is_an_error_that_blocks(monkeypatch) -> None:
    def explode(self, evidence, policy, ctx):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(FairnessGate, "check", explode)
    decision = judge(evidence(), pack_for_tier("high"), today=TODAY)
    assert decision.outcome == "error"
    fairness = next(g for g in decision.gates if g.id == "gate.fairness")
    assert (
        fairness.status == "error"
        and "gate crashed: ZeroDivisionError: division by zero" in fairness.findings[0].message
    )


def test_prohibited_tier_always_fails() -> None:
    decision = judge(evidence(), pack_for_tier("prohibited"), today=TODAY)
    assert decision.outcome == "fail" and decision.failures()[0].id == "gate.prohibited"


def test_waivers_excuse_a_failure_until_they_expire() -> None:
    waiver = Waiver(
        gate="gate.fairness",
        reason="remediation plan RISK-42 approved by the ethics board",
        approver="risk.officer@acme.example",
        expires=date(2026, 12, 31),
    )
    waived = judge(evidence(di_female=0.71), pack_for_tier("high"), waivers=[waiver], today=TODAY)
    assert waived.outcome == "pass"
    fairness = next(g for g in waived.gates if g.id == "gate.fairness")
    assert fairness.status == "waived" and fairness.waiver == waiver and fairness.findings  # the finding stays
    expired = judge(evidence(di_female=0.71), pack_for_tier("high"), waivers=[waiver], today=date(2027, 1, 1))
    assert expired.outcome == "fail"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"gate": "gate.fairness", "reason": "ok"}, "the reason must be at least 20 characters"),
        ({"gate": "gate.happiness", "reason": "a long enough reason for it"}, "unknown gate 'gate.happiness'"),
    ],
)
def test_waivers_are_validated_when_written(fields, message) -> None:
    with pytest.raises(ValidationError, match=message):
        Waiver(approver="risk@acme.example", expires=date(2027, 1, 1), **fields)


def test_documentation_and_lineage_gates_require_their_fields() -> None:
    pack = pack_for_tier("high").model_copy(
        update={
            "gates": {
                **pack_for_tier("high").gates,
                "documentation": GatePolicy(fields=("intended_use", "limitations")),
                "lineage": GatePolicy(fields=("data_version", "code_commit", "training_job")),
            }
        }
    )
    ctx = GateContext(
        risk_tier="high",
        model_card={"intended_use": "credit scoring", "limitations": ""},
        lineage={"data_version": "v3", "code_commit": "abc1234"},
    )
    decision = judge(evidence(), pack, ctx=ctx, today=TODAY)
    failed = {g.id: [f.metric for f in g.findings] for g in decision.failures()}
    assert failed == {"gate.documentation": ["limitations"], "gate.lineage": ["training_job"]}


def test_gates_have_stable_ids_and_principles() -> None:
    assert [g.id for g in GATES] == [
        "gate.prohibited",
        "gate.performance",
        "gate.fairness",
        "gate.explainability",
        "gate.drift",
        "gate.data_quality",
        "gate.documentation",
        "gate.lineage",
    ]
    assert all(
        g.principle.split(":")[0]
        in {
            "Fairness",
            "Robustness",
            "Robustness and safety",
            "Safety",
            "Explainability",
            "Transparency",
            "Accountability",
        }
        for g in GATES
    )


def test_prohibited_is_a_gate_that_no_waiver_excuses() -> None:
    from govhub.core.decision import Waiver

    pack = pack_for_tier("prohibited")
    statuses = {g.id: g.status for g in judge(evidence(), pack_for_tier("high"), today=TODAY).gates}
    assert statuses["gate.prohibited"] == "not_applicable"
    with pytest.raises(ValidationError, match="unknown gate 'gate.prohibited'"):
        Waiver(
            gate="gate.prohibited", reason="we accept the risk for a limited pilot run", approver="erin", expires=TODAY
        )
    decision = judge(evidence(), pack, today=TODAY)
    assert decision.outcome == "fail" and [g.id for g in decision.failures()] == ["gate.prohibited"]


def test_published_schema_is_current_and_decisions_validate_against_it() -> None:
    import jsonschema

    published = json.loads(SCHEMA_PATH.read_text())
    assert published == json.loads(json.dumps(decision_schema())), "regenerate govhub/schemas/decision.schema.json"
    decision = judge(evidence(di_female=0.71), pack_for_tier("high"), today=TODAY)
    jsonschema.validate(json.loads(decision.model_dump_json()), published)
    assert Decision.model_validate_json(decision.model_dump_json()) == decision


def _attributions(scores: dict[str, float], **group: str) -> list[Metric]:
    return [
        Metric(name="explain.mean_abs_attribution", value=v, feature=f, group=group, provenance=PROV)
        for f, v in scores.items()
    ]


def test_explainability_checks_presence_and_top_k_stability() -> None:
    pack = pack_for_tier("high").model_copy(
        update={
            "gates": {
                **pack_for_tier("high").gates,
                "explainability": GatePolicy(required=True, top_k=3, min_top_k_overlap=0.6),
            }
        }
    )
    base = {"income": 0.5, "debt": 0.4, "age": 0.3, "tenure": 0.01, "zip": 0.005}
    stable = Evidence(metrics=(*evidence().metrics, *_attributions(base), *_attributions(base, reference="baseline")))
    assert judge(stable, pack, today=TODAY).outcome == "pass"
    shifted = {"zip": 0.6, "tenure": 0.5, "age": 0.3, "income": 0.01, "debt": 0.0}
    unstable = Evidence(
        metrics=(*evidence().metrics, *_attributions(shifted), *_attributions(base, reference="baseline"))
    )
    (gate,) = judge(unstable, pack, today=TODAY).failures()
    assert gate.id == "gate.explainability"
    assert gate.findings[0].message == (
        "only 33% of the top 3 features match the baseline model's (at least 60% required for risk tier high)"
    )
    missing = judge(evidence(), pack, today=TODAY).failures()[0]
    assert "no global feature attributions" in missing.findings[0].message


def test_an_uncomputable_attribution_fails_the_explainability_gate() -> None:
    pack = pack_for_tier("high").model_copy(
        update={"gates": {**pack_for_tier("high").gates, "explainability": GatePolicy(required=False)}}
    )
    fine = Evidence(metrics=(*evidence().metrics, *_attributions({"income": 0.5, "debt": 0.4})))
    assert judge(fine, pack, today=TODAY).outcome == "pass"
    broken = Metric(
        name="explain.mean_abs_attribution", value=None, error="kernel SHAP timed out", feature="age", provenance=PROV
    )
    (gate,) = judge(Evidence(metrics=(*fine.metrics, broken)), pack, today=TODAY).failures()
    assert gate.id == "gate.explainability"
    assert gate.findings[0].message == (
        "explain.mean_abs_attribution for age could not be computed (kernel SHAP "
        "timed out); missing evidence is never a pass"
    )


def _drift_evidence(bins: float, ks: float | None, psi: float = 0.9) -> Evidence:
    metrics = [Metric(name="drift.psi", value=psi, feature="hours", provenance=PROV),
               Metric(name="drift.psi_bins", value=bins, feature="hours", provenance=PROV)]  # fmt: skip
    if ks is not None:
        metrics.append(Metric(name="drift.ks_statistic", value=ks, feature="hours", provenance=PROV))
    return Evidence(metrics=tuple(metrics))


def test_a_psi_on_too_few_bins_is_set_aside_and_ks_decides() -> None:
    from govhub.core.gates import DriftGate
    from govhub.core.thresholds import Threshold

    policy = GatePolicy(
        min_psi_bins=5,
        thresholds=(Threshold(metric="drift.psi", max=0.25), Threshold(metric="drift.ks_statistic", max=0.2)),
    )
    ctx = GateContext(risk_tier="high")
    calm = DriftGate().run(_drift_evidence(bins=3, ks=0.05), policy, ctx)
    assert calm.status == "pass" and "judged by the KS statistic alone" in calm.notes[0]
    moved = DriftGate().run(_drift_evidence(bins=3, ks=0.5), policy, ctx)
    assert moved.status == "fail" and [f.metric for f in moved.findings] == ["drift.ks_statistic"]
    blind = DriftGate().run(_drift_evidence(bins=3, ks=None, psi=0.01), policy, ctx)
    assert blind.status == "fail" and "the evidence has no KS statistic for it" in blind.findings[-1].message
    no_ks = GatePolicy(min_psi_bins=5, thresholds=(Threshold(metric="drift.psi", max=0.25),))
    assert (
        "the pack sets no KS threshold"
        in DriftGate().run(_drift_evidence(3, 0.01, 0.01), no_ks, ctx).findings[0].message
    )
    enough = DriftGate().run(_drift_evidence(bins=10, ks=0.05), policy, ctx)
    assert enough.status == "fail" and [f.metric for f in enough.findings] == ["drift.psi"] and not enough.notes


def test_small_groups_are_not_judged_on_their_metrics_and_the_gate_says_what_to_do() -> None:
    pack = pack_for_tier("high")
    tiny = Evidence(
        metrics=tuple(m for m in evidence(di_female=0.5).metrics if m.name != "fairness.group_size")
        + (metric("fairness.group_size", 4, sex="female"), metric("fairness.group_size", 1588, sex="male"))
    )
    fairness = next(g for g in judge(tiny, pack, today=TODAY).gates if g.id == "gate.fairness")
    assert fairness.status == "fail"
    assert [f.metric for f in fairness.findings] == ["fairness.group_size"]  # DI 0.5 on 4 rows is not judged
    assert "sex=female has 4 row(s), below the minimum group size 30" in fairness.findings[0].message
    assert "collect at least 30 rows for sex=female and evaluate again" in fairness.findings[0].message
    unsized = Evidence(metrics=tuple(m for m in evidence().metrics if m.name != "fairness.group_size"))
    fairness = next(g for g in judge(unsized, pack, today=TODAY).gates if g.id == "gate.fairness")
    assert fairness.status == "fail" and "cannot be checked" in fairness.findings[0].message


def test_notes_reach_the_report_card_and_export() -> None:
    from govhub.core.model_card import context, render_html
    from govhub.core.report import render_report
    from govhub.core.workflow import render_export_html

    pack = pack_for_tier("high")
    ev = Evidence(metrics=evidence().metrics + _drift_evidence(bins=3, ks=0.05).metrics)
    decision = judge(ev, pack, ctx=GateContext(risk_tier="high", model_card=CARD, lineage=LINEAGE), today=TODAY)
    drift = next(g for g in decision.gates if g.id == "gate.drift")
    assert drift.status == "pass" and "PSI for hours set aside" in drift.notes[0]
    assert "note: PSI for hours set aside" in render_report(decision, ev, pack)
    ctx = context(CARD, decision, ev, model_ref="credit/7")
    assert "note: PSI for hours set aside" in render_html(ctx)
    pack_doc = {"model_version": "credit/7", "registry": {"arn": "a", "approval_status": "x", "metadata": {}},
                "decision": json.loads(decision.model_dump_json()), "evidence_sha256": "e", "policy_publication": [],
                "monitoring_plan": None, "approvals": [], "audit_entries": [],
                "audit_chain": {"ok": True, "entries": 0, "head": 0, "last_hash": "", "problems": []},
                "model_card": ctx}  # fmt: skip
    assert "note: PSI for hours set aside" in render_export_html(pack_doc)


@pytest.mark.parametrize("commit", ["uncommitted", "main", "local-build", "v1.2.3", "abc12"])
def test_high_tier_lineage_needs_a_commit_id(commit: str) -> None:
    from govhub.core.gates import GateContext, LineageGate

    policy = GatePolicy(fields=("data_version", "code_commit", "training_job"))
    lineage = {"data_version": "v3", "code_commit": commit, "training_job": "tj-1"}
    findings = LineageGate().check(Evidence(), policy, GateContext(risk_tier="high", lineage=lineage))
    assert [f.metric for f in findings] == ["code_commit"] and "is not a commit id" in findings[0].message
    assert LineageGate().check(Evidence(), policy, GateContext(risk_tier="limited", lineage=lineage)) == []
    for good in ("abc1234", "0" * 40, "f" * 64):
        ok = {**lineage, "code_commit": good}
        assert LineageGate().check(Evidence(), policy, GateContext(risk_tier="high", lineage=ok)) == []


def mirrored_evidence() -> Evidence:
    """Two groups and one disparity: Clarify reports it from both sides, in DI and DPPL."""
    rates, sizes = {"female": 0.421, "male": 0.634}, {"female": 612, "male": 1588}
    metrics = [metric("roc_auc", 0.81), metric("accuracy", 0.74)]
    for g, other in (("female", "male"), ("male", "female")):
        metrics += [
            metric("clarify.DI", rates[g] / rates[other], sex=g),
            metric("clarify.DPPL", rates[other] - rates[g], sex=g),
            metric("clarify.RD", 0.01, sex=g),
            metric("fairness.group_size", sizes[g], sex=g),
            metric("fairlearn.selection_rate", rates[g], sex=g),
        ]
    metrics.append(metric("fairlearn.equalized_odds_difference", 0.2, sex="*"))
    return Evidence(model={"name": "credit", "version": "8"}, metrics=tuple(metrics))


def _mirrored(positive_outcome: str = "approval") -> Decision:
    ctx = GateContext(risk_tier="high", model_card=CARD, lineage=LINEAGE, positive_outcome=positive_outcome)
    return judge(mirrored_evidence(), pack_for_tier("high"), ctx=ctx, today=TODAY)


def test_one_disparity_is_one_plain_finding_with_the_rates_and_group_sizes_behind_it() -> None:
    decision = _mirrored()
    (fairness,) = decision.failures()
    (finding,) = fairness.findings  # not six mirrored breaches
    assert finding.message.startswith(
        "approval rate 42.1% for sex=female (n=612) vs 63.4% for the rest (n=1,588): clarify.DI 0.664 for "
        "sex=female is below 0.8 required for risk tier high; also "
    )
    for also in ("clarify.DI 1.506 for sex=male (allowed within [0.8, 1.25])", "clarify.DPPL 0.213 for sex=female",
                 "clarify.DPPL -0.213 for sex=male", "fairlearn.equalized_odds_difference 0.2 for sex=*"):  # fmt: skip
        assert also in finding.message, also
    assert (finding.metric, finding.group) == ("clarify.DI", "sex=female")
    assert _mirrored("").failures()[0].findings[0].message.startswith("selection rate 42.1% for sex=female")
    # every value judged is kept, passing ones too, so the report can show them against their bounds
    checks = {(c.metric, c.group): c for g in decision.gates for c in g.checks}
    assert checks[("roc_auc", "all rows")].passed and checks[("roc_auc", "all rows")].value == 0.81
    assert checks[("roc_auc", "all rows")].threshold == ">= 0.7"
    assert not checks[("clarify.DI", "sex=male")].passed and checks[("clarify.RD", "sex=male")].passed
    assert checks[("fairness.group_size", "sex=female")].passed and checks[("intended_use", "")].passed


def test_with_more_than_two_groups_each_disadvantaged_group_is_its_own_finding() -> None:
    rates, sizes = {"a": 0.2, "b": 0.5, "c": 0.62}, {"a": 100, "b": 300, "c": 400}
    metrics = [metric("roc_auc", 0.81), metric("accuracy", 0.74)]
    for g in rates:
        rest = sum(rates[o] * sizes[o] for o in rates if o != g) / sum(sizes[o] for o in rates if o != g)
        metrics += [
            metric("clarify.DI", rates[g] / rest, region=g),
            metric("clarify.DPPL", rest - rates[g], region=g),
            metric("clarify.RD", 0.0, region=g),
            metric("fairness.group_size", sizes[g], region=g),
            metric("fairlearn.selection_rate", rates[g], region=g),
        ]
    metrics.append(metric("fairlearn.equalized_odds_difference", 0.01, region="*"))
    (fairness,) = judge(Evidence(metrics=tuple(metrics)), pack_for_tier("high"), today=TODAY).failures()
    assert [f.group for f in fairness.findings] == ["region=a", "region=c"]
    assert fairness.findings[0].message.startswith(
        "selection rate 20.0% for region=a (n=100) vs 56.9% for the rest (n=700)"
    )


def test_the_high_tier_documentation_gate_requires_the_annex_iv_fields() -> None:
    without = {k: v for k, v in CARD.items() if k not in ("human_oversight", "residual_risks")}
    ctx = GateContext(risk_tier="high", model_card={**without, "log_retention": "TODO"}, lineage=LINEAGE)
    decision = judge(evidence(), pack_for_tier("high"), ctx=ctx, today=TODAY)
    (docs,) = decision.failures()
    assert docs.id == "gate.documentation"
    assert [f.metric for f in docs.findings] == ["human_oversight", "residual_risks", "log_retention"]
    # the limited tier asks for the classic model card only
    assert judge(evidence(), pack_for_tier("limited"), ctx=ctx, today=TODAY).outcome == "pass"
