"""SageMaker Clarify: bias (pre- and post-training) and SHAP, launched as a processing job, read
from ``analysis.json``.

Launch builds the analysis config with the SDK's own classes (``sagemaker.core.clarify`` in SDK
3.x: DataConfig, BiasConfig, ModelConfig, SHAPConfig) and submits it through
``SageMakerClarifyProcessor.run_bias_and_explainability``. Read maps
``pre_training_bias_metrics`` and ``post_training_bias_metrics`` (per facet and facet value) to the
``clarify.*`` catalog entries, and ``explanations.kernel_shap`` (per label) to global attributions.
``"Infinity"`` becomes an infinite value that the gates judge; a null value becomes an explicit
error (with Clarify's own ``error`` text when it gives one): never a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govhub.adapters.base import Adapter, AdapterError, Artifact, check_version, validated
from govhub.core.catalog import CATALOG
from govhub.core.evidence import Evidence, Metric

SECTIONS = {"pre_training_bias_metrics": "pre-training", "post_training_bias_metrics": "post-training"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSpec(_Strict):
    s3_input: str = Field(pattern=r"^s3://[^/]+/.+")
    s3_output: str = Field(pattern=r"^s3://[^/]+/.*")
    label: str
    headers: tuple[str, ...] = Field(min_length=2)
    dataset_type: str = "text/csv"


class BiasSpec(_Strict):
    label_values: tuple[int | float | str, ...] = Field(min_length=1)
    facet: str
    facet_values: tuple[int | float | str, ...] | None = None
    group_variable: str | None = None


class ModelSpec(_Strict):
    name: str
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    accept_type: str = "text/csv"
    content_type: str = "text/csv"
    probability_threshold: float | None = Field(default=0.5, ge=0, le=1)


class ShapSpec(_Strict):
    baseline: list[list[Any]] | str
    num_samples: int = Field(default=100, ge=1)
    agg_method: str = "mean_abs"


class ClarifyJob(_Strict):
    role: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    job_name: str | None = None
    data: DataSpec
    bias: BiasSpec
    model: ModelSpec
    shap: ShapSpec | None = None


class ClarifyAdapter(Adapter):
    name = "sagemaker-clarify"
    kinds = ("analysis.json", "analysis_config.json")
    tool = "sagemaker-clarify"

    def launch(
        self,
        config: Mapping[str, Any],
        *,
        sagemaker_session: Any = None,
        wait: bool = False,
        source: str = "clarify launch config",
        **_: Any,
    ) -> dict[str, Any]:
        job = validated(config, ClarifyJob, source)
        from sagemaker.core.clarify import (
            BiasConfig,
            DataConfig,
            ModelConfig,
            ModelPredictedLabelConfig,
            SageMakerClarifyProcessor,
            SHAPConfig,
        )

        processor = SageMakerClarifyProcessor(
            role=job.role,
            instance_count=job.instance_count,
            instance_type=job.instance_type,
            sagemaker_session=sagemaker_session,
        )
        data = DataConfig(
            s3_data_input_path=job.data.s3_input,
            s3_output_path=job.data.s3_output,
            label=job.data.label,
            headers=list(job.data.headers),
            dataset_type=job.data.dataset_type,
        )
        bias = BiasConfig(
            label_values_or_threshold=list(job.bias.label_values),
            facet_name=job.bias.facet,
            facet_values_or_threshold=list(job.bias.facet_values) if job.bias.facet_values else None,
            group_name=job.bias.group_variable,
        )
        model = ModelConfig(
            model_name=job.model.name,
            instance_type=job.model.instance_type,
            instance_count=job.model.instance_count,
            accept_type=job.model.accept_type,
            content_type=job.model.content_type,
        )
        predicted = ModelPredictedLabelConfig(probability_threshold=job.model.probability_threshold)
        kwargs = {
            "data_config": data,
            "model_config": model,
            "bias_config": bias,
            "model_predicted_label_config": predicted,
            "wait": wait,
            "logs": False,
            "job_name": job.job_name,
        }
        if job.shap:
            shap = SHAPConfig(
                baseline=job.shap.baseline, num_samples=job.shap.num_samples, agg_method=job.shap.agg_method
            )
            processor.run_bias_and_explainability(explainability_config=shap, **kwargs)
        else:
            processor.run_bias(**kwargs)
        latest = processor.latest_job
        name = getattr(latest, "job_name", None) or getattr(latest, "processing_job_name", None) or job.job_name
        return {
            "processing_job_name": name,
            "analysis_config_uri": f"{job.data.s3_output.rstrip('/')}/analysis_config.json",
            "output_uri": job.data.s3_output,
        }

    # ------------------------------------------------------------------ read

    def kind_of(self, artifact: Artifact) -> str:
        """By content, since jobs and pipelines name the files differently."""
        doc = artifact.json()
        if isinstance(doc, dict) and any(k in doc for k in (*SECTIONS, "explanations")):
            return "analysis.json"
        if isinstance(doc, dict) and "methods" in doc and "label" in doc:
            return "analysis_config.json"
        if artifact.name == "analysis.json":
            return "analysis.json"  # read() explains what is missing
        return super().kind_of(artifact)

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        metrics: list[Metric] = []
        for artifact in artifacts:
            if self.kind_of(artifact) == "analysis_config.json":
                continue  # the job's input: names the label and facets, carries no results
            metrics += self._analysis(artifact)
        if not metrics:
            raise AdapterError(
                "no Clarify results: give the job's analysis.json (the analysis_config.json alone holds no metrics)"
            )
        return Evidence(metrics=tuple(metrics))

    def _analysis(self, artifact: Artifact) -> list[Metric]:
        doc = artifact.json()
        if not isinstance(doc, dict):
            raise AdapterError(f"{artifact.uri}: an analysis.json is a JSON object with *_bias_metrics or explanations")
        check_version(artifact, doc, "version", ("1.0",))
        version = str(doc.get("version", "unknown"))
        found = [k for k in (*SECTIONS, "explanations") if k in doc]
        if not found:
            raise AdapterError(
                f"{artifact.uri}: no pre_training_bias_metrics, post_training_bias_metrics or "
                "explanations; is this Clarify's analysis.json?"
            )
        out: list[Metric] = []
        for section, phase in SECTIONS.items():
            if section in doc:
                out += self._bias(artifact, doc[section], section, phase, version)
        if "explanations" in doc:
            out += self._shap(artifact, doc["explanations"], version)
        return out

    def _bias(self, artifact: Artifact, body: Any, section: str, phase: str, version: str) -> list[Metric]:
        if not isinstance(body, dict) or not isinstance(body.get("facets"), dict):
            raise AdapterError(f"{artifact.uri}: {section}.facets must map each facet to a list of facet values")
        label = f"{body.get('label', '?')}={body.get('label_value_or_threshold', '?')}"
        out = []
        for facet, values in body["facets"].items():
            if not isinstance(values, list):
                raise AdapterError(f"{artifact.uri}: {section}.facets.{facet} must be a list")
            for i, entry in enumerate(values):
                where = f"{section}.facets.{facet}[{i}]"
                group = {facet: str(entry.get("value_or_threshold", "?"))}
                for j, raw in enumerate(entry.get("metrics") or []):
                    name = str(raw.get("name", ""))
                    catalog = f"clarify.{name}"
                    if catalog not in CATALOG:
                        raise AdapterError(
                            f"{artifact.uri}: {where}.metrics[{j}].name {name!r} is not a Clarify metric "
                            f"the catalog knows; known: "
                            f"{', '.join(n.removeprefix('clarify.') for n in CATALOG if n.startswith('clarify.'))}"
                        )
                    out.append(
                        self.metric(
                            artifact,
                            catalog,
                            raw.get("value"),
                            f"{where}.{name}",
                            f"clarify {phase}, facet value vs rest, label {label}",
                            group=group,
                            error=raw.get("error"),
                            tool_version=f"analysis {version}",
                        )
                    )
        return out

    def _shap(self, artifact: Artifact, body: Any, version: str) -> list[Metric]:
        shap = body.get("kernel_shap") if isinstance(body, dict) else None
        if shap is None:
            return []
        if not isinstance(shap, dict):
            raise AdapterError(f"{artifact.uri}: explanations.kernel_shap must map labels to their SHAP values")
        out = []
        for label, values in shap.items():
            where = f"explanations.kernel_shap.{label}"
            global_values = values.get("global_shap_values") if isinstance(values, dict) else None
            if not isinstance(global_values, dict) or not global_values:
                out.append(
                    Metric(
                        name="explain.mean_abs_attribution",
                        value=None,
                        group={"label": label},
                        error=f"{where}.global_shap_values: missing or empty",
                        provenance=self.provenance(artifact, "clarify kernel_shap", f"analysis {version}"),
                    )
                )
                continue
            for feature, raw in global_values.items():
                out.append(
                    self.metric(
                        artifact,
                        "explain.mean_abs_attribution",
                        raw,
                        f"{where}.{feature}",
                        "clarify kernel_shap global value (mean |SHAP|)",
                        group={"label": label},
                        feature=feature,
                        tool_version=f"analysis {version}",
                    )
                )
            if "expected_value" in values:
                out.append(
                    self.metric(
                        artifact,
                        "explain.expected_value",
                        values["expected_value"],
                        f"{where}.expected_value",
                        "clarify kernel_shap expected value (baseline prediction)",
                        group={"label": label},
                        tool_version=f"analysis {version}",
                    )
                )
        return out
