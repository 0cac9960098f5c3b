"""SageMaker Model Monitor adapter: statistics, constraints and violations into evidence; a baseline
job and a schedule launched through the SDK.

moto 5.2.5 implements CreateProcessingJob and CreateDataQualityJobDefinition but not
CreateMonitoringSchedule; that one call is answered at the boto3 boundary (a ``before-call`` hook,
after botocore has validated the request against the service model) and the request is asserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govhub.adapters.base import AdapterError, Artifact, fetch
from govhub.adapters.registry import get
from govhub.core.decision import decide
from govhub.core.gates import GateContext
from govhub.core.policy import pack_for_tier
from tests.helpers import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "provider-formats"
SDK = FIXTURES / "aws_sdk_testdata"
DOCS = FIXTURES / "aws_model_monitor_docs"


def read(*paths: Path):
    return get("sagemaker-monitor").read([fetch(str(p)) for p in paths])


def test_data_quality_statistics_give_missing_rates() -> None:
    ev = read(SDK / "pipeline_quality_check_step_data_quality_statistics.json", SDK / "monitor_statistics.json")
    rates = {m.feature: m.value for m in ev.find("quality.missing_rate")}
    assert rates["message"] == 0.0 and rates["_c0"] == 0.0 and len(rates) >= 2
    doc = json.loads((SDK / "pipeline_quality_check_step_data_quality_statistics.json").read_text())
    assert len(rates) == len(doc["features"]) + 1


def test_missing_values_are_counted() -> None:
    doc = {
        "version": 0.0,
        "features": [
            {
                "name": "income",
                "inferred_type": "Fractional",
                "numerical_statistics": {"common": {"num_present": 75, "num_missing": 25}},
            }
        ],
    }
    ev = get("sagemaker-monitor").read([Artifact("s3://m/statistics.json", json.dumps(doc).encode())])
    (m,) = ev.find("quality.missing_rate")
    assert m.value == 0.25 and m.feature == "income"


def test_model_quality_statistics_map_to_performance_metrics() -> None:
    ev = read(
        SDK / "model_card_evaluation_metrics_model_monitor_model_quality_binary_classification.json",
        SDK / "pipeline_quality_check_step_model_quality_statistics.json",
    )
    values = {m.name: m.value for m in ev.metrics}
    assert values["accuracy"] == 0.5 and values["roc_auc"] == 1 and values["f1"] == 0.5
    assert values["regression.mae"] == 0.5040653554420981 and values["regression.r2"] == -3.208758170289026
    (auc,) = ev.find("roc_auc")
    assert auc.provenance.variant == "model monitor model quality binary_classification_metrics.auc"


def test_violations_fail_the_gates_with_their_values() -> None:
    ev = read(
        SDK / "monitor_constraint_violations.json",
        DOCS / "bias_drift_constraint_violations.json",
        DOCS / "feature_attribution_drift_constraint_violations.json",
    )
    violations = list(ev.find("monitor.constraint_violation"))
    checks = sorted({m.group["check"] for m in violations})
    assert "bias_drift_check" in checks and "data_type_check" in checks and "feature_attribution_drift_check" in checks
    (ci,) = ev.find("clarify.CI", Age="40")
    assert ci.value == 0.0751544567666083
    (dppl,) = ev.find("clarify.DPPL")
    assert dppl.value == -0.0791244970125596
    ndcg = {m.group["label"]: m.value for m in ev.find("monitor.attribution_ndcg")}
    assert ndcg == {"label0": 0.7639720923277322, "label1": 0.7323763972092327}
    fare = next(m for m in violations if m.feature == "fare_amount")
    assert fare.group == {"check": "data_type_check"} and "0.4994994994994995" in fare.provenance.variant
    # judged by the same gates: a high-risk pack with a zero-violation rule fails on them
    pack = pack_for_tier("high")
    pack = pack.model_copy(
        update={
            "gates": {
                **pack.gates,
                "data_quality": pack.gates["data_quality"].model_copy(
                    update={
                        "required": True,
                        "thresholds": (
                            *pack.gates["data_quality"].thresholds,
                            type(pack.gates["data_quality"].thresholds[0])(
                                metric="monitor.constraint_violation", max=0
                            ),
                        ),
                    }
                ),
            }
        }
    )
    gate = next(g for g in decide(ev, pack, ctx=GateContext(risk_tier="high")).gates if g.id == "gate.data_quality")
    assert gate.status == "fail"
    assert len([f for f in gate.findings if f.metric == "monitor.constraint_violation"]) == len(violations)


def test_constraints_are_validated_but_add_no_measurements() -> None:
    assert (
        read(
            SDK / "monitor_constraints.json",
            SDK / "pipeline_quality_check_step_model_quality_good_cases_constraints.json",
        ).metrics
        == ()
    )


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"violations": {}}, "violations must be a list"),
        ({"violations": [{"feature_name": "x"}]}, r"violations\[0\].constraint_check_type is missing"),
        (
            {"features": [{"name": "x", "numerical_statistics": {}}]},
            r"features\[0\] needs name and \*_statistics.common",
        ),
        ({"hello": 1}, "reads statistics.json, constraints.json, constraint_violations.json"),
    ],
)
def test_bad_artifacts_get_one_clear_message(doc, message) -> None:
    with pytest.raises(AdapterError, match=message):
        get("sagemaker-monitor").read([Artifact("file:///x/out.json", json.dumps(doc).encode())])


def test_launch_creates_a_baseline_job_and_a_schedule(monkeypatch) -> None:
    import boto3
    from botocore.awsrequest import AWSResponse
    from moto import mock_aws
    from sagemaker.core.helper.session_helper import Session

    for var, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "eu-west-1")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    requests: list[dict] = []

    def create_schedule(params, **_):  # the one call moto lacks, answered at the boto3 boundary
        body = json.loads(params["body"])  # the serialized request, already validated by botocore
        requests.append(body)
        return AWSResponse("https://sagemaker", 200, {}, None), {
            "MonitoringScheduleArn": f"arn:aws:sagemaker:eu-west-1:333333333333:monitoring-schedule/{body['MonitoringScheduleName']}"
        }

    config = {
        "role": "arn:aws:iam::333333333333:role/govhub/fraud-sagemaker-execution",
        "endpoint": "credit-7",
        "baseline_dataset": "s3://fraud-data/train.csv",
        "output": "s3://fraud-data/monitor/credit-7",
        "schedule_name": "credit-7-data-quality",
        "schedule": "cron(0 * ? * * *)",
        "baseline_job_name": "baseline-credit-7",
    }
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        session.client("s3").create_bucket(
            Bucket="fraud-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        # what the baselining job writes when it completes (moto runs no container): the real formats
        for name, fixture in (
            ("statistics.json", SDK / "pipeline_quality_check_step_data_quality_statistics.json"),
            ("constraints.json", SDK / "pipeline_quality_check_step_data_quality_good_cases_constraints.json"),
        ):
            session.client("s3").put_object(
                Bucket="fraud-data", Key=f"monitor/credit-7/baseline/{name}", Body=fixture.read_bytes()
            )
        sm_session = Session(boto_session=session, default_bucket="fraud-data")
        sm_session.sagemaker_client.meta.events.register(
            "before-call.sagemaker.CreateMonitoringSchedule", create_schedule
        )
        done = get("sagemaker-monitor").launch(config, sagemaker_session=sm_session)
        job = session.client("sagemaker").describe_processing_job(ProcessingJobName="baseline-credit-7")
        assert "sagemaker-model-monitor-analyzer" in job["AppSpecification"]["ImageUri"]
        assert job["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://fraud-data/train.csv"
    assert done["monitoring_schedule_name"] == "credit-7-data-quality"
    (body,) = requests
    assert body["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    assert body["MonitoringScheduleConfig"]["MonitoringType"] == "DataQuality"
    definition = body["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    assert definition  # created in moto by CreateDataQualityJobDefinition, with the baseline's files


def test_launch_config_errors_name_the_field() -> None:
    with pytest.raises(AdapterError) as err:
        get("sagemaker-monitor").launch({"role": "x", "endpoint": "e", "schedule": "hourly"})
    text = str(err.value)
    assert "baseline_dataset: is required and missing" in text and "schedule: does not have the expected form" in text
