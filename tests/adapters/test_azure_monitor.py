"""Azure ML model monitoring adapter: the signal table and signal JSON into evidence with Azure's
breach directions; a MonitorSchedule created through azure-ai-ml's real MLClient against a fake ARM
at the HTTP transport (tests/fakes/azure_arm.py)."""

from __future__ import annotations

import pytest

from govhub.adapters.base import AdapterError, Artifact, fetch
from govhub.adapters.registry import get
from tests.helpers import FIXTURES as FIXTURE_ROOT
from tools.fakes.azure_arm import WS_PATH, FakeArm, ml_client, serve_workspace

FIXTURES = FIXTURE_ROOT / "provider-formats" / "azure_monitoring"


def breaches(ev) -> dict[tuple[str, str], float | None]:
    return {(m.group["metric"], m.group.get("group", "")): m.value for m in ev.find("monitor.constraint_violation")}


def test_signal_json_pass_rates_below_threshold_are_breaches() -> None:
    ev = get("azure-monitor").read([fetch(str(FIXTURES / "gsq-signal.json"))])
    found = breaches(ev)
    assert found[("AggregatedRelevancePassRate", "")] == 1.0  # 0.77 < 0.9
    assert found[("AggregatedFluencyPassRate", "")] == 0.0  # 0.92 >= 0.9
    assert found[("AverageCoherenceScore", "")] == 1.0  # 4.45 < 4.5
    assert all(m.group["signal"] == "gsq-signal" for m in ev.metrics)
    # per-instance score counts are informational (their threshold is a score level, not a bound)
    assert not any(k[0].startswith("Acceptable") for k in found)


def test_signal_table_is_read_with_the_same_rules() -> None:
    ev = get("azure-monitor").read([fetch(str(FIXTURES / "signal_output.csv"))])
    found = breaches(ev)
    assert found == {("AggregatedFluencyPassRate", ""): 0.0, ("AggregatedCoherencePassRate", ""): 0.0}


def test_drift_and_quality_values_keep_their_catalog_entries_and_directions() -> None:
    table = (
        "group,metric_value,metric_name,threshold_value\n"
        "age,0.31,JensenShannonDistance,0.1\n"
        "age,0.004,TwoSampleKolmogorovSmirnovTest,0.05\n"
        "region,0.62,PearsonsChiSquaredTest,0.05\n"
        "income,0.02,NullValueRate,0.05\n"
        ",0.95,NormalizedDiscountedCumulativeGain,0.9\n"
    )
    ev = get("azure-monitor").read([Artifact("azureml://signals/data-drift/signal_metrics.csv", table.encode())])
    assert {m.feature: m.value for m in ev.find("azure.js_distance_base2")} == {"age": 0.31}
    assert {m.feature: m.value for m in ev.find("azure.ks_pvalue")} == {"age": 0.004}
    found = breaches(ev)
    assert found[("JensenShannonDistance", "age")] == 1.0  # a distance above its threshold
    assert found[("TwoSampleKolmogorovSmirnovTest", "age")] == 1.0  # a p-value BELOW its threshold
    assert found[("PearsonsChiSquaredTest", "region")] == 0.0
    assert found[("NullValueRate", "income")] == 0.0
    assert found[("NormalizedDiscountedCumulativeGain", "")] == 0.0


def test_unknown_metrics_and_bad_tables_are_explicit() -> None:
    ev = get("azure-monitor").read(
        [Artifact("x/signal_metrics.csv", b"group,metric_value,metric_name,threshold_value\n,3,MysteryScore,1\n")]
    )
    (m,) = ev.metrics
    assert m.value is None and "no known breach direction" in m.error
    with pytest.raises(AdapterError, match="needs columns group, metric_value, metric_name, threshold_value"):
        get("azure-monitor").read([Artifact("x/signal_metrics.csv", b"a,b\n1,2\n")])
    with pytest.raises(AdapterError, match="reads signal_metrics.csv"):
        get("azure-monitor").read([Artifact("x/other.json", b'{"hello": 1}')])


