"""The bundled sample data: a synthetic consumer-credit table (see data/README in the hub's template)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample.csv"
LABEL = "default"
SENSITIVE = ("sex",)
NUMERIC = ("age", "income", "debt_ratio", "years_employed")
CATEGORICAL = ("region",)


def load(path: Path = SAMPLE) -> pd.DataFrame:
    return pd.read_csv(path)


def split(frame: pd.DataFrame, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """70/30 split, seeded: the training part is also the drift baseline, the rest the holdout."""
    test = frame.sample(frac=0.3, random_state=seed)
    return frame.drop(test.index), test
