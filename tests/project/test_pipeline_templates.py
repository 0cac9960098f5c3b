"""The hub's pipeline templates, rendered into a project and validated offline with each cloud's own
tooling: botocore's SageMaker service model (and moto's CreatePipeline) for the SageMaker pipeline
definition, azure-ai-ml's YAML loader for the Azure ML pipeline, the KFP compiler for Vertex."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from govhub.project import new_project
from tests.project.test_project_template import context

OPERATION = {
    "Processing": "CreateProcessingJob",
    "ClarifyCheck": "CreateProcessingJob",
    "QualityCheck": "CreateProcessingJob",
    "Training": "CreateTrainingJob",
    "RegisterModel": "CreateModelPackage",
    "Model": "CreateModel",
}
NAME_FIELD = {
    "CreateProcessingJob": "ProcessingJobName",
    "CreateTrainingJob": "TrainingJobName",
    "CreateModel": "ModelName",
}


def _resolve(value, parameters):
    """Replace pipeline expressions ({"Get": ...}) by a value of the right type, as SageMaker does at run time."""
    if isinstance(value, dict) and set(value) == {"Get"}:
        ref = value["Get"]
        if ref.startswith("Parameters."):
            return parameters[ref.removeprefix("Parameters.")]
        return "s3://resolved-at-run-time/placeholder"
    if isinstance(value, dict):
        return {k: _resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, parameters) for v in value]
    return value


def _validate_sagemaker(definition: dict, monkeypatch) -> None:
    """Every step's arguments against botocore's SageMaker service model, then CreatePipeline on moto."""
    import boto3
    from botocore.validate import ParamValidator
    from moto import mock_aws

    assert definition["Version"] == "2020-12-01"
    names = {s["Name"] for s in definition["Steps"]}
    assert all(set(s.get("DependsOn", [])) <= names for s in definition["Steps"])
    parameters = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
    model = boto3.client("sagemaker", region_name="eu-west-1").meta.service_model
    for step in definition["Steps"]:
        operation = model.operation_model(OPERATION[step["Type"]])
        arguments = _resolve(step["Arguments"], parameters)
        if operation.name in NAME_FIELD:
            arguments[NAME_FIELD[operation.name]] = f"govhub-{step['Name'].lower()}"
        report = ParamValidator().validate(arguments, operation.input_shape)
        assert not report.has_errors(), (step["Name"], report.generate_report())
    for var, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x")):
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sm = boto3.client("sagemaker", region_name="eu-west-1")
        sm.create_pipeline(
            PipelineName="credit", PipelineDefinition=json.dumps(definition), RoleArn=parameters["ExecutionRole"]
        )
        assert json.loads(sm.describe_pipeline(PipelineName="credit")["PipelineDefinition"]) == definition


def test_sagemaker_pipeline_steps_validate_against_the_service_model(tmp_path: Path, monkeypatch) -> None:
    project = new_project(context("aws", "github-actions", "high"), tmp_path)
    definition = json.loads((project / "pipelines" / "sagemaker_pipeline.json").read_text())
    assert [s["Type"] for s in definition["Steps"]] == [
        "Processing",
        "Training",
        "ClarifyCheck",
        "QualityCheck",
        "Processing",
    ]
    # the hub registry takes versions from the hub service only: the last step submits, it does not register
    submit = definition["Steps"][-1]
    assert submit["Name"] == "SubmitToHub"
    script = submit["Arguments"]["AppSpecification"]["ContainerEntrypoint"][2]
    assert "govhub submit --team fraud --use-case credit-scoring" in script
    assert "RegisterModel" not in json.dumps(definition)
    _validate_sagemaker(definition, monkeypatch)


def _ancestors(steps: dict[str, dict], name: str) -> set[str]:
    out: set[str] = set()
    for parent in steps[name].get("DependsOn", []):
        out |= {parent} | _ancestors(steps, parent)
    return out


def test_sagemaker_deploy_pipeline_verifies_the_attestation_before_anything_is_served(
    tmp_path: Path, monkeypatch
) -> None:
    project = new_project(context("aws", "github-actions", "high"), tmp_path)
    definition = json.loads((project / "pipelines" / "sagemaker_deploy_pipeline.json").read_text())
    steps = {s["Name"]: s for s in definition["Steps"]}
    assert list(steps) == ["VerifyAttestation", "CreateModel", "DeployEndpoint"]
    for name in ("CreateModel", "DeployEndpoint"):
        assert "VerifyAttestation" in _ancestors(steps, name), name
    deploy = steps["DeployEndpoint"]["Arguments"]
    assert deploy["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.VerifyAttestation.ProcessingOutputConfig.Outputs['verified'].S3Output.S3Uri"
    }
    script = " ".join(deploy["AppSpecification"]["ContainerEntrypoint"])
    assert script.index("artifact.txt") < script.index("create-endpoint-config") < script.index("create-endpoint ")
    _validate_sagemaker(definition, monkeypatch)


def test_sagemaker_step_validation_can_fail(tmp_path: Path) -> None:
    """The check above is not vacuous: a broken step is reported."""
    import boto3
    from botocore.validate import ParamValidator

    operation = boto3.client("sagemaker", region_name="eu-west-1").meta.service_model.operation_model(
        "CreateTrainingJob"
    )
    report = ParamValidator().validate({"TrainingJobName": "x", "RoleArn": "r"}, operation.input_shape)
    assert report.has_errors() and 'Missing required parameter in input: "OutputDataConfig"' in report.generate_report()


def test_azureml_pipeline_loads_with_azure_ai_ml(tmp_path: Path) -> None:
    from azure.ai.ml import load_job
    from azure.ai.ml.entities import PipelineJob

    project = new_project(context("azure", "gitlab-ci", "high"), tmp_path)
    job = load_job(source=project / "pipelines" / "azureml_pipeline.yml")
    assert isinstance(job, PipelineJob)
    assert set(job.jobs) == {
        "train",
        "rai_constructor",
        "rai_explanation",
        "rai_error_analysis",
        "rai_gather",
        "rai_scorecard",
        "register",
    }
    components = {name: str(j.component) for name, j in job.jobs.items()}
    assert (
        components["rai_gather"] == "azureml://registries/azureml/components/rai_tabular_insight_gather/versions/0.22.0"
    )
    assert "risk-tier=high" in job.jobs["register"].command
    bad = project / "pipelines" / "broken.yml"
    bad.write_text(
        (project / "pipelines" / "azureml_pipeline.yml").read_text().replace("type: command", "type: comand", 1)
    )
    with pytest.raises(Exception):  # noqa: B017 - azure-ai-ml raises several types for an unknown job type
        load_job(source=bad)


def test_vertex_pipeline_compiles_with_kfp(tmp_path: Path) -> None:
    project = new_project(context("gcp", "github-actions", "limited"), tmp_path)
    result = subprocess.run(
        [sys.executable, "pipelines/vertex_pipeline.py"], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    spec = json.loads((project / "vertex_pipeline.json").read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {"train", "evaluate", "register"}
    assert tasks["register"]["dependentTasks"] == ["evaluate", "train"] or set(tasks["register"]["dependentTasks"]) == {
        "evaluate",
        "train",
    }
    assert "--tier" in json.dumps(spec) and "limited" in json.dumps(spec)


def test_azureml_deploy_pipeline_cannot_deploy_without_the_verify_job(tmp_path: Path) -> None:
    from azure.ai.ml import load_job

    project = new_project(context("azure", "gitlab-ci", "high"), tmp_path)
    job = load_job(source=project / "pipelines" / "azureml_deploy.yml")
    assert set(job.jobs) == {"verify", "deploy"}
    verify = job.jobs["verify"].command
    assert verify.index("govhub attest fetch") < verify.index("govhub attest verify")
    assert "--stage prod" in verify and "--public-key-sha256" in verify
    assert str(job.jobs["deploy"].inputs["verified"]._data) == "${{parent.jobs.verify.outputs.verified}}"
    assert job.jobs["deploy"].command.index("attestation.intoto.json") < job.jobs["deploy"].command.index(
        "online-deployment create"
    )


def test_vertex_deploy_pipeline_compiles_and_deploys_only_after_verification(tmp_path: Path) -> None:
    project = new_project(context("gcp", "github-actions", "high"), tmp_path)
    result = subprocess.run(
        [sys.executable, "pipelines/vertex_deploy_pipeline.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    spec = json.loads((project / "vertex_deploy_pipeline.json").read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {"verify-attestation", "deploy"}
    assert tasks["deploy"]["dependentTasks"] == ["verify-attestation"]
    verified = tasks["deploy"]["inputs"]["parameters"]["verified_artifact"]["taskOutputParameter"]
    assert verified["producerTask"] == "verify-attestation"
    assert '"attest", "verify"' in json.dumps(spec) or "attest" in json.dumps(spec)


# ----------------------------------------------------------------------------- the evaluation step on Spark


def _spark_args(args: list[str]) -> dict[str, str]:
    """The `govhub evaluate` flags of a Spark variant, parsed by the CLI's own parser (so a misspelt flag fails)."""
    from govhub.cli import build_parser

    parsed = build_parser().parse_args(["evaluate", *args])
    return vars(parsed)


