"""The local evaluator's metric kernels: numpy, single pass over each column.

Every formula follows a reference implementation exactly (the tests hold each number to 1e-9):
SageMaker Clarify's bias metrics as smclarify computes them, fairlearn's group metrics,
scikit-learn's performance metrics, and scipy's KS statistic and Jensen-Shannon distance.

Group metrics come from one ``np.bincount`` of (group, label, prediction) codes: a 4-cell confusion
matrix per group, from which every Clarify and fairlearn number is arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INFINITY = float("inf")
PSI_FLOOR = 1e-4
PSI_BINS = 10


def divide(a: float, b: float) -> float:
    """Clarify's division: 0/0 is 0, x/0 is +-infinity."""
    if b == 0:
        if a == 0:
            return 0.0
        return -INFINITY if a < 0 else INFINITY
    return a / b


# ----------------------------------------------------------------------------- group confusion


@dataclass(frozen=True)
class GroupCounts:
    """Confusion counts per group: columns TN, FP, FN, TP (label, prediction in {0, 1})."""

    values: tuple[str, ...]
    counts: np.ndarray  # shape (groups, 4), int64

    @classmethod
    def compute(cls, groups: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> GroupCounts:
        codes, values = factorize(groups)
        index = codes.astype(np.int64) * 4 + y_true.astype(np.int64) * 2 + y_pred.astype(np.int64)
        counts = np.bincount(index, minlength=len(values) * 4).reshape(len(values), 4)
        return cls(tuple(str(v) for v in values), counts)

    def facet(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(counts of facet value i, counts of every other row)."""
        d = self.counts[i]
        return d, self.counts.sum(axis=0) - d


def factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and sorted distinct values, by hashing (much faster than sorting strings). Takes
    numpy arrays or pandas Series; a Series of Arrow-backed strings is encoded without Python objects."""
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=True)
    if (codes < 0).any():
        raise ValueError("missing values in a group column; fill or drop them first")
    return codes, np.asarray(uniques)


def clarify_metrics(d: np.ndarray, a: np.ndarray) -> dict[str, float]:
    """Clarify's CI, DPL, DI, DPPL, RD, SD and AD for facet group d against the rest a.

    Raises ValueError when either side is empty, as smclarify does."""
    tn_d, fp_d, fn_d, tp_d = (int(x) for x in d)
    tn_a, fp_a, fn_a, tp_a = (int(x) for x in a)
    n_d, n_a = tn_d + fp_d + fn_d + tp_d, tn_a + fp_a + fn_a + tp_a
    if n_d == 0:
        raise ValueError("facet set is empty")
    if n_a == 0:
        raise ValueError("negated facet set is empty (every row has this facet value)")
    q_d, q_a = (fn_d + tp_d) / n_d, (fn_a + tp_a) / n_a
    qhat_d, qhat_a = (fp_d + tp_d) / n_d, (fp_a + tp_a) / n_a
    rec_d, rec_a = divide(tp_d, tp_d + fn_d), divide(tp_a, tp_a + fn_a)
    sp_d, sp_a = divide(tn_d, tn_d + fp_d), divide(tn_a, tn_a + fp_a)
    acc_d, acc_a = divide(tp_d + tn_d, n_d), divide(tp_a + tn_a, n_a)
    return {
        "clarify.CI": float(n_a - n_d) / (n_a + n_d),
        "clarify.DPL": q_a - q_d,
        "clarify.DI": divide(qhat_d, qhat_a),
        "clarify.DPPL": qhat_a - qhat_d,
        "clarify.RD": 0.0 if rec_a == rec_d == INFINITY else rec_a - rec_d,
        "clarify.SD": 0.0 if sp_a == sp_d == INFINITY else sp_d - sp_a,
        "clarify.AD": 0.0 if acc_a == acc_d == INFINITY else acc_a - acc_d,
    }


def selection_rates(g: GroupCounts) -> np.ndarray:
    n = g.counts.sum(axis=1)
    return np.divide(g.counts[:, 1] + g.counts[:, 3], n, out=np.zeros(len(n)), where=n > 0)


def equalized_odds_difference(g: GroupCounts) -> float:
    """fairlearn's worst case: the larger of the TPR and FPR spreads between groups."""
    tn, fp, fn, tp = (g.counts[:, i].astype(float) for i in range(4))
    tpr = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    fpr = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=(fp + tn) > 0)
    return float(max(tpr.max() - tpr.min(), fpr.max() - fpr.min()))


# ----------------------------------------------------------------------------- performance


def performance(y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None) -> dict[str, float]:
    y_true = y_true.astype(np.int64)
    y_pred = y_pred.astype(np.int64)
    tn, fp, fn, tp = (int(x) for x in np.bincount(y_true * 2 + y_pred, minlength=4))
    out = confusion_metrics(tn, fp, fn, tp)
    if y_score is not None:
        out["roc_auc"] = roc_auc(y_true, y_score)
        out["log_loss"] = log_loss(y_true, y_score)
    return out


