"""What a reader needs next to the numbers: what each metric means in plain words (the glossary the
reports link to), and what to do after a gate fails (typical mitigations, the command to re-run, how
to ask for a waiver). The formulas and sources themselves stay in the catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from govhub.core.catalog import CATALOG, SIGNED_UNIT

# Plain meanings of the metrics the default packs judge and the reports draw. A metric missing here
# is still explained by its catalog formula.
MEANING: Mapping[str, str] = {
    "roc_auc": "How well the scores rank positives above negatives: 0.5 is a coin toss, 1.0 is perfect.",
    "accuracy": "The share of predictions that are right, at the decision threshold.",
    "precision": "Of the cases predicted positive, the share that really are.",
    "recall": "Of the real positives, the share the model finds.",
    "clarify.DI": "Disparate impact: the group's positive-prediction rate divided by the rest's. 1.0 is parity; "
    "the four-fifths rule asks for at least 0.8.",
    "clarify.DPPL": "Difference in positive proportions in predicted labels: the rest's positive-prediction rate "
    "minus the group's. 0 is parity; positive means the group is selected less often.",
    "clarify.RD": "Recall difference: the rest's true-positive rate minus the group's. Positive means the "
    "model misses more of the group's real positives.",
    "fairlearn.equalized_odds_difference": "The larger of the gaps in true-positive and false-positive rates "
    "between the best- and worst-treated groups. 0 means equal error rates.",
    "fairlearn.selection_rate": "The share of the group that the model predicts positive (approved, selected).",
    "fairness.group_size": "Rows in the group. Metrics on very few rows are noise, so packs set a minimum.",
    "drift.psi": "Population stability index between the baseline and current data of a feature, over the "
    "baseline's deciles: below 0.1 is stable, above 0.25 a large shift.",
    "drift.ks_statistic": "Kolmogorov-Smirnov statistic: the largest gap between the baseline's and the current "
    "data's cumulative distributions of a feature (0 to 1).",
    "quality.missing_rate": "The share of rows where the feature is missing.",
    "quality.type_error_rate": "The share of rows where the feature has a value of the wrong type.",
    "explain.mean_abs_attribution": "Global importance of a feature: the mean absolute SHAP attribution over "
    "the evaluation rows.",
    "top_k_overlap": "The share of the model's k most important features that are also among the baseline "
    "model's k most important.",
}


@dataclass(frozen=True)
class Term:
    name: str
    meaning: str
    formula: str
    source: str
    signed: bool  # the value has a sign that matters (differences of rates)


def glossary(names: Iterable[str]) -> list[Term]:
    """The glossary entries for ``names`` (catalog metrics, field names are skipped), in first-seen order."""
    out: list[Term] = []
    for name in dict.fromkeys(names):
        spec = CATALOG.get(name)
        if spec is None and name not in MEANING:
            continue
        out.append(
            Term(
                name=name,
                meaning=MEANING.get(name, spec.formula if spec else ""),
                formula=spec.formula if spec else "",
                source=spec.source if spec else "govhub",
                signed=bool(spec and spec.domain == SIGNED_UNIT),
            )
        )
    return out


# What usually fixes a failed gate, in the order a team would try it.
MITIGATIONS: Mapping[str, tuple[str, ...]] = {
    "gate.fairness": (
        "Look for proxies of the protected attribute among the features (postcode, first name, employment gaps) "
        "and drop or transform them.",
        "Reweight or resample the training data so that each group's outcomes are represented "
        "(fairlearn's CorrelationRemover, aif360's Reweighing).",
        "Train with a fairness constraint (fairlearn's ExponentiatedGradient with DemographicParity or "
        "EqualizedOdds), or post-process the thresholds (ThresholdOptimizer) where the law allows it.",
        "If a group is small, collect more rows for it before judging.",
    ),
    "gate.performance": (
        "Compare with a simple baseline model and check the labels for errors and leakage.",
        "Revisit features and hyper-parameters; evaluate on a held-out set from the same period as production.",
    ),
    "gate.drift": (
        "Find which features moved and why (a pipeline change, a new population, seasonality).",
        "Retrain on recent data and refresh the baseline, or fix the upstream pipeline.",
    ),
    "gate.data_quality": (
        "Fix missing or malformed values at the source, or impute them in the pipeline and say so in the card.",
        "Add a schema check to the data pipeline so that bad rows are caught before training.",
    ),
    "gate.explainability": (
        "Compute SHAP attributions for the model and the baseline model and include them in the evidence.",
        "If the most important features changed, explain why in the model card or investigate a leak.",
    ),
    "gate.documentation": (
        "Fill in every model card field the finding names; placeholders such as TODO do not count.",
        "Link the evaluation report under assets.",
    ),
    "gate.lineage": (
        "Commit the code and train from the commit; record the data version and the training job id in lineage.",
    ),
    "gate.prohibited": ("A prohibited use case cannot be deployed; talk to the risk and compliance team.",),
}


def next_steps(failed: Iterable[str], model_ref: str = "") -> dict[str, object]:
    """For the failed gates: their typical mitigations, the command to judge again, and how to ask the
    approvers for a waiver (answered by ``govhub waiver grant``)."""
    failed = list(failed)
    ref = model_ref or "GROUP/VERSION"
    waivable = [g for g in failed if g != "gate.prohibited"]
    return {
        "mitigations": {g: MITIGATIONS.get(g, ()) for g in failed},
        "rerun": "python -m <package>.evaluate (in the project), or govhub evaluate with the same inputs, then "
        "govhub submit: the hub judges the new evidence itself",
        "waiver": [
            f'govhub waiver request {ref} --gate {g} --reason "why it is acceptable for now and what will fix it" '
            "--expires YYYY-MM-DD"
            for g in waivable
        ],
    }
