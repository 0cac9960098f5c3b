"""The local evaluator's kernels agree with the reference implementations to 1e-9."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from govhub.evaluator import metrics as m

TOL = 1e-9
SEEDS = [0, 1, 7, 42]


def dataset(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c", "rare"], size=n, p=[0.5, 0.3, 0.19, 0.01])
    y = rng.integers(0, 2, size=n)
    bias = np.where(group == "b", -0.15, 0.0)
    score = np.clip(0.35 * y + 0.4 * rng.random(n) + 0.1 + bias, 0, 1)
    score = np.round(score, 2)  # ties, as real scores have
    return pd.DataFrame({"group": group, "y": y, "score": score, "pred": (score >= 0.5).astype(int)})


def close(ours: float, ref: float) -> bool:
    if math.isinf(ours) or math.isinf(ref):
        return ours == ref
    return abs(ours - ref) <= TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_clarify_metrics_match_smclarify(seed: int) -> None:
    from smclarify.bias.metrics import posttraining, pretraining

    df = dataset(seed)
    counts = m.GroupCounts.compute(df["group"].to_numpy(), df["y"].to_numpy(), df["pred"].to_numpy())
    feature = df["group"].astype(object)  # smclarify under pandas 3 needs object dtype
    label, pred = df["y"] == 1, df["pred"] == 1
    for i, value in enumerate(counts.values):
        facet = feature == value
        ours = m.clarify_metrics(*counts.facet(i))
        reference = {
            "clarify.CI": pretraining.CI(feature, facet),
            "clarify.DPL": pretraining.DPL(feature, facet, label),
            "clarify.DI": posttraining.DI(feature, facet, pred),
            "clarify.DPPL": posttraining.DPPL(feature, facet, pred),
            "clarify.RD": posttraining.RD(feature, facet, label, pred),
            "clarify.SD": posttraining.SD(feature, facet, label, pred),
            "clarify.AD": posttraining.AD(feature, facet, label, pred),
        }
        for name, ref in reference.items():
            assert close(ours[name], ref), (seed, value, name, ours[name], ref)


def test_clarify_edge_cases_match_smclarify() -> None:
    from smclarify.bias.metrics import posttraining

    # Nobody outside the facet gets a positive prediction: DI is +infinity, as Clarify reports it.
    df = pd.DataFrame({"g": ["d", "d", "a", "a"], "y": [1, 0, 1, 0], "pred": [1, 0, 0, 0]})
    counts = m.GroupCounts.compute(df["g"].to_numpy(), df["y"].to_numpy(), df["pred"].to_numpy())
    i = counts.values.index("d")
    ours = m.clarify_metrics(*counts.facet(i))
    ref = posttraining.DI(df["g"].astype(object), df["g"] == "d", df["pred"] == 1)
    assert ours["clarify.DI"] == ref == math.inf
    with pytest.raises(ValueError, match="negated facet set is empty"):
        m.clarify_metrics(*m.GroupCounts.compute(np.array(["x", "x"]), np.array([1, 0]), np.array([1, 1])).facet(0))


@pytest.mark.parametrize("seed", SEEDS)
def test_group_metrics_match_fairlearn(seed: int) -> None:
    from fairlearn.metrics import MetricFrame, equalized_odds_difference, selection_rate

    df = dataset(seed)
    counts = m.GroupCounts.compute(df["group"].to_numpy(), df["y"].to_numpy(), df["pred"].to_numpy())
    frame = MetricFrame(metrics=selection_rate, y_true=df["y"], y_pred=df["pred"], sensitive_features=df["group"])
    ours = dict(zip(counts.values, m.selection_rates(counts), strict=False))
    for value, ref in frame.by_group.items():
        assert close(ours[str(value)], ref), (value, ours[str(value)], ref)
    ref_eod = equalized_odds_difference(df["y"], df["pred"], sensitive_features=df["group"])
    assert close(m.equalized_odds_difference(counts), ref_eod)


@pytest.mark.parametrize("seed", SEEDS)
def test_performance_matches_scikit_learn(seed: int) -> None:
    from sklearn import metrics as sk

    df = dataset(seed)
    y, pred, score = df["y"].to_numpy(), df["pred"].to_numpy(), df["score"].to_numpy()
    ours = m.performance(y, pred, score)
    reference = {
        "accuracy": sk.accuracy_score(y, pred),
        "precision": sk.precision_score(y, pred),
        "recall": sk.recall_score(y, pred),
        "f1": sk.f1_score(y, pred),
        "roc_auc": sk.roc_auc_score(y, score),
        "log_loss": sk.log_loss(y, score),
    }
    for name, ref in reference.items():
        assert close(ours[name], ref), (name, ours[name], ref)


def test_zero_division_follows_scikit_learn() -> None:
    from sklearn import metrics as sk

    y, pred = np.array([1, 0, 1, 0]), np.array([0, 0, 0, 0])
    ours = m.performance(y, pred, None)
    assert ours["precision"] == sk.precision_score(y, pred, zero_division=0) == 0.0
    assert ours["f1"] == sk.f1_score(y, pred, zero_division=0) == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_drift_matches_scipy(seed: int) -> None:
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(seed)
    base, cur = rng.normal(0, 1, 5000), rng.normal(0.2, 1.1, 4000)
    base[::97] = np.nan
    ours = m.numeric_drift(base, cur)
    assert close(ours["drift.ks_statistic"], ks_2samp(base[~np.isnan(base)], cur).statistic)
    cats_b = rng.choice(["x", "y", "z"], size=3000, p=[0.6, 0.3, 0.1])
    cats_c = rng.choice(["x", "y", "z", "new"], size=2000, p=[0.4, 0.3, 0.2, 0.1])
    ours_c = m.categorical_drift(cats_b, cats_c)
    labels = ["new", "x", "y", "z"]
    p = np.array([np.mean(cats_b == k) for k in labels])
    q = np.array([np.mean(cats_c == k) for k in labels])
    assert close(ours_c["drift.js_divergence_base2"], jensenshannon(p, q, base=2) ** 2)
    assert close(ours_c["drift.linf"], np.max(np.abs(p - q)))


def test_psi_of_identical_distributions_is_zero_and_grows_with_shift() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(0, 1, 20000)
    same = m.numeric_drift(base, base.copy())
    assert same["drift.psi"] == 0.0 and same["drift.ks_statistic"] == 0.0
    small = m.numeric_drift(base, rng.normal(0.1, 1, 20000))["drift.psi"]
    large = m.numeric_drift(base, rng.normal(1.0, 1, 20000))["drift.psi"]
    assert 0 < small < 0.1 < large


def test_quantile_edges_match_numpy_and_ks_handles_ties() -> None:
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(9)
    base = np.sort(rng.normal(0, 1, 10001))
    expected = np.unique(np.quantile(base, np.linspace(0, 1, 11)[1:-1]))
    assert np.max(np.abs(m.quantile_bins(base) - expected)) <= TOL
    tied_b, tied_c = rng.integers(0, 5, 3000).astype(float), rng.integers(1, 6, 2000).astype(float)
    assert close(m.ks_statistic(tied_b, tied_c), ks_2samp(tied_b, tied_c).statistic)


def hours_per_week(rng: np.random.Generator, n: int) -> np.ndarray:
    """Like UCI Adult's hours-per-week: almost half the people work exactly 40 hours."""
    spread = rng.choice([20, 24, 30, 35, 38, 45, 48, 50, 55, 60, 70], size=n)
    return np.where(rng.random(n) < 0.47, 40, spread).astype(float)