def test_sagemaker_spark_evaluation_runs_the_spark_engine_and_validates(tmp_path: Path, monkeypatch) -> None:
    project = new_project(context("aws", "github-actions", "high"), tmp_path)
    definition = json.loads((project / "pipelines" / "sagemaker_spark_evaluation.json").read_text())
    (step,) = definition["Steps"]
    command = step["Arguments"]["AppSpecification"]["ContainerEntrypoint"]
    assert command[:2] == ["govhub", "evaluate"]
    args = _spark_args(command[2:])
    assert (args["engine"], args["spark_master"], args["tier"]) == ("spark", "local[*]", "high")
    local_paths = {i["S3Input"]["LocalPath"] for i in step["Arguments"]["ProcessingInputs"]}
    assert {args["predictions"], args["baseline"], args["current"]} == local_paths
    _validate_sagemaker(definition, monkeypatch)


def test_azureml_spark_evaluation_loads_as_a_spark_job(tmp_path: Path) -> None:
    from azure.ai.ml import load_job
    from azure.ai.ml.entities import Spark, SparkJob

    project = new_project(context("azure", "gitlab-ci", "limited"), tmp_path)
    job = load_job(source=project / "pipelines" / "azureml_spark_evaluation.yml")
    assert isinstance(job, (Spark, SparkJob)) and job.type == "spark"
    package = project.name.replace("-", "_")
    assert job.entry.entry == f"{package}/evaluate_spark.py"
    assert (project / "src" / package / "evaluate_spark.py").is_file()
    assert job.resources.runtime_version == "3.5"  # Python 3.11: govhub's minimum
    # govhub on the driver through the session's conda packages, without a pyspark that would replace the runtime's
    conda = job.environment.conda_file
    assert isinstance(conda, dict)
    (pip,) = [d["pip"] for d in conda["dependencies"] if isinstance(d, dict)]
    assert [Requirement(r).name for r in pip] == ["govhub"] and Requirement(pip[0]).extras == {"azure"}
    assert set(job.inputs) == {"predictions", "baseline", "current"} and set(job.outputs) == {"decision"}
    args = job.args.replace("${{inputs.", "/mnt/").replace("${{outputs.", "/mnt/").replace("}}", "")
    parsed = _spark_args(args.split())
    assert parsed["tier"] == "limited" and parsed["predictions"] == "/mnt/predictions"


def test_dataproc_spark_evaluation_is_a_valid_batch(tmp_path: Path) -> None:
    from google.cloud import dataproc_v1

    project = new_project(context("gcp", "github-actions", "high"), tmp_path)
    text = (project / "pipelines" / "dataproc_spark_evaluation.json").read_text()
    batch = dataproc_v1.Batch.from_json(text)  # the real message: an unknown or misspelt field is refused
    assert batch.runtime_config.version == "3.0"  # Spark 4.0 and Python 3.12
    assert batch.pyspark_batch.main_python_file_uri.endswith("/evaluate_spark.py")
    parsed = _spark_args(list(batch.pyspark_batch.args))
    assert parsed["tier"] == "high" and parsed["predictions"].startswith("gs://")
    from google.protobuf.json_format import ParseError

    with pytest.raises(ParseError, match='no field named "pysparkBatchh"'):
        dataproc_v1.Batch.from_json(text.replace('"pysparkBatch"', '"pysparkBatchh"'))
