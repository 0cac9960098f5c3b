"""Fidelity: Clarify-format evidence produced by the real engine (smclarify) gives the same numbers
and the same gate decision as the local evaluator on the same model and data; and the AWS launch
loop closes: launch on moto, the job "completes", its analysis.json lands in the moto bucket, and
`govhub evidence import` reads it back from s3://."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from govhub.adapters.base import Artifact
from govhub.adapters.registry import get
from govhub.core.decision import decide
from govhub.core.evidence import Evidence
from govhub.core.gates import GateContext
from govhub.core.policy import pack_for_tier
from govhub.evaluator.local import EvaluationSpec, evaluate
from tests.conftest import synthetic_predictions
from tests.core.test_policy_and_decision import CARD, LINEAGE

DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "AD": "Accuracy Difference (AD)",
}
PRE, POST = ("CI", "DPL"), ("DI", "DPPL", "RD", "SD", "AD")


def predictions(bias: float, seed: int = 11, n: int = 4000) -> pd.DataFrame:
    return synthetic_predictions(seed, n, noise=0.45, bias=bias, female_share=0.45, label="y")[1]


def smclarify_analysis(frame: pd.DataFrame) -> bytes:
    """analysis.json in Clarify's facets format, every value computed by smclarify."""
    from smclarify.bias.metrics import posttraining, pretraining

    feature = frame["sex"].astype(object)
    label, pred = frame["y"] == 1, frame["score"] >= 0.5
    sections: dict[str, list[Any]] = {"pre_training_bias_metrics": [], "post_training_bias_metrics": []}
    for value in sorted(feature.unique()):
        facet = feature == value
        pre = {"CI": pretraining.CI(feature, facet), "DPL": pretraining.DPL(feature, facet, label)}
        post = {
            "DI": posttraining.DI(feature, facet, pred),
            "DPPL": posttraining.DPPL(feature, facet, pred),
            "RD": posttraining.RD(feature, facet, label, pred),
            "SD": posttraining.SD(feature, facet, label, pred),
            "AD": posttraining.AD(feature, facet, label, pred),
        }
        for section, values in (("pre_training_bias_metrics", pre), ("post_training_bias_metrics", post)):
            sections[section].append(
                {
                    "value_or_threshold": value,
                    "metrics": [
                        {"name": k, "description": DESCRIPTIONS[k], "value": float(v)} for k, v in values.items()
                    ],
                }
            )
    doc: dict[str, Any] = {"version": "1.0"}
    for section, facets in sections.items():
        doc[section] = {"label": "y", "label_value_or_threshold": "1", "facets": {"sex": facets}}
    return json.dumps(doc, indent=2).encode()


@pytest.mark.parametrize("bias, outcome", [(0.0, "pass"), (0.25, "fail")])
def test_same_model_same_decision_from_local_and_clarify_evidence(tmp_path: Path, bias: float, outcome: str) -> None:
    frame = predictions(bias)
    frame.to_csv(tmp_path / "predictions.csv", index=False)
    local = evaluate(
        EvaluationSpec(predictions=tmp_path / "predictions.csv", label="y", score="score", sensitive=("sex",))
    )
    clarify = get("sagemaker-clarify").read(
        [Artifact("s3://fraud-data/clarify/analysis.json", smclarify_analysis(frame))]
    )
    # numbers: every shared Clarify metric agrees (no variant difference exists for these seven)
    ours = {(m.name, m.group["sex"]): m.value for m in local.metrics if m.name.startswith("clarify.")}
    theirs = {(m.name, m.group["sex"]): m.value for m in clarify.metrics}
    assert set(theirs) == set(ours)
    for key, value in theirs.items():
        assert value == pytest.approx(ours[key], abs=1e-9), key
    # decisions: swap the local Clarify metrics for the artifact's; everything else is the same evidence
    swapped = Evidence(metrics=tuple(m for m in local.metrics if not m.name.startswith("clarify.")) + clarify.metrics)
    pack = pack_for_tier("high")
    ctx = GateContext(risk_tier="high", model_card=CARD, lineage=LINEAGE)
    a, b = decide(local, pack, ctx=ctx), decide(swapped, pack, ctx=ctx)
    assert a.outcome == b.outcome == outcome
    assert [(g.id, g.status) for g in a.gates] == [(g.id, g.status) for g in b.gates]
    fa = sorted((f.metric, f.group, round(f.value or 0, 9)) for g in a.gates for f in g.findings)
    fb = sorted((f.metric, f.group, round(f.value or 0, 9)) for g in b.gates for f in g.findings)
    assert fa == fb


def test_launch_then_read_back_from_the_moto_bucket(tmp_path: Path, monkeypatch, capsys) -> None:
    import boto3
    from moto import mock_aws
    from sagemaker.core.helper.session_helper import Session

    from govhub.cli import main

    for var, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "eu-west-1")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    frame = predictions(0.25)
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="fraud-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket="fraud-data", Key="eval.csv", Body=frame.to_csv(index=False).encode())
        done = get("sagemaker-clarify").launch(
            {
                "role": "arn:aws:iam::333333333333:role/govhub/fraud-sagemaker-execution",
                "job_name": "clarify-biased",
                "data": {
                    "s3_input": "s3://fraud-data/eval.csv",
                    "s3_output": "s3://fraud-data/clarify/biased",
                    "label": "y",
                    "headers": ["y", "score", "sex"],
                },
                "bias": {"label_values": [1], "facet": "sex", "facet_values": ["female"]},
                "model": {"name": "credit-biased"},
            },
            sagemaker_session=Session(boto_session=session, default_bucket="fraud-data"),
        )
        job = session.client("sagemaker").describe_processing_job(ProcessingJobName=done["processing_job_name"])
        assert job["ProcessingJobStatus"] == "Completed"  # moto completes processing jobs at once
        # the container's work: what Clarify writes to the job's output location
        s3.put_object(Bucket="fraud-data", Key="clarify/biased/analysis.json", Body=smclarify_analysis(frame))
        out = tmp_path / "evidence.json"
        code = main(
            [
                "evidence",
                "import",
                "--adapter",
                "sagemaker-clarify",
                f"{done['output_uri']}/analysis.json",
                "--out",
                str(out),
            ]
        )
        assert code == 0, capsys.readouterr().err
        code = main(
            [
                "evidence",
                "import",
                "--adapter",
                "sagemaker-clarify",
                "s3://fraud-data/clarify/missing.json",
                "--out",
                str(out),
            ]
        )
        assert (
            code == 2 and "s3://fraud-data/clarify/missing.json: cannot be read (NoSuchKey)" in capsys.readouterr().err
        )
    evidence = Evidence.from_json((tmp_path / "evidence.json").read_text())
    (di,) = evidence.find("clarify.DI", sex="female")
    assert di.value < 0.8 and di.provenance.artifact_uri == "s3://fraud-data/clarify/biased/analysis.json"
    # the imported evidence goes through the same gates: `govhub evaluate --evidence`
    code = main(
        [
            "evaluate",
            "--evidence",
            str(tmp_path / "evidence.json"),
            "--tier",
            "high",
            "--out",
            str(tmp_path / "decision.json"),
        ]
    )
    assert code == 1 and "clarify.DI" in capsys.readouterr().out
