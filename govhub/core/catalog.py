"""The metric catalog: every metric name that evidence may carry, its direction and its exact formula.

Clouds compute "the same" metric in different ways, so each variant is its own entry and an adapter
never relabels one as another. "JS" alone means four different numbers: TFDV/Vertex use the
divergence in log base 2 (capped at 1), Azure the distance (square root of the divergence) in base 2,
Evidently the distance in base e, and Clarify's JS is a divergence in base e over label
distributions. Clarify has no "EOD": its RD is the recall difference TPR_a - TPR_d.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher_is_better", "lower_is_better", "closer_to_one", "closer_to_zero", "informational"]
Category = Literal["performance", "fairness", "drift", "quality", "explainability"]

ERR_UNKNOWN_METRIC = "unknown metric {name!r}; the catalog has: {known}"


class UnknownMetric(LookupError, ValueError):
    """A metric name that is not in the catalog (a ValueError too, so model validation reports it)."""


INF = math.inf
UNIT = (0.0, 1.0)
SIGNED_UNIT = (-1.0, 1.0)
NON_NEGATIVE = (0.0, INF)
ANY = (-INF, INF)
DOMAIN_SLACK = 1e-9  # floating-point rounding at a bound is not a different value
ERR_OUTSIDE = (
    "{name} = {value} is outside its domain {domain}; the tool that produced it is broken or the evidence was "
    "edited: re-run the evaluation or the import"
)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    category: Category
    direction: Direction
    formula: str
    source: str  # the tool whose definition this entry follows

    @property
    def domain(self) -> tuple[float, float]:
        """The values the metric can take, bounds included; an infinite bound admits infinity."""
        return DOMAINS[self.name]

    def describe_domain(self) -> str:
        lo, hi = self.domain
        show = lambda v: "∞" if v == INF else "-∞" if v == -INF else f"{v:g}"  # noqa: E731
        return f"[{show(lo)}, {show(hi)}]"

    def outside(self, value: float) -> str | None:
        """Why ``value`` cannot be this metric's value, or None when it can."""
        lo, hi = self.domain
        if math.isnan(value):
            return f"{self.name} is NaN; record an error instead"
        if math.isinf(value) and value not in (lo, hi):
            return ERR_OUTSIDE.format(name=self.name, value=value, domain=self.describe_domain())
        if value < lo - DOMAIN_SLACK or value > hi + DOMAIN_SLACK:
            return ERR_OUTSIDE.format(name=self.name, value=value, domain=self.describe_domain())
        return None


def _specs(*specs: MetricSpec) -> dict[str, MetricSpec]:
    out: dict[str, MetricSpec] = {}
    for spec in specs:
        if spec.name in out:
            raise ValueError(f"duplicate catalog entry {spec.name}")
        out[spec.name] = spec
    return out