@pytest.mark.parametrize("shape", ["shifted", "same", "ties", "discrete"])
def test_the_bounded_ks_search_on_large_samples_matches_scipy_and_the_full_scan(shape: str) -> None:
    """Above 4 x KS_BLOCKS values a sample, KS scans only the blocks that can hold the largest gap."""
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(7)
    n = 4 * m.KS_BLOCKS + 12_345
    b, c = {
        "shifted": lambda: (rng.normal(0, 1, n), rng.normal(0.05, 1, n + 777)),
        "same": lambda: (rng.normal(0, 1, n), rng.normal(0, 1, n + 3)),
        "ties": lambda: (np.round(rng.normal(0, 1, n), 2), np.round(rng.normal(0, 1.02, n + 99), 2)),
        "discrete": lambda: (rng.integers(0, 5, n).astype(float), rng.integers(0, 6, n + 1).astype(float)),
    }[shape]()
    b, c = np.sort(b), np.sort(c)
    full = m._ks_gap(b, c, 0, 0, len(b), len(c)) / (len(b) * len(c))
    assert m.ks_statistic(b, c, presorted=True) == full  # the same exact ratio
    assert close(full, ks_2samp(b, c, method="asymp").statistic)


def test_psi_sees_a_shift_away_from_a_tied_edge_and_records_its_bins() -> None:
    rng = np.random.default_rng(12)
    base = hours_per_week(rng, 20000)
    current = np.where(base == 40, 46.0, base)  # everyone at 40 hours now works 46
    edges: list[float] = []
    drift = m.numeric_drift(base, current, edges_out=edges)
    assert edges == sorted(set(edges)) and len(edges) < 9  # the deciles tie at 40
    assert drift["drift.psi_bins"] == len(edges) + 1
    # right-closed bins keep the 40s apart from the 46s (4.8 here); left-closed bins [40, 48) gave 0.0
    assert drift["drift.psi"] > 1.0
    same = m.numeric_drift(base, base.copy())
    assert same["drift.psi"] == 0.0


def test_right_closed_bins_match_pandas_cut() -> None:
    import pandas as pd

    rng = np.random.default_rng(5)
    base, cur = np.sort(hours_per_week(rng, 5000)), np.sort(rng.normal(42, 9, 4000))
    edges = m.quantile_bins(base)
    binned = pd.cut(pd.Series(cur), [-np.inf, *edges, np.inf], right=True)
    expected = binned.value_counts(sort=False).to_numpy() / len(cur)
    assert np.max(np.abs(m.binned_proportions(cur, edges) - expected)) <= TOL