def confusion_metrics(tn: int, fp: int, fn: int, tp: int) -> dict[str, float]:
    """Accuracy, precision, recall and F1 from the confusion counts (scikit-learn's zero_division=0)."""
    n = tn + fp + fn + tp
    return {
        "accuracy": (tp + tn) / n,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0,
    }


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """The ROC area as the Mann-Whitney statistic with tied scores counted half (equal to
    scikit-learn's trapezoid area): for each positive, the negatives scored below it plus half the
    negatives scored the same. Sorting each class once and binary-searching the positives in the
    negatives is cheaper than ranking the pooled scores, and the count is exact integer arithmetic."""
    positive = y_true == 1
    pos, neg = np.sort(y_score[positive]), np.sort(y_score[~positive])
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("ROC AUC needs both classes in y_true")
    below = int(np.searchsorted(neg, pos, side="left").sum())
    below_or_tied = int(np.searchsorted(neg, pos, side="right").sum())
    return (below + below_or_tied) / (2 * len(pos) * len(neg))


def log_loss(y_true: np.ndarray, y_score: np.ndarray) -> float:
    eps = np.finfo(np.float64).eps
    p = np.clip(y_score.astype(np.float64), eps, 1 - eps)
    return float(-np.mean(np.where(y_true == 1, np.log(p), np.log1p(-p))))


# ----------------------------------------------------------------------------- drift


KS_BLOCKS = 1 << 16
"""Blocks per sample for the bounded KS search; below about 4 values a block the direct scan is used."""


