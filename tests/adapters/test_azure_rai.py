"""Azure ML Responsible AI adapter: the gathered dashboard and the scorecard config into evidence;
the RAI pipeline (components from the azureml registry by name and version) submitted through
azure-ai-ml's real MLClient against a fake ARM transport.

No public repository holds a captured ``ux_json/dashboard.json``; the dashboards here are built in
the test with the field names of responsibleai's published RAIInsightsData interface
(``dataset.true_y/predicted_y/probability_y/features/feature_names/class_names``,
``modelExplanationData[].precomputedExplanations.globalFeatureImportance.scores``). The scorecard
configs and component specs are the published files in tests/fixtures/provider-formats/azure_rai.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from govhub.adapters.base import AdapterError, Artifact, fetch
from govhub.adapters.registry import get
from tests.helpers import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "provider-formats" / "azure_rai"
SPECS = {
    "insight_constructor": "component_insight_create_spec.yaml",
    "explanation": "component_explanation_spec.yaml",
    "erroranalysis": "component_error_analysis_spec.yaml",
    "insight_gather": "component_insight_gather_spec.yaml",
    "score_card": "component_score_card_spec.yaml",
}


def dashboard(n: int = 300, seed: int = 5) -> tuple[bytes, dict]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    age = rng.integers(18, 80, n)
    y = rng.integers(0, 2, n)
    p = np.clip(0.3 * y + 0.5 * rng.random(n) + np.where(sex == "female", -0.1, 0.1), 0, 1)
    pred = (p >= 0.5).astype(int)
    classes = ["good", "bad"]
    doc = {
        "dataset": {
            "task_type": "classification",
            "true_y": [classes[v] for v in y],
            "predicted_y": [classes[v] for v in pred],
            "probability_y": [[1 - v, v] for v in p.tolist()],
            "features": [[a, s] for a, s in zip(age.tolist(), sex.tolist(), strict=False)],
            "feature_names": ["age", "sex"],
            "categorical_features": ["sex"],
            "class_names": classes,
            "target_column": "default",
        },
        "modelExplanationData": [
            {
                "modelClass": "blackbox",
                "explanationMethod": "mimic",
                "precomputedExplanations": {
                    "globalFeatureImportance": {"scores": [0.21, 0.07], "featureNames": ["age", "sex"]}
                },
            }
        ],
    }
    return json.dumps(doc).encode(), {"y": y, "pred": pred, "p": p, "sex": sex}


def scorecard(kind: str = "difference") -> bytes:
    doc = json.loads((FIXTURES / "scorecard_classification_from_docs.json").read_text())
    doc["Fairness"]["sensitive_features"] = ["sex"]
    doc["Fairness"]["fairness_evaluation_kind"] = kind
    return json.dumps(doc).encode()


def test_dashboard_metrics_equal_scikit_learn_and_fairlearn_on_the_same_predictions() -> None:
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score, roc_auc_score

    data, truth = dashboard()
    ev = get("azure-rai").read(
        [
            Artifact("azureml://jobs/rai/outputs/ux_json/dashboard.json", data),
            Artifact("file:///cfg/scorecard.json", scorecard("difference")),
        ]
    )
    values = {m.name: m.value for m in ev.metrics if not m.group and not m.feature}
    assert values["accuracy"] == pytest.approx(accuracy_score(truth["y"], truth["pred"]), abs=1e-12)
    assert values["roc_auc"] == pytest.approx(roc_auc_score(truth["y"], truth["p"]), abs=1e-12)
    frame = MetricFrame(
        metrics={"accuracy_score": accuracy_score, "selection_rate": selection_rate},
        y_true=truth["y"],
        y_pred=truth["pred"],
        sensitive_features=truth["sex"],
    )
    diffs = {m.group["metric"]: m.value for m in ev.find("azure.scorecard_fairness_difference")}
    assert diffs["accuracy_score"] == pytest.approx(frame.difference()["accuracy_score"], abs=1e-12)
    assert diffs["selection_rate"] == pytest.approx(frame.difference()["selection_rate"], abs=1e-12)
    ratio_ev = get("azure-rai").read([Artifact("x/dashboard.json", data), Artifact("x/cfg.json", scorecard("ratio"))])
    ratios = {m.group["metric"]: m.value for m in ratio_ev.find("azure.scorecard_fairness_ratio")}
    assert ratios["selection_rate"] == pytest.approx(frame.ratio()["selection_rate"], abs=1e-12)
    (di_female,) = ev.find("clarify.DI", sex="female")
    rate = lambda mask: truth["pred"][mask].mean()  # noqa: E731
    assert di_female.value == pytest.approx(rate(truth["sex"] == "female") / rate(truth["sex"] == "male"), abs=1e-12)
    # the scorecard's own threshold (accuracy >= 0.85) is judged too
    (check,) = ev.find("monitor.constraint_violation", metric="accuracy_score")
    assert check.value == (0.0 if values["accuracy"] >= 0.85 else 1.0)
    importance = {m.feature: m.value for m in ev.find("explain.mean_abs_attribution")}
    assert importance == {"age": 0.21, "sex": 0.07}


def test_the_docs_placeholder_evaluation_kind_is_refused_with_the_fix() -> None:
    data, _ = dashboard()
    with pytest.raises(AdapterError, match="fairness_evaluation_kind is 'difference OR ratio'; use exactly one of"):
        get("azure-rai").read(
            [Artifact("x/dashboard.json", data), fetch(str(FIXTURES / "scorecard_classification_from_docs.json"))]
        )


def test_a_regression_scorecard_metric_is_an_explicit_error() -> None:
    data, _ = dashboard()
    ev = get("azure-rai").read([Artifact("x/dashboard.json", data), fetch(str(FIXTURES / "pdf_gen.json"))])
    (check,) = ev.find("monitor.constraint_violation", metric="mean_absolute_error")
    assert check.value is None and "not computable" in check.error


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["dataset"].pop("true_y"), "dataset.true_y is missing"),
        (lambda d: d["dataset"].update(class_names=[], true_y=[3] * len(d["dataset"]["true_y"])), "need a binary task"),
        (
            lambda d: d["modelExplanationData"][0]["precomputedExplanations"]["globalFeatureImportance"].update(
                scores=[1.0]
            ),
            "1 scores for 2 features",
        ),
    ],
)
def test_malformed_dashboards_get_one_clear_message(mutate, message) -> None:
    doc = json.loads(dashboard()[0])
    mutate(doc)
    with pytest.raises(AdapterError, match=message):
        get("azure-rai").read([Artifact("x/dashboard.json", json.dumps(doc).encode())])


@pytest.mark.parametrize("naming, prefix", [("current", "rai_tabular_"), ("legacy", "microsoft_azureml_rai_tabular_")])
def test_launch_submits_the_rai_pipeline_with_registry_components(naming: str, prefix: str) -> None:
    from azure.ai.ml import load_component

    from tools.fakes.azure_arm import WS_PATH, FakeArm, ml_client, serve_workspace

    fetched: list[tuple[str, str]] = []

    class RegistryComponents:  # the azureml registry, at the client boundary: the published specs
        def get(self, name: str, version: str):
            fetched.append((name, version))
            spec = FIXTURES / SPECS[name.removeprefix("microsoft_azureml_").removeprefix("rai_tabular_")]
            component = load_component(
                source=spec, params_override=[{"code": f"azureml://registries/azureml/codes/{name}/versions/{version}"}]
            )
            component._id = f"azureml://registries/azureml/components/{name}/versions/{version}"
            return component

    registry = type("Registry", (), {"components": RegistryComponents()})()
    arm = FakeArm()
    serve_workspace(arm)
    done = get("azure-rai").launch(
        {
            "experiment": "credit-rai",
            "compute": "cpu-cluster",
            "model": "credit:7",
            "train_data": "azureml:credit-train:1",
            "test_data": "azureml:credit-test:1",
            "target_column": "default",
            "categorical_columns": ["sex"],
            "naming": naming,
            "scorecard_config": "azureml://datastores/workspaceblobstore/paths/scorecard.json",
        },
        ml_client=ml_client(arm),
        registry_client=registry,
    )
    assert {n for n, _ in fetched} == {prefix + c for c in SPECS} and {v for _, v in fetched} == {"0.22.0"}
    method, path, body = arm.requests[-1]
    assert method == "PUT" and path.startswith(f"{WS_PATH}/jobs/") and path.endswith(done["job"])
    jobs = body["properties"]["jobs"]
    assert {j["componentId"] for j in jobs.values()} == {
        f"azureml://registries/azureml/components/{prefix}{c}/versions/0.22.0" for c in SPECS
    }
    gather = next(j for j in jobs.values() if "insight_gather" in j["componentId"])
    assert gather["inputs"]["insight_1"]["value"].endswith(".outputs.explanation}}")
    create = next(j for j in jobs.values() if "insight_constructor" in j["componentId"])
    assert create["inputs"]["categorical_column_names"]["value"] == '["sex"]'
    assert body["properties"]["experimentName"] == "credit-rai"
    # the submitted body is a valid pipeline job for the SDK's own REST model and entity classes
    from azure.ai.ml._restclient.arm_ml_service.models import JobBase
    from azure.ai.ml.entities import PipelineJob

    entity = PipelineJob._from_rest_object(JobBase(body))
    assert set(entity.jobs) == set(jobs)


def test_a_dashboard_written_by_responsibleai_itself() -> None:
    """tests/fixtures/rai/dashboard.json comes from responsibleai 0.36.0 (see its generator)."""
    from fairlearn.metrics import MetricFrame, selection_rate
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    path = FIXTURE_ROOT / "rai" / "dashboard.json"
    doc = json.loads(path.read_text())
    config = json.loads((FIXTURES / "scorecard_classification_from_docs.json").read_text())
    config["Fairness"].update(sensitive_features=["sex"], fairness_evaluation_kind="ratio")
    ev = get("azure-rai").read([fetch(str(path)), Artifact("file:///cfg/scorecard.json", json.dumps(config).encode())])
    data = doc["dataset"]
    y, pred, proba = np.array(data["true_y"]), np.array(data["predicted_y"]), np.array(data["probability_y"])[:, 1]
    values = {m.name: m.value for m in ev.metrics if not m.group and not m.feature}
    assert values["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    assert values["roc_auc"] == pytest.approx(roc_auc_score(y, proba), abs=1e-12)
    assert values["log_loss"] == pytest.approx(log_loss(y, proba), abs=1e-12)
    sex = np.array([row[data["feature_names"].index("sex")] for row in data["features"]])
    frame = MetricFrame(metrics={"selection_rate": selection_rate}, y_true=y, y_pred=pred, sensitive_features=sex)
    (ratio,) = ev.find("azure.scorecard_fairness_ratio", metric="selection_rate")
    assert ratio.value == pytest.approx(frame.ratio()["selection_rate"], abs=1e-12)
    importance = {m.feature: m.value for m in ev.find("explain.mean_abs_attribution")}
    global_ = doc["modelExplanationData"][0]["precomputedExplanations"]["globalFeatureImportance"]
    assert importance == {f: abs(v) for f, v in zip(global_["feature_list"], global_["scores"], strict=False)}
