"""Baseline profiles: each baseline feature sorted once, at training time, and kept.

Drift needs the baseline's whole distribution (KS compares every value; PSI takes the baseline's
deciles). Sorting the baseline again at every evaluation is most of drift's cost, so ``govhub profile``
sorts each feature once and stores it as a **profile**:

- a numeric feature: its sorted distinct values and how often each occurs (missing values counted
  apart), one parquet file per feature: ``values`` (float64, increasing) and ``counts`` (int64);
- any other feature: its value counts, in the manifest.

``manifest.json`` names the source table (path and sha256), each feature's kind, counts and file with
its sha256. The profile's folder is named by the manifest's own sha256, so a profile is addressed by
its digest, like every other hub artifact; reading one checks the manifest against the folder name and
each file against the manifest, and refuses an edited profile. Drift from a profile equals drift from
the baseline table exactly: the sorted baseline is rebuilt from its distinct values and counts
(``np.repeat``, which costs far less than sorting), and the same kernels run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from govhub.evaluator.tables import Columns, EvaluationInputError

FORMAT = "govhub-baseline-profile/1"


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def is_numeric(series: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def build_profile(baseline: str | Path, out: str | Path, features: tuple[str, ...] = ()) -> Path:
    """Profile ``baseline`` into ``out/<sha256>/``; returns that folder."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from govhub.core.evidence import sha256_of

    table = Columns(baseline)
    features = features or tuple(table.names)
    table.require(features)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".profile-", dir=out))
    entries: dict[str, dict[str, Any]] = {}
    for index, feature in enumerate(features):
        column = table[feature]
        missing = int(column.isna().sum())
        if is_numeric(column):
            ordered = np.sort(column.to_numpy(dtype=np.float64))[: len(column) - missing]
            starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
            counts = np.diff(np.append(starts, len(ordered)))
            name = f"numeric-{index:04d}.parquet"
            pq.write_table(pa.table({"values": ordered[starts], "counts": counts.astype(np.int64)}), work / name)
            entries[feature] = {"kind": "numeric", "rows": int(len(ordered)), "missing": missing, "file": name,
                                "sha256": sha256_of(work / name)}  # fmt: skip
        else:
            from govhub.evaluator.metrics import tally

            counted = tally(column.dropna())
            entries[feature] = {"kind": "categorical", "rows": int(sum(counted.values())), "missing": missing,
                                "counts": [[_plain(v), int(n)] for v, n in counted.items()]}  # fmt: skip
    manifest = {
        "format": FORMAT,
        "source": {"uri": Path(baseline).resolve().as_uri(), "sha256": sha256_of(Path(baseline))},
        "features": entries,
        "order": list(features),  # the table's column order (the keys above are sorted)
    }
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    (work / "manifest.json").write_bytes(data)
    final = out / _sha256(data)
    if final.exists():
        import shutil

        shutil.rmtree(work)  # the same profile again: same digest, same content
    else:
        work.rename(final)
    return final


def _plain(value: Any) -> Any:
    """A JSON value for a category (numpy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Profile:
    folder: Path
    digest: str
    manifest: dict[str, Any]

    @classmethod
    def load(cls, folder: str | Path) -> Profile:
        folder = Path(folder)
        path = folder / "manifest.json"
        if not path.is_file():
            raise EvaluationInputError(
                f"{folder}: not a baseline profile (no manifest.json); make one with `govhub profile BASELINE`"
            )
        data = path.read_bytes()
        digest = _sha256(data)
        if folder.name != digest:
            raise EvaluationInputError(
                f"{path}: its sha256 is {digest[:12]}…, but the profile folder is named {folder.name[:12]}…; the "
                "profile was changed after it was made: make it again with `govhub profile BASELINE`"
            )
        manifest = json.loads(data)
        if manifest.get("format") != FORMAT:
            raise EvaluationInputError(f"{path}: format {manifest.get('format')!r} is not {FORMAT}")
        return cls(folder, digest, manifest)

    @property
    def names(self) -> list[str]:
        return list(self.manifest["order"])

    def require(self, features: tuple[str, ...] | list[str]) -> None:
        for feature in features:
            if feature not in self.manifest["features"]:
                raise EvaluationInputError(
                    f"{self.folder}: the profile has no feature {feature!r}; it has: {', '.join(self.names)}"
                )

    def kind(self, feature: str) -> str:
        return str(self.manifest["features"][feature]["kind"])

    def sorted_values(self, feature: str) -> np.ndarray:
        """The feature's non-missing baseline values, sorted (rebuilt from distinct values and counts)."""
        import pyarrow.parquet as pq

        from govhub.core.evidence import sha256_of

        entry = self.manifest["features"][feature]
        path = self.folder / entry["file"]
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            raise EvaluationInputError(
                f"{path}: missing or changed since the profile was made (sha256 differs from the manifest); make "
                "the profile again with `govhub profile BASELINE`"
            )
        table = pq.read_table(path)
        values = table.column("values").to_numpy()
        return np.repeat(values, table.column("counts").to_numpy())

    def counts(self, feature: str) -> dict:
        return {value: n for value, n in self.manifest["features"][feature]["counts"]}