def ks_statistic(baseline: np.ndarray, current: np.ndarray, *, presorted: bool = False) -> float:
    """Two-sample KS D = max |F_b - F_c| over the pooled values, as scipy.stats.ks_2samp computes it.

    Both empirical CDFs (right-continuous) are evaluated at every value of both samples, as scipy
    does, but without sorting the pooled sample: a sample's own CDF at its sorted values is its rank
    (plus ties), the other sample's CDF comes from one binary search of already sorted keys. On large
    samples the pooled values are cut into blocks at every k-th value of each sample; the gap is computed
    exactly at every block edge, each block's largest possible gap is bounded from its edges' counts,
    and only the blocks whose bound exceeds the largest gap found are scanned value by value. The
    result is the same exact integer ratio as the full scan."""
    b = baseline if presorted else np.sort(baseline)
    c = current if presorted else np.sort(current)
    nb, nc = len(b), len(c)
    if min(nb, nc) < 4 * KS_BLOCKS:
        return float(_ks_gap(b, c, 0, 0, nb, nc) / (nb * nc))
    # block edges: every k-th value of each sample and both maxima (so the last block ends at the top)
    edges = np.unique(np.concatenate((b[:: nb // KS_BLOCKS], c[:: nc // KS_BLOCKS], b[-1:], c[-1:])))
    at_b = np.searchsorted(b, edges, side="right")  # nb * F_b at each edge, exactly
    at_c = np.searchsorted(c, edges, side="right")
    best = int(np.abs(at_b * nc - at_c * nb).max())
    lo_b, lo_c = np.concatenate(([0], at_b[:-1])), np.concatenate(([0], at_c[:-1]))
    # inside block (edge[j-1], edge[j]] the counts rise from lo to at: the gap is at most these extremes
    bound = np.maximum(np.abs(at_b * nc - lo_c * nb), np.abs(at_c * nb - lo_b * nc))
    for j in np.argsort(bound)[::-1]:
        if bound[j] <= best:
            break
        gap = _ks_gap(b[lo_b[j] : at_b[j]], c[lo_c[j] : at_c[j]], int(lo_b[j]), int(lo_c[j]), nb, nc)
        best = max(best, gap)
    return float(best / (nb * nc))


def _ks_gap(b: np.ndarray, c: np.ndarray, below_b: int, below_c: int, nb: int, nc: int) -> int:
    """max |nc * count_b(<= x) - nb * count_c(<= x)| over the values x of the sorted slices ``b`` and ``c``,
    where ``below_b`` and ``below_c`` values of each sample lie below both slices (an exact integer)."""
    if len(b) == 0 and len(c) == 0:
        return 0
    gap_at_b = (_right_ranks(b) + below_b) * nc
    gap_at_b -= (np.searchsorted(c, b, side="right") + below_c) * nb
    gap_at_c = (np.searchsorted(b, c, side="right") + below_b) * nc
    gap_at_c -= (_right_ranks(c) + below_c) * nb
    return int(max(np.abs(gap_at_b).max(initial=0), np.abs(gap_at_c).max(initial=0)))


def _right_ranks(sorted_values: np.ndarray) -> np.ndarray:
    """For each element of a sorted array, how many elements are <= it (searchsorted side='right' on
    itself); without ties that is just 1..n."""
    if len(sorted_values) < 2 or bool(np.all(sorted_values[1:] != sorted_values[:-1])):
        return np.arange(1, len(sorted_values) + 1)
    return np.searchsorted(sorted_values, sorted_values, side="right")


def quantile_bins(sorted_baseline: np.ndarray, bins: int = PSI_BINS) -> np.ndarray:
    """Bin edges at the baseline's deciles, interpolated linearly as numpy.quantile does (read directly
    from the already sorted values instead of partitioning them again)."""
    position = np.linspace(0, 1, bins + 1)[1:-1] * (len(sorted_baseline) - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, len(sorted_baseline) - 1)
    weight = position - low
    edges = sorted_baseline[low] + (sorted_baseline[high] - sorted_baseline[low]) * weight
    return np.unique(edges)


def binned_proportions(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values in each right-closed bin (-inf, e1], (e1, e2], ..., (ek, inf), from positions in
    sorted data. Right-closed, as pandas.cut: a value tied at an edge stays in the bin below it, so a
    baseline massed at one value (40 hours a week) still shows a shift away from it."""
    cuts = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(np.concatenate(([0], cuts, [len(sorted_values)]))) / len(sorted_values)


def psi(b: np.ndarray, c: np.ndarray, floor: float = PSI_FLOOR) -> float:
    b, c = np.maximum(b, floor), np.maximum(c, floor)
    return float(np.sum((c - b) * np.log(c / b)))


def js_divergence_base2(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits: scipy's jensenshannon(p, q, base=2) squared."""
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p > 0, p * np.log(p / m), 0.0)
        right = np.where(q > 0, q * np.log(q / m), 0.0)
    return float(np.sum(left + right) / 2 / np.log(2))


def numeric_drift(
    baseline: np.ndarray, current: np.ndarray, edges_out: list[float] | None = None, *, baseline_sorted: bool = False
) -> dict[str, float]:
    """PSI (right-closed decile bins), the number of bins it used, KS and L-infinity; ``edges_out``
    receives the bin edges, so the evidence can record them. ``baseline_sorted``: the baseline is
    already sorted without missing values (from a baseline profile), so only the current sample is sorted."""
    # np.sort puts NaN last, so missing values are dropped by slicing after one sort per side.
    if not baseline_sorted:
        baseline = np.sort(baseline)[: np.count_nonzero(~np.isnan(baseline))]
    current = np.sort(current)[: np.count_nonzero(~np.isnan(current))]
    if len(baseline) == 0 or len(current) == 0:
        raise ValueError("no non-missing values to compare")
    edges = quantile_bins(baseline)
    if edges_out is not None:
        edges_out.extend(float(e) for e in edges)
    b, c = binned_proportions(baseline, edges), binned_proportions(current, edges)
    return {
        "drift.psi": psi(b, c),
        "drift.psi_bins": float(len(edges) + 1),
        "drift.ks_statistic": ks_statistic(baseline, current, presorted=True),
        "drift.linf": float(np.max(np.abs(c - b))),
    }


def categorical_drift(baseline, current) -> dict[str, float]:
    """Drift between two categorical samples (numpy arrays or pandas Series, missing values removed).
    Counted per distinct value by hashing (a Categorical by its codes), so no pooled copy is made."""
    return categorical_drift_of_counts(*(tally(side) for side in (baseline, current)))


def tally(values) -> dict:
    """How often each distinct value occurs (missing values left out), counted by hashing."""
    import pandas as pd

    counted = pd.Series(values).value_counts(sort=False)
    return {v: n for v, n in zip(counted.index.tolist(), counted.to_numpy().tolist(), strict=True) if n}


def categorical_drift_of_counts(*tallies: dict) -> dict[str, float]:
    """:func:`categorical_drift` from the two samples' value counts (a baseline profile keeps them)."""
    values = {v for tally in tallies for v, n in tally.items() if n}
    try:
        categories = sorted(values)
    except TypeError:  # values of mixed types: any fixed order gives the same sums
        categories = sorted(values, key=lambda v: (type(v).__name__, str(v)))
    b = np.array([tallies[0].get(v, 0) for v in categories], dtype=float)
    c = np.array([tallies[1].get(v, 0) for v in categories], dtype=float)
    if b.sum() == 0 or c.sum() == 0:
        raise ValueError("no non-missing values to compare")
    b, c = b / b.sum(), c / c.sum()
    return {
        "drift.psi": psi(b, c),
        "drift.linf": float(np.max(np.abs(c - b))),
        "drift.js_divergence_base2": js_divergence_base2(b, c),
    }