# d = the facet value's group, a = every other row ("the rest"), as in SageMaker Clarify.
CATALOG: Mapping[str, MetricSpec] = _specs(
    # performance (binary classification), scikit-learn definitions
    MetricSpec("accuracy", "performance", "higher_is_better", "(TP+TN)/n", "scikit-learn"),
    MetricSpec("precision", "performance", "higher_is_better", "TP/(TP+FP); 0 when TP+FP=0", "scikit-learn"),
    MetricSpec("recall", "performance", "higher_is_better", "TP/(TP+FN); 0 when TP+FN=0", "scikit-learn"),
    MetricSpec("f1", "performance", "higher_is_better", "2TP/(2TP+FP+FN); 0 when the denominator is 0", "scikit-learn"),
    MetricSpec(
        "roc_auc", "performance", "higher_is_better", "area under the ROC curve (ties averaged)", "scikit-learn"
    ),
    MetricSpec(
        "log_loss",
        "performance",
        "lower_is_better",
        "mean of -(y log p + (1-y) log(1-p)), p clipped to [eps, 1-eps], eps = float64 machine epsilon",
        "scikit-learn",
    ),
    MetricSpec("vertex.au_prc", "performance", "higher_is_better", "Vertex AI auPrc", "Vertex AI"),
    MetricSpec("regression.mae", "performance", "lower_is_better", "mean absolute error", "SageMaker Model Monitor"),
    MetricSpec("regression.mse", "performance", "lower_is_better", "mean squared error", "SageMaker Model Monitor"),
    MetricSpec(
        "regression.rmse", "performance", "lower_is_better", "root mean squared error", "SageMaker Model Monitor"
    ),
    MetricSpec(
        "regression.r2", "performance", "higher_is_better", "coefficient of determination", "SageMaker Model Monitor"
    ),
    # SageMaker Clarify bias metrics (pre-training use labels, post-training use predictions)
    MetricSpec("clarify.CI", "fairness", "closer_to_zero", "(n_a - n_d)/n", "SageMaker Clarify (pre-training)"),
    MetricSpec(
        "clarify.DPL",
        "fairness",
        "closer_to_zero",
        "q_a - q_d, q = positive label rate",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.DI",
        "fairness",
        "closer_to_one",
        "qhat_d / qhat_a, qhat = positive prediction rate; +inf when qhat_a=0<qhat_d, 0 when both are 0",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec("clarify.DPPL", "fairness", "closer_to_zero", "qhat_a - qhat_d", "SageMaker Clarify (post-training)"),
    MetricSpec(
        "clarify.RD",
        "fairness",
        "closer_to_zero",
        "TPR_a - TPR_d (recall difference; aif360's equal opportunity difference is -RD)",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.SD",
        "fairness",
        "closer_to_zero",
        "TNR_d - TNR_a (specificity difference)",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.AD",
        "fairness",
        "closer_to_zero",
        "ACC_a - ACC_d (accuracy difference)",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.JS",
        "fairness",
        "closer_to_zero",
        "Jensen-Shannon divergence, natural log, between the label distributions of d and a",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.KL",
        "fairness",
        "closer_to_zero",
        "Kullback-Leibler divergence, natural log, of the label distribution of d from that of a",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.LP",
        "fairness",
        "closer_to_zero",
        "Lp norm (p=2) between the label distributions of d and a",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.TVD",
        "fairness",
        "closer_to_zero",
        "total variation distance: half the L1 norm between the label distributions of d and a",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.KS",
        "fairness",
        "closer_to_zero",
        "max absolute difference between the label distributions "
        "of d and a (Clarify's pre-training KS; not the drift KS statistic)",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.CDDL",
        "fairness",
        "closer_to_zero",
        "conditional demographic disparity in labels over the group variable's strata",
        "SageMaker Clarify (pre-training)",
    ),
    MetricSpec(
        "clarify.DCA",
        "fairness",
        "closer_to_zero",
        "difference in conditional acceptance: c_a - c_d, c = observed / predicted positive labels",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.DCR",
        "fairness",
        "closer_to_zero",
        "difference in conditional rejection: r_d - r_a, r = observed / predicted negative labels",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.DAR",
        "fairness",
        "closer_to_zero",
        "difference in acceptance rates (precision): precision_a - precision_d",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.DRR",
        "fairness",
        "closer_to_zero",
        "difference in rejection rates: NPV_d - NPV_a",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.TE",
        "fairness",
        "closer_to_zero",
        "treatment equality: FN_d/FP_d - FN_a/FP_a",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.CDDPL",
        "fairness",
        "closer_to_zero",
        "conditional demographic disparity in predicted labels",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.FT",
        "fairness",
        "closer_to_zero",
        "flip test: share of d whose prediction flips when matched to nearest neighbours in a",
        "SageMaker Clarify (post-training)",
    ),
    MetricSpec(
        "clarify.GE",
        "fairness",
        "closer_to_zero",
        "generalized entropy index (alpha=2) of the benefit b = y_hat - y + 1",
        "SageMaker Clarify (post-training)",
    ),
    # fairlearn group metrics
    MetricSpec(
        "fairlearn.selection_rate",
        "fairness",
        "closer_to_zero",
        "share of positive predictions in the "
        "group (reported per group; judged by gates through ratios or differences)",
        "fairlearn",
    ),
    MetricSpec(
        "fairlearn.equalized_odds_difference",
        "fairness",
        "closer_to_zero",
        "max(TPR max-min over groups, FPR max-min over groups)",
        "fairlearn",
    ),
    # data drift computed by the local evaluator (baseline vs current)
    MetricSpec(
        "drift.psi",
        "drift",
        "lower_is_better",
        "sum((c-b) ln(c/b)) over the categories, or for a numeric feature over right-closed bins (-inf, e1], "
        "(e1, e2], ..., (ek, inf) at the baseline's deciles: up to 10 bins, fewer when deciles tie (drift.psi_bins "
        "says how many, and the evidence's variant lists the edges); proportions floored at 1e-4",
        "govhub local",
    ),
    MetricSpec(
        "fairness.group_size",
        "fairness",
        "informational",
        "rows in the group (a facet value of a sensitive attribute); a pack's min_group_size is judged on it",
        "govhub local",
    ),
    MetricSpec(
        "drift.psi_bins",
        "drift",
        "informational",
        "the number of bins numeric PSI used: 10 baseline deciles, fewer when they tie (a tied baseline makes PSI blind)",
        "govhub local",
    ),
    MetricSpec(
        "drift.ks_statistic",
        "drift",
        "lower_is_better",
        "two-sample Kolmogorov-Smirnov D = max|F_b - F_c|",
        "scipy.stats.ks_2samp",
    ),
    MetricSpec(
        "drift.linf",
        "drift",
        "lower_is_better",
        "max |c_i - b_i| over categories, or over the PSI bins for numeric features",
        "govhub local (TFDV definition for categories)",
    ),
    MetricSpec(
        "drift.js_divergence_base2",
        "drift",
        "lower_is_better",
        "JS divergence in log base 2 (= scipy jensenshannon(base=2) squared), in [0, 1]",
        "scipy",
    ),
    # cloud variants of drift distances, kept apart on purpose
    MetricSpec(
        "vertex.js_divergence_base2_capped",
        "drift",
        "lower_is_better",
        "TFDV JS divergence, log base 2, capped at 1",
        "Vertex AI / TFDV",
    ),
    MetricSpec(
        "vertex.linf",
        "drift",
        "lower_is_better",
        "TFDV L-infinity distance between category frequencies",
        "Vertex AI / TFDV",
    ),
    MetricSpec(
        "vertex.distribution_deviation",
        "drift",
        "lower_is_better",
        "Vertex v1 FeatureStatsAnomaly "
        "distribution_deviation: L-infinity for categorical, JS divergence for numerical features (the record "
        "does not say which)",
        "Vertex AI model monitoring v1",
    ),
    MetricSpec(
        "azure.js_distance_base2",
        "drift",
        "lower_is_better",
        "Jensen-Shannon distance (sqrt of the divergence), log base 2",
        "Azure ML monitoring",
    ),
    MetricSpec(
        "evidently.js_distance_base_e", "drift", "lower_is_better", "Jensen-Shannon distance, natural log", "Evidently"
    ),
    MetricSpec(
        "azure.ks_pvalue",
        "drift",
        "higher_is_better",
        "two-sample KS test p-value (a breach is BELOW the threshold)",
        "Azure ML monitoring",
    ),
    MetricSpec(
        "azure.psi",
        "drift",
        "lower_is_better",
        "population stability index as Azure ML monitoring computes it",
        "Azure ML monitoring",
    ),
    MetricSpec(
        "azure.normalized_wasserstein",
        "drift",
        "lower_is_better",
        "Wasserstein distance normalized by the baseline's spread",
        "Azure ML monitoring",
    ),
    MetricSpec("azure.null_value_rate", "quality", "lower_is_better", "share of null values", "Azure ML monitoring"),
    MetricSpec(
        "azure.data_type_error_rate",
        "quality",
        "lower_is_better",
        "share of values of the wrong type",
        "Azure ML monitoring",
    ),
    MetricSpec(
        "azure.out_of_bounds_rate",
        "quality",
        "lower_is_better",
        "share of values outside the baseline's range or categories",
        "Azure ML monitoring",
    ),
    MetricSpec(
        "azure.ndcg",
        "explainability",
        "higher_is_better",
        "normalized discounted cumulative gain of the "
        "feature attribution ranking against the baseline's (a breach is BELOW the threshold)",
        "Azure ML monitoring",
    ),
    MetricSpec(
        "azure.scorecard_fairness_difference",
        "fairness",
        "closer_to_zero",
        "max - min of a metric over the "
        "groups of a sensitive feature (Azure RAI scorecard, fairness_evaluation_kind difference)",
        "Azure ML Responsible AI scorecard",
    ),
    MetricSpec(
        "azure.scorecard_fairness_ratio",
        "fairness",
        "closer_to_one",
        "min / max of a metric over the groups "
        "of a sensitive feature (Azure RAI scorecard, fairness_evaluation_kind ratio)",
        "Azure ML Responsible AI scorecard",
    ),
    MetricSpec(
        "azure.chi_squared_pvalue",
        "drift",
        "higher_is_better",
        "Pearson chi-squared test p-value (a breach is BELOW the threshold)",
        "Azure ML monitoring",
    ),
    # data quality
    MetricSpec(
        "quality.missing_rate", "quality", "lower_is_better", "share of null values in the column", "govhub local"
    ),
    MetricSpec(
        "quality.type_error_rate",
        "quality",
        "lower_is_better",
        "share of non-null values that do not parse as the baseline column's type",
        "govhub local",
    ),
    # monitoring results
    MetricSpec(
        "monitor.constraint_violation",
        "quality",
        "lower_is_better",
        "one violation of a baseline constraint "
        "reported by a monitoring run (value 1 per violation; group names the check type)",
        "SageMaker Model Monitor",
    ),
    MetricSpec(
        "monitor.attribution_ndcg",
        "explainability",
        "higher_is_better",
        "nDCG of the current feature attribution ranking against the baseline's (a breach is BELOW the threshold)",
        "SageMaker Model Monitor (Clarify feature attribution drift)",
    ),
    # explainability
    MetricSpec(
        "explain.mean_abs_attribution",
        "explainability",
        "higher_is_better",
        "global feature importance: mean |attribution| per feature",
        "SHAP / Clarify kernel_shap / Azure RAI",
    ),
    MetricSpec(
        "explain.expected_value",
        "explainability",
        "informational",
        "SHAP expected value: the model's mean prediction over the SHAP baseline",
        "SHAP / Clarify kernel_shap",
    ),
)


# Every entry's domain. Differences of rates lie in [-1, 1]; ratios of rates (DI) and divergences that
# divide by a rate (KL, PSI, TE) reach infinity; p-values, rates, normalized distances lie in [0, 1].
DOMAINS: Mapping[str, tuple[float, float]] = {
    **dict.fromkeys(("accuracy", "precision", "recall", "f1", "roc_auc", "vertex.au_prc"), UNIT),
    "log_loss": NON_NEGATIVE,
    **dict.fromkeys(("regression.mae", "regression.mse", "regression.rmse"), NON_NEGATIVE),
    "regression.r2": (-INF, 1.0),
    **dict.fromkeys(
        (
            "clarify.CI",
            "clarify.DPL",
            "clarify.DPPL",
            "clarify.RD",
            "clarify.SD",
            "clarify.AD",
            "clarify.DAR",
            "clarify.DRR",
            "clarify.CDDL",
            "clarify.CDDPL",
            "clarify.FT",
        ),
        SIGNED_UNIT,
    ),  # fmt: skip
    "clarify.DI": NON_NEGATIVE,
    **dict.fromkeys(("clarify.DCA", "clarify.DCR", "clarify.TE"), ANY),
    "clarify.JS": (0.0, math.log(2)),
    "clarify.KL": NON_NEGATIVE,
    "clarify.LP": (0.0, math.sqrt(2)),
    **dict.fromkeys(("clarify.TVD", "clarify.KS"), UNIT),
    "clarify.GE": NON_NEGATIVE,
    **dict.fromkeys(("fairlearn.selection_rate", "fairlearn.equalized_odds_difference"), UNIT),
    **dict.fromkeys(("drift.psi", "azure.psi", "azure.normalized_wasserstein"), NON_NEGATIVE),
    "drift.psi_bins": (1.0, INF),
    "fairness.group_size": NON_NEGATIVE,
    **dict.fromkeys(
        (
            "drift.ks_statistic",
            "drift.linf",
            "drift.js_divergence_base2",
            "vertex.js_divergence_base2_capped",
            "vertex.linf",
            "vertex.distribution_deviation",
            "azure.js_distance_base2",
            "azure.ks_pvalue",
            "azure.chi_squared_pvalue",
            "azure.null_value_rate",
            "azure.data_type_error_rate",
            "azure.out_of_bounds_rate",
            "azure.ndcg",
            "quality.missing_rate",
            "quality.type_error_rate",
            "monitor.attribution_ndcg",
        ),
        UNIT,
    ),  # fmt: skip
    "evidently.js_distance_base_e": (0.0, math.sqrt(math.log(2))),
    "azure.scorecard_fairness_difference": NON_NEGATIVE,
    "azure.scorecard_fairness_ratio": UNIT,
    "monitor.constraint_violation": NON_NEGATIVE,
    "explain.mean_abs_attribution": NON_NEGATIVE,
    "explain.expected_value": ANY,
}
_undeclared = sorted(set(CATALOG) ^ set(DOMAINS))
if _undeclared:
    raise ValueError(f"catalog entries and domains differ: {_undeclared}")


def spec(name: str) -> MetricSpec:
    try:
        return CATALOG[name]
    except KeyError:
        lowered = {n.lower(): n for n in CATALOG}
        close = (
            [lowered[name.lower()]]
            if name.lower() in lowered
            else [lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n=3)]
        )
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UnknownMetric(ERR_UNKNOWN_METRIC.format(name=name, known=", ".join(sorted(CATALOG))) + hint) from None
