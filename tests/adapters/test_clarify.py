"""SageMaker Clarify adapter: read analysis.json into evidence; launch through the SDK onto moto."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from govhub.adapters.base import AdapterError, Artifact, fetch
from govhub.adapters.registry import get
from govhub.core.decision import decide
from govhub.core.gates import GateContext
from govhub.core.policy import pack_for_tier
from tests.helpers import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "provider-formats"
BIAS = FIXTURES / "aws_sdk_testdata" / "model_card_evaluation_metrics_clarify_bias.json"
DATA_BIAS = FIXTURES / "aws_sdk_testdata" / "pipeline_clarify_check_step_data_bias_bad_cases_analysis.json"
SHAP = FIXTURES / "aws_sdk_testdata" / "model_card_evaluation_metrics_clarify_explanability.json"
PUBLISHED_CONFIG = FIXTURES / "aws_clarify" / "bias_analysis_config.json"


def read(*docs: tuple[str, bytes]):
    return get("sagemaker-clarify").read([Artifact(uri, data) for uri, data in docs])


def test_reads_pre_and_post_training_metrics_per_facet_value() -> None:
    ev = get("sagemaker-clarify").read([fetch(str(BIAS))])
    ad = {m.group["Gender"]: m.value for m in ev.find("clarify.AD")}
    assert ad == {"0": -0.11415724421435, "1": -0.1141572442143538}
    (cddl,) = ev.find("clarify.CDDL")
    assert cddl.value == 0.21491590864936 and cddl.group == {"Gender": "0"}
    assert "pre-training" in cddl.provenance.variant and "label Target=1" in cddl.provenance.variant
    assert cddl.provenance.artifact_sha256 == fetch(str(BIAS)).sha256 and cddl.provenance.tool == "sagemaker-clarify"


def test_every_pre_training_metric_keeps_its_own_catalog_entry() -> None:
    ev = get("sagemaker-clarify").read([fetch(str(DATA_BIAS))])
    names = sorted(m.name for m in ev.metrics)
    assert names == [
        "clarify.CDDL",
        "clarify.CI",
        "clarify.DPL",
        "clarify.JS",
        "clarify.KL",
        "clarify.KS",
        "clarify.LP",
        "clarify.TVD",
    ]
    (ks,) = ev.find("clarify.KS")
    assert ks.value == pytest.approx(7.906602254496e-06) and ks.group == {"F1": "(0.5, 0.9936148802477393]"}


def test_shap_global_values_and_expected_value_per_label() -> None:
    ev = get("sagemaker-clarify").read([fetch(str(SHAP))])
    attributions = {(m.group["label"], m.feature): m.value for m in ev.find("explain.mean_abs_attribution")}
    assert attributions[("label0", "Country")] == 0.04632862084382646
    assert attributions[("label1", "Education-Num")] == 0.037243930827630646
    assert len(attributions) == 13
    assert {m.group["label"]: m.value for m in ev.find("explain.expected_value")} == {
        "label0": 0.0006380207487381995,
        "label1": 0.0006380207487381995,
    }


def _analysis(metrics: list[dict]) -> bytes:
    return json.dumps(
        {
            "version": "1.0",
            "post_training_bias_metrics": {
                "label": "y",
                "label_value_or_threshold": "1",
                "facets": {"sex": [{"value_or_threshold": "female", "metrics": metrics}]},
            },
        }
    ).encode()


def test_infinity_and_null_become_explicit_findings_never_a_pass() -> None:
    ev = read(
        (
            "s3://b/analysis.json",
            _analysis(
                [
                    {"name": "DI", "description": "Disparate Impact (DI)", "value": "Infinity"},
                    {"name": "DPPL", "description": "x", "value": None, "error": "Facet set is empty"},
                    {"name": "RD", "description": "x", "value": None},
                ]
            ),
        )
    )
    (di,) = ev.find("clarify.DI")
    assert di.value == math.inf
    (dppl,) = ev.find("clarify.DPPL")
    assert dppl.value is None and "Facet set is empty" in dppl.error
    (rd,) = ev.find("clarify.RD")
    assert rd.value is None and "no value" in rd.error
    pack = pack_for_tier("high")
    decision = decide(ev, pack, ctx=GateContext(risk_tier="high"))
    fairness = next(g for g in decision.gates if g.id == "gate.fairness")
    assert fairness.status == "fail"
    messages = " ".join(f.message for f in fairness.findings)
    assert "clarify.DI" in messages and "Facet set is empty" in messages


@pytest.mark.parametrize(
    "data, message",
    [
        (b"{not json", "not valid JSON (line 1"),
        (b"[]", "a JSON object"),
        (b'{"version": "1.0"}', "no pre_training_bias_metrics"),
        (_analysis([{"name": "EOD", "value": 0.1}]), "'EOD' is not a Clarify metric"),
        (b'{"pre_training_bias_metrics": {"facets": []}}', "facets must map each facet"),
    ],
)
def test_bad_artifacts_get_one_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(AdapterError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read(("file:///x/analysis.json", data))


def test_unknown_file_kind_and_unknown_adapter() -> None:
    with pytest.raises(AdapterError, match="reads analysis.json, analysis_config.json"):
        read(("file:///x/statistics.json", b"{}"))
    with pytest.raises(AdapterError, match="known adapters: .*sagemaker-clarify"):
        get("clarify")


def test_launch_submits_a_processing_job_with_the_published_config_shape(monkeypatch) -> None:
    from moto import mock_aws

    for var, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "eu-west-1")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    import boto3
    from sagemaker.core.helper.session_helper import Session

    config = {
        "role": "arn:aws:iam::333333333333:role/govhub/fraud-sagemaker-execution",
        "job_name": "clarify-credit-7",
        "data": {
            "s3_input": "s3://fraud-data/eval.csv",
            "s3_output": "s3://fraud-data/clarify/credit-7",
            "label": "Target",
            "headers": ["Target", "Age", "Sex", "Income"],
        },
        "bias": {"label_values": [1], "facet": "Sex", "facet_values": [0], "group_variable": "Age"},
        "model": {"name": "credit-7", "probability_threshold": 0.8},
        "shap": {"baseline": [[35, 0, 52000]], "num_samples": 50},
    }
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        session.client("s3").create_bucket(
            Bucket="fraud-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        submitted = get("sagemaker-clarify").launch(
            config, sagemaker_session=Session(boto_session=session, default_bucket="fraud-data")
        )
        job = session.client("sagemaker").describe_processing_job(ProcessingJobName="clarify-credit-7")
        assert "sagemaker-clarify-processing" in job["AppSpecification"]["ImageUri"]
        assert job["RoleArn"] == config["role"]
        inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in job["ProcessingInputs"]}
        assert inputs["dataset"] == "s3://fraud-data/eval.csv"
        body = session.client("s3").get_object(Bucket="fraud-data", Key="clarify/credit-7/analysis_config.json")["Body"]
        generated = json.loads(body.read())
    assert submitted["processing_job_name"] == "clarify-credit-7"
    published = json.loads(PUBLISHED_CONFIG.read_text())
    # the SDK wrote the same structure as AWS's published example config
    for key in (
        "dataset_type",
        "headers",
        "label",
        "label_values_or_threshold",
        "facet",
        "group_variable",
        "methods",
        "predictor",
        "probability_threshold",
    ):
        assert key in generated and type(generated[key]) is type(published[key]), key
    assert generated["facet"] == [{"name_or_index": "Sex", "value_or_threshold": [0]}]
    assert generated["predictor"]["model_name"] == "credit-7"
    assert generated["methods"]["shap"]["num_samples"] == 50
    assert {"pre_training_bias", "post_training_bias"} <= set(generated["methods"])


def test_launch_config_errors_name_the_field() -> None:
    with pytest.raises(AdapterError) as err:
        get("sagemaker-clarify").launch({"role": "admin", "data": {}, "bias": {"facet": "Sex"}, "model": {}})
    text = str(err.value)
    assert "role: does not have the expected form" in text and "data.s3_input: is required and missing" in text
    assert "bias.label_values: is required and missing" in text and "model.name: is required and missing" in text


def test_evidence_import_command(tmp_path: Path, capsys) -> None:
    from govhub.cli import main
    from govhub.core.evidence import Evidence

    out = tmp_path / "evidence.json"
    assert main(["evidence", "import", "--adapter", "sagemaker-clarify", str(BIAS), str(SHAP), "--out", str(out)]) == 0
    ev = Evidence.from_json(out.read_text())
    assert {m.name for m in ev.metrics} >= {"clarify.AD", "clarify.CDDL", "explain.mean_abs_attribution"}
    merged = tmp_path / "merged.json"
    assert (
        main(
            [
                "evidence",
                "import",
                "--adapter",
                "sagemaker-clarify",
                str(DATA_BIAS),
                "--merge",
                str(out),
                "--out",
                str(merged),
            ]
        )
        == 0
    )
    assert len(Evidence.from_json(merged.read_text()).metrics) == len(ev.metrics) + 8
    replaced = tmp_path / "replaced.json"
    assert (
        main(
            [
                "evidence",
                "import",
                "--adapter",
                "sagemaker-clarify",
                str(BIAS),
                "--merge",
                str(out),
                "--replace",
                "--out",
                str(replaced),
            ]
        )
        == 0
    )
    assert len(Evidence.from_json(replaced.read_text()).metrics) == len(ev.metrics)  # same metrics, now from BIAS
    capsys.readouterr()
    assert main(["evidence", "import", "--adapter", "nope", str(BIAS), "--out", str(out)]) == 2
    assert (
        main(
            ["evidence", "import", "--adapter", "sagemaker-clarify", str(tmp_path / "missing.json"), "--out", str(out)]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no adapter named 'nope'" in err and "missing.json: file not found" in err and "Traceback" not in err


def test_local_adapter_runs_the_evaluator_and_reads_its_evidence(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({"y": rng.integers(0, 2, n), "p": rng.random(n), "sex": rng.choice(["f", "m"], n)})
    frame.to_csv(tmp_path / "preds.csv", index=False)
    local = get("local")
    done = local.launch(
        {
            "predictions": str(tmp_path / "preds.csv"),
            "label": "y",
            "score": "p",
            "sensitive": ["sex"],
            "out": str(tmp_path / "ev.json"),
        }
    )
    ev = local.read([fetch(done["evidence"])])
    assert len(ev.metrics) == done["metrics"] and {m.group.get("sex") for m in ev.find("clarify.DI")} == {"f", "m"}
    with pytest.raises(AdapterError, match="unknown keys: colour"):
        local.launch({"colour": "red"})
    with pytest.raises(AdapterError, match="not a govhub evidence document"):
        local.read([Artifact("file:///x.json", b'{"metrics": [{"name": "nope"}]}')])
