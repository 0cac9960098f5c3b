"""The adapter contract: the seven names, one shape, the registry (with third-party entry points),
and clear errors for truncated artifacts and unknown format versions: never a pass."""

from __future__ import annotations

import inspect
import json

import pytest

from govhub.adapters import registry
from govhub.adapters.base import Adapter, AdapterError, Artifact
from govhub.core.evidence import Evidence
from tests.helpers import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "provider-formats"
NAMES = (
    "local",
    "sagemaker-clarify",
    "sagemaker-monitor",
    "azure-rai",
    "azure-monitor",
    "vertex-eval",
    "vertex-monitor",
)
SAMPLES = {  # a real artifact per adapter (the local adapter reads our own evidence documents)
    "sagemaker-clarify": FIXTURES / "aws_sdk_testdata" / "model_card_evaluation_metrics_clarify_bias.json",
    "sagemaker-monitor": FIXTURES / "aws_model_monitor_docs" / "bias_drift_constraint_violations.json",
    "azure-monitor": FIXTURES / "azure_monitoring" / "gsq-signal.json",
    "vertex-eval": FIXTURES
    / "vertex"
    / "model_evaluation_classification_metrics__python-aiplatform_tests_unit_constants.json",
}


def test_the_seven_adapters_share_one_shape() -> None:
    assert set(registry.known()) >= set(NAMES)
    for name in NAMES:
        adapter = registry.get(name)
        assert isinstance(adapter, Adapter) and adapter.name == name and adapter.kinds
        assert "config" in inspect.signature(adapter.launch).parameters
        assert inspect.signature(adapter.read).return_annotation in (Evidence, "Evidence")


def test_a_miss_lists_the_known_names_and_third_parties_plug_in(monkeypatch) -> None:
    with pytest.raises(AdapterError) as err:
        registry.get("sagemaker")
    assert all(name in str(err.value) for name in NAMES)

    class EntryPoint:  # what importlib.metadata yields for a third-party package's entry point
        name, value = "acme-eval", "govhub.adapters.local:LocalAdapter"

    monkeypatch.setattr(registry, "entry_points", lambda group: [EntryPoint()] if group == registry.GROUP else [])
    assert "acme-eval" in registry.known() and isinstance(registry.get("acme-eval"), Adapter)

    class Broken:
        name, value = "broken", "no_such_module:Thing"

    monkeypatch.setattr(registry, "entry_points", lambda group: [Broken()])
    with pytest.raises(AdapterError, match="adapter 'broken' .* cannot be loaded"):
        registry.get("broken")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_truncated_artifacts_name_the_file_and_fail(name: str) -> None:
    data = SAMPLES[name].read_bytes()
    with pytest.raises(AdapterError, match=r"x/artifact.json: not valid JSON \(line"):
        registry.get(name).read([Artifact("file:///x/artifact.json", data[: len(data) // 2])])


@pytest.mark.parametrize(
    "name, field, value",
    [
        ("sagemaker-clarify", "version", "2.0"),
        ("sagemaker-monitor", "version", "9.9"),
        ("azure-monitor", "version", "7.0.0"),
        (
            "vertex-eval",
            "metricsSchemaUri",
            "gs://google-cloud-aiplatform/schema/modelevaluation/regression_metrics_1.0.0.yaml",
        ),
    ],
)
def test_unknown_format_versions_are_refused(name: str, field: str, value: str) -> None:
    doc = json.loads(SAMPLES[name].read_text())
    doc[field] = value
    with pytest.raises(AdapterError, match=f"{field} '.*' is not"):
        registry.get(name).read([Artifact("file:///x/artifact.json", json.dumps(doc).encode())])


def test_missing_facets_are_an_error_not_an_empty_pass() -> None:
    doc = {"version": "1.0", "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1"}}
    with pytest.raises(AdapterError, match="post_training_bias_metrics.facets must map"):
        registry.get("sagemaker-clarify").read([Artifact("file:///x/analysis.json", json.dumps(doc).encode())])
