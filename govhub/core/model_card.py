"""Model cards: the data scientist's card source plus the evidence, decision and approvals, rendered
to markdown and HTML (jinja2 templates in ``templates/model_card/``) and to the SageMaker Model Card
content format (the model card JSON schema), which the hub creates through the SageMaker API."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from govhub.core.decision import Decision
from govhub.core.evidence import Evidence
from govhub.numbers import number
from govhub.resources import templates_dir

TEMPLATES = templates_dir("model_card")
RISK_RATING = {"high": "High", "prohibited": "High", "limited": "Medium", "minimal": "Low"}
GROUP_METRICS = ("clarify.DI", "clarify.DPPL", "clarify.RD", "fairlearn.selection_rate", "fairness.group_size")
CARD_NAME_MAX = 63
# The fields EU AI Act Annex IV (technical documentation, Article 11) asks of a high-risk system beyond
# the classic model card; the high-tier pack's documentation gate requires them, and
# `govhub audit export --format annex-iv` places each in the section of Annex IV it answers.
ANNEX_IV_FIELDS: Mapping[str, str] = {
    "deployers": "who operates the system and takes its decisions (Annex IV 1(a), 1(h))",
    "affected_persons": "the persons or groups the system's outputs affect (Annex IV 3)",
    "human_oversight": "the human oversight measures, Article 14 (Annex IV 2(e), 3)",
    "risk_management": "the risk management measures, Article 9 (Annex IV 5)",
    "residual_risks": "foreseeable unintended outcomes and the risks that remain (Annex IV 3)",
    "data_provenance": "where the training, validation and test data come from and how they were selected "
    "and labelled (Annex IV 2(d))",
    "data_representativeness": "how far the data represent the persons the system is used on (Annex IV 2(d), "
    "Article 10(3))",
    "accuracy_robustness": "the accuracy and robustness levels declared, and why the metrics fit (Annex IV 3, 4; "
    "Article 15)",
    "post_market_monitoring": "how performance is followed after deployment, Article 72 (Annex IV 9)",
    "log_retention": "how long the system's logs are kept and where, Articles 12 and 19 (Annex IV 2(g))",
}


MAPPING_FIELDS = ("model", "lineage", "assets")
ERR_CARD_SHAPE = (
    "{source}: a model card must be a mapping of fields (found {found}); start from the project's model_card.yaml"
)
ERR_FIELD_SHAPE = (
    "{source}: field {field!r} must be a mapping of names to values (found {found}); write it as, for example, "
    "{example}"
)
EXAMPLES = {
    "model": "model: {name: credit, version: '7'}",
    "lineage": "lineage: {data_version: v3, code_commit: abc1234, training_job: tj-1}",
    "assets": "assets: {evaluation_report: reports/eval.html}",
}


class CardError(ValueError):
    """A model card whose shape govhub cannot use; the message names the field and the fix."""


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {list: "a list", str: "text", dict: "a mapping"}
    return kinds.get(type(value), type(value).__name__)


def check_card(card: Any, source: str) -> dict[str, Any]:
    """The card as a mapping whose ``model``, ``lineage`` and ``assets`` are flat mappings of scalars."""
    if not isinstance(card, dict):
        raise CardError(ERR_CARD_SHAPE.format(source=source, found=_kind(card)))
    for field in MAPPING_FIELDS:
        value = card.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise CardError(
                ERR_FIELD_SHAPE.format(source=source, field=field, found=_kind(value), example=EXAMPLES[field])
            )
        nested = [k for k, v in value.items() if isinstance(v, (dict, list))]
        if nested:
            raise CardError(
                f"{source}: {field}.{nested[0]} must be a single value, not {_kind(value[nested[0]])}; "
                f"write it as, for example, {EXAMPLES[field]}"
            )
    return card


def _text(card: Mapping[str, Any], key: str) -> str:
    value = card.get(key, "")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _num(value: float | None) -> str:
    return number(value)


def context(
    card: Mapping[str, Any],
    decision: Decision,
    evidence: Evidence,
    *,
    model_ref: str,
    approvals: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    overall = [m for m in evidence.metrics if not m.group and not m.feature and m.value is not None]
    by_group: dict[str, list[dict[str, str]]] = {}
    for m in evidence.metrics:
        if m.name in GROUP_METRICS and m.group:
            by_group.setdefault(m.describe_group(), []).append({"metric": m.name, "value": _num(m.value)})
    from govhub.core.gates import ExplainabilityGate

    current = ExplainabilityGate.attributions(evidence)
    baseline = ExplainabilityGate.attributions(evidence, "baseline")
    return {
        "model_ref": model_ref,
        "name": _text(card.get("model") or {}, "name") or model_ref,
        "annex_iv": {f: _text(card, f) for f in ANNEX_IV_FIELDS},
        "attributions": [
            {"feature": f, "value": _num(v), "baseline": _num(baseline[f]) if f in baseline else "–"}
            for f, v in sorted(current.items(), key=lambda kv: -abs(kv[1]))
        ],
        "intended_use": _text(card, "intended_use"),
        "limitations": _text(card, "limitations"),
        "owners": _text(card, "owners"),
        "training_data": _text(card, "training_data"),
        "evaluation_data": _text(card, "evaluation_data"),
        "ethical_considerations": _text(card, "ethical_considerations"),
        "risk_tier": decision.risk_tier,
        "outcome": decision.outcome,
        "policy": f"{decision.policy.name} {decision.policy.version}",
        "policy_digest": decision.policy.digest,
        "lineage": {k: str(v) for k, v in (card.get("lineage") or {}).items()},
        "metrics": [{"metric": m.name, "value": _num(m.value)} for m in overall],
        "groups": by_group,
        "gates": [
            {
                "id": g.id,
                "status": g.status,
                "findings": [f.message for f in g.findings] + [f"note: {n}" for n in g.notes],
                "checks": [
                    {
                        "metric": c.metric,
                        "group": c.group,
                        "value": _num(c.value) if c.value is not None else "",
                        "threshold": c.threshold,
                        "passed": c.passed,
                    }
                    for c in g.checks
                ],
            }
            for g in decision.gates
        ],
        "approvals": [dict(a) for a in approvals],
    }


def _env() -> Any:
    from govhub.rendering import environment

    return environment("model_card", trim_blocks=True, lstrip_blocks=True)


def render_markdown(ctx: Mapping[str, Any]) -> str:
    return _env().get_template("model_card.md.j2").render(**ctx)


def render_html(ctx: Mapping[str, Any]) -> str:
    return _env().get_template("model_card.html.j2").render(**ctx)


def card_name(model_ref: str) -> str:
    """A SageMaker model card name ([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}) for a version ref."""
    name = "".join(c if c.isalnum() else "-" for c in model_ref.replace("/", "-v")).strip("-")
    while "--" in name:
        name = name.replace("--", "-")
    return name[:CARD_NAME_MAX].rstrip("-")


def sagemaker_content(ctx: Mapping[str, Any], *, model_package_arn: str | None = None) -> dict[str, Any]:
    """The card in SageMaker's model card JSON schema (snake_case sections)."""
    metric_groups = [
        {
            "name": "overall",
            "metric_data": [
                {"name": m["metric"], "type": "number", "value": float(m["value"])}
                for m in ctx["metrics"]
                if m["value"] not in ("n/a", "∞")
            ],
        }
    ]
    for group, values in ctx["groups"].items():
        metric_groups.append(
            {
                "name": group[:63],
                "metric_data": [
                    {"name": v["metric"], "type": "number", "value": float(v["value"])}
                    for v in values
                    if v["value"] not in ("n/a", "∞")
                ],
            }
        )
    content: dict[str, Any] = {
        "model_overview": {
            "model_description": f"{ctx['model_ref']}: {ctx['intended_use']}"[:1024],
            "model_owner": ctx["owners"][:1024],
        },
        "intended_uses": {
            "intended_uses": ctx["intended_use"][:2048],
            "factors_affecting_model_efficiency": ctx["limitations"][:2048],
            "risk_rating": RISK_RATING[ctx["risk_tier"]],
            "explanations_for_risk_rating": f"use case in risk tier {ctx['risk_tier']}; gates under "
            f"policy {ctx['policy']}",
        },
        "training_details": {"training_observations": ctx["training_data"][:1024]},
        "evaluation_details": [
            {
                "name": "govhub gates",
                "evaluation_observation": f"decision {ctx['outcome']} under {ctx['policy']} (digest {ctx['policy_digest'][:12]})",
                "datasets": [ctx["evaluation_data"][:1024]] if ctx["evaluation_data"] else [],
                "metric_groups": [g for g in metric_groups if g["metric_data"]],
            }
        ],
        "additional_information": {
            "ethical_considerations": ctx["ethical_considerations"][:2048],
            "caveats_and_recommendations": ctx["limitations"][:2048],
            "custom_details": {
                **{f"gate_{g['id'].removeprefix('gate.')}": g["status"] for g in ctx["gates"]},
                **{k: v[:1024] for k, v in ctx["lineage"].items()},
            },
        },
    }
    if ctx["lineage"].get("training_job", "").startswith("arn:aws:sagemaker:"):
        content["training_details"]["training_job_details"] = {"training_arn": ctx["lineage"]["training_job"]}
    if model_package_arn:
        content["model_package_details"] = {"model_package_arn": model_package_arn}
    return content


def sagemaker_content_json(ctx: Mapping[str, Any], **kwargs: Any) -> str:
    return json.dumps(sagemaker_content(ctx, **kwargs), sort_keys=True)
