"""Evidence documents and the metric catalog."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from govhub.core.catalog import CATALOG, UnknownMetric, spec
from govhub.core.evidence import Evidence, Metric, Provenance, merge, sha256_of

PROV = Provenance(
    artifact_uri="file:///tmp/predictions.parquet",
    artifact_sha256="0" * 64,
    tool="govhub-local",
    tool_version="0.1.0",
    variant="clarify",
)


def test_cloud_variants_are_distinct_catalog_entries() -> None:
    for name in ("clarify.DI", "clarify.DPPL", "clarify.DPL", "clarify.CI", "clarify.RD", "clarify.AD", "clarify.SD"):
        assert CATALOG[name].category == "fairness"
    js = {n for n in CATALOG if "js_" in n or n.endswith(".JS")}
    assert js == {
        "drift.js_divergence_base2",
        "vertex.js_divergence_base2_capped",
        "azure.js_distance_base2",
        "evidently.js_distance_base_e",
        "clarify.JS",
    }
    assert CATALOG["clarify.DI"].direction == "closer_to_one"
    assert CATALOG["azure.ks_pvalue"].direction == "higher_is_better"  # a breach is below the threshold
    assert "TPR_a - TPR_d" in CATALOG["clarify.RD"].formula


def test_unknown_metric_lists_the_catalog_and_suggests() -> None:
    with pytest.raises(UnknownMetric, match=r"unknown metric 'clarify\.EOD'.*the catalog has: accuracy"):
        spec("clarify.EOD")
    with pytest.raises(ValidationError, match="did you mean clarify.DI"):
        Metric(name="clarify.Di", value=1.0, provenance=PROV)


def test_missing_values_must_carry_an_error_and_nan_is_refused() -> None:
    with pytest.raises(ValidationError, match="no value and no error"):
        Metric(name="clarify.DI", value=None, provenance=PROV)
    with pytest.raises(ValidationError, match="is NaN"):
        Metric(name="clarify.DI", value=float("nan"), provenance=PROV)
    kept = Metric(name="clarify.DI", value=None, error="Facet set is empty", group={"sex": "x"}, provenance=PROV)
    assert kept.error == "Facet set is empty"


def test_evidence_round_trips_infinity_and_groups(tmp_path) -> None:
    evidence = merge(
        [
            Metric(name="clarify.DI", value=math.inf, group={"sex": "female"}, provenance=PROV),
            Metric(name="drift.psi", value=0.02, feature="age", provenance=PROV),
        ],
        model={"name": "credit", "version": "3"},
    )
    text = evidence.to_json()
    assert '"Infinity"' in text
    again = Evidence.from_json(text)
    assert again == evidence
    (di,) = again.find("clarify.DI", sex="female")
    assert di.value == math.inf and di.describe_group() == "sex=female"
    path = tmp_path / "e.json"
    path.write_text(text)
    assert len(sha256_of(path)) == 64