def test_launch_creates_a_monitor_schedule_through_the_real_client() -> None:
    arm = FakeArm()
    serve_workspace(arm)
    done = get("azure-monitor").launch(
        {
            "name": "credit-monitor",
            "deployment": "azureml:credit:blue",
            "reference_data": "azureml:credit-train:1",
            "drift_js_distance": 0.15,
            "feature_attribution": True,
            "alert_emails": ["fraud-leads@acme.example"],
        },
        ml_client=ml_client(arm),
    )
    assert done == {
        "schedule": "credit-monitor",
        "signals": ["data-drift", "data-quality", "feature-attribution-drift", "prediction-drift"],
    }
    method, path, body = arm.requests[-1]
    assert (method, path) == ("PUT", f"{WS_PATH}/schedules/credit-monitor")
    action = body["properties"]["action"]
    assert action["actionType"] == "CreateMonitor"
    signals = action["monitorDefinition"]["signals"]
    assert {s["signalType"] for s in signals.values()} == {
        "DataDrift",
        "PredictionDrift",
        "DataQuality",
        "FeatureAttributionDrift",
    }
    drift = signals["data-drift"]
    assert drift["mode"] == "Enabled"
    assert drift["referenceData"]["uri"].endswith("/data/credit-train/versions/1")
    assert drift["productionData"]["uri"].endswith("/data/credit-blue-model_inputs/versions/1")
    assert {t["threshold"]["value"] for t in drift["metricThresholds"]} == {0.15}
    assert body["properties"]["trigger"]["frequency"].lower() == "day"
    target = action["monitorDefinition"]["monitoringTarget"]
    assert target["deploymentId"] == f"{WS_PATH}/onlineEndpoints/credit/deployments/blue"
    # the submitted body is a valid schedule for the SDK's own REST model and entity classes
    from azure.ai.ml._restclient.arm_ml_service.models import Schedule as RestSchedule
    from azure.ai.ml.entities import DataDriftSignal, MonitorSchedule

    entity = MonitorSchedule._from_rest_object(RestSchedule(body))
    assert entity.trigger.frequency.lower() == "day"  # (the name travels in the URL, not the body)
    assert isinstance(entity.create_monitor.monitoring_signals["data-drift"], DataDriftSignal)


def test_launch_config_errors_name_the_field() -> None:
    with pytest.raises(AdapterError) as err:
        get("azure-monitor").launch({"name": "x", "deployment": "credit/blue"}, ml_client=object())
    assert "deployment: does not have the expected form" in str(err.value)
    assert "reference_data: is required and missing" in str(err.value)


def test_azure_js_distance_is_the_square_root_of_the_local_js_divergence() -> None:
    """The documented variant difference: Azure reports the JS *distance* (base 2), the local evaluator
    the *divergence* (base 2). A signal row computed with scipy reads back as exactly the root of ours."""
    import numpy as np
    from scipy.spatial.distance import jensenshannon

    from govhub.evaluator import metrics as kernels

    rng = np.random.default_rng(4)
    base = rng.choice(["a", "b", "c"], 5000, p=[0.5, 0.3, 0.2])
    cur = rng.choice(["a", "b", "c"], 5000, p=[0.35, 0.35, 0.3])
    ours = kernels.categorical_drift(base, cur)["drift.js_divergence_base2"]
    p = np.array([(base == v).mean() for v in "abc"])
    q = np.array([(cur == v).mean() for v in "abc"])
    distance = float(jensenshannon(p, q, base=2))
    table = f"group,metric_value,metric_name,threshold_value\nregion,{distance!r},JensenShannonDistance,0.1\n"
    ev = get("azure-monitor").read([Artifact("x/signal_metrics.csv", table.encode())])
    (azure,) = ev.find("azure.js_distance_base2")
    assert azure.value == pytest.approx(ours**0.5, abs=1e-12)
