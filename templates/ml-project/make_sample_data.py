"""Writes the bundled sample dataset of the ml-project template (seeded; re-running gives the same file).

A synthetic consumer-credit table: the label (default within 12 months) depends on income, debt ratio,
years employed and region, and NOT on sex, which is kept as the sensitive attribute the gates check.

    python templates/ml-project/make_sample_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "{{cookiecutter.project_slug}}" / "data" / "sample.csv"


def main() -> None:
    rng = np.random.default_rng(20261128)
    n = 4000
    age = rng.integers(19, 76, n)
    income = np.round(rng.lognormal(3.6, 0.35, n), 1)  # thousands per year
    debt_ratio = np.round(np.clip(rng.beta(2, 5, n), 0, 1), 3)
    years_employed = np.clip(np.round(rng.gamma(2.0, 3.0, n)), 0, age - 18).astype(int)
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.3, 0.25, 0.25, 0.2])
    sex = rng.choice(["female", "male"], n, p=[0.48, 0.52])
    logit = (
        -0.045 * (income - 37)
        + 4.2 * (debt_ratio - 0.28)
        - 0.12 * (years_employed - 6)
        + np.select([region == "south", region == "west"], [0.35, -0.25], 0.0)
        + rng.normal(0, 0.8, n)
    )
    default = (logit > 0.4).astype(int)
    frame = pd.DataFrame(
        {
            "age": age,
            "income": income,
            "debt_ratio": debt_ratio,
            "years_employed": years_employed,
            "region": region,
            "sex": sex,
            "default": default,
        }
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT, index=False)
    print(f"wrote {OUT}: {n} rows, default rate {default.mean():.3f}")


if __name__ == "__main__":
    main()
