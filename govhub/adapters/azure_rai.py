"""Azure ML Responsible AI (tabular): the RAI components of the ``azureml`` registry as a pipeline
job (constructor, explanation, error analysis, gather, scorecard), and the dashboard they produce
read into evidence.

Read takes the gathered dashboard (``ux_json/dashboard.json``, the RAIInsightsData the RAI
dashboard renders: ``dataset.true_y``, ``predicted_y``, ``probability_y``, ``features``,
``feature_names``; ``modelExplanationData[].precomputedExplanations.globalFeatureImportance``) and
the scorecard config (``Metrics`` with thresholds, ``Fairness`` with metrics, sensitive features and
``fairness_evaluation_kind``). Performance and fairness numbers are computed from Azure's own
predictions with the local evaluator's kernels (the same formulas everywhere); the scorecard's
fairness difference or ratio and its metric thresholds are evaluated as the scorecard defines them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from govhub.adapters.base import Adapter, AdapterError, Artifact, validated
from govhub.core.evidence import Evidence, Metric

COMPONENTS = ("insight_constructor", "explanation", "erroranalysis", "insight_gather", "score_card")
NAMING = {"current": "rai_tabular_{}", "legacy": "microsoft_azureml_rai_tabular_{}"}
SCORECARD_METRICS = {
    "accuracy_score": "accuracy",
    "precision_score": "precision",
    "recall_score": "recall",
    "f1_score": "f1",
    "selection_rate": "fairlearn.selection_rate",
}
THRESHOLD = re.compile(r"^\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


def component_names(naming: str) -> dict[str, str]:
    """The registry names of the five components, in the registry's current or legacy style."""
    if naming not in NAMING:
        raise AdapterError(
            f"naming {naming!r}: use current (rai_tabular_*) or legacy (microsoft_azureml_rai_tabular_*)"
        )
    return {c: NAMING[naming].format(c) for c in COMPONENTS}


class RaiJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment: str = Field(min_length=1)
    compute: str = Field(min_length=1)
    model: str = Field(pattern=r"^[^:]+:\d+$", description="registered model, name:version")
    train_data: str = Field(pattern=r"^azureml:.+")
    test_data: str = Field(pattern=r"^azureml:.+")
    target_column: str
    task_type: str = Field(default="classification", pattern=r"^(classification|regression)$")
    categorical_columns: tuple[str, ...] = ()
    scorecard_config: str = Field(description="path or URI of the scorecard config JSON")
    version: str = Field(default="0.22.0", pattern=r"^\d+\.\d+\.\d+$", description="RAI component version")
    naming: str = Field(default="current", pattern=r"^(current|legacy)$")


class AzureRaiAdapter(Adapter):
    name = "azure-rai"
    kinds = ("ux_json/dashboard.json", "scorecard config (pdf_gen.json)")
    tool = "azureml-responsibleai"

    def launch(
        self, config: Mapping[str, Any], *, ml_client: Any = None, registry_client: Any = None, **_: Any
    ) -> dict[str, Any]:
        """Fetch the five components from the ``azureml`` registry by name and version, wire them into
        one pipeline job and submit it to the team's workspace."""
        job = validated(config, RaiJob, "azure-rai launch config")
        if ml_client is None or registry_client is None:
            raise AdapterError("azure-rai launch needs an MLClient for the workspace and one for the azureml registry")
        import json

        from azure.ai.ml import Input, dsl

        names = component_names(job.naming)
        comp = {key: registry_client.components.get(name=name, version=job.version) for key, name in names.items()}

        @dsl.pipeline(experiment_name=job.experiment, compute=job.compute, description="govhub RAI insights")  # type: ignore[call-overload]
        def rai_pipeline(train, test, scorecard):  # no annotations: the dsl reads real types, not strings
            create = comp["insight_constructor"](
                title=f"govhub RAI {job.model}",
                task_type=job.task_type,
                model_info=job.model,
                model_input=Input(type="mlflow_model", path=f"azureml:{job.model}"),
                train_dataset=train,
                test_dataset=test,
                target_column_name=job.target_column,
                categorical_column_names=json.dumps(list(job.categorical_columns)),
            )
            explain = comp["explanation"](
                comment="govhub", rai_insights_dashboard=create.outputs.rai_insights_dashboard
            )
            errors = comp["erroranalysis"](rai_insights_dashboard=create.outputs.rai_insights_dashboard)
            gather = comp["insight_gather"](
                constructor=create.outputs.rai_insights_dashboard,
                insight_1=explain.outputs.explanation,
                insight_2=errors.outputs.error_analysis,
            )
            comp["score_card"](dashboard=gather.outputs.dashboard, pdf_generation_config=scorecard)
            # no pipeline-level outputs: the components declare `path` outputs, which a pipeline job may not
            # re-export; the gathered dashboard (ux_json) stays on the gather step's output

        pipeline = rai_pipeline(
            train=Input(type="mltable", path=job.train_data),
            test=Input(type="mltable", path=job.test_data),
            scorecard=Input(type="uri_file", path=job.scorecard_config),
        )
        submitted = ml_client.jobs.create_or_update(pipeline, experiment_name=job.experiment)
        return {"job": getattr(submitted, "name", None), "components": names, "version": job.version}

    # ------------------------------------------------------------------ read

    def kind_of(self, artifact: Artifact) -> str:
        doc = artifact.json()
        if isinstance(doc, dict) and isinstance(doc.get("dataset"), dict):
            return "ux_json/dashboard.json"
        if isinstance(doc, dict) and ("Metrics" in doc or "Fairness" in doc) and "Model" in doc:
            return "scorecard config (pdf_gen.json)"
        return super().kind_of(artifact)

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        dashboards = [a for a in artifacts if self.kind_of(a) == "ux_json/dashboard.json"]
        configs = [a for a in artifacts if a not in dashboards]
        if len(dashboards) != 1 or len(configs) > 1:
            raise AdapterError("give one RAI dashboard (ux_json/dashboard.json) and at most one scorecard config")
        dashboard = dashboards[0]
        doc = dashboard.json()
        y, y_pred, proba, frame = _dataset(dashboard, doc["dataset"])
        metrics = self._performance(dashboard, y, y_pred, proba)
        metrics += self._importance(dashboard, doc)
        if configs:
            metrics += self._scorecard(
                configs[0],
                dashboard,
                y,
                y_pred,
                frame,
                {m.name: m.value for m in metrics if not m.group and not m.feature},
            )
        return Evidence(metrics=tuple(metrics))

    def _performance(
        self, artifact: Artifact, y: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None
    ) -> list[Metric]:
        from govhub.evaluator import metrics as kernels

        values = kernels.performance(y, y_pred, proba)
        return [
            Metric(
                name=name,
                value=value,
                provenance=self.provenance(
                    artifact, f"computed by govhub from the dashboard's true_y and predicted_y ({name})"
                ),
            )
            for name, value in values.items()
        ]

    def _importance(self, artifact: Artifact, doc: dict) -> list[Metric]:
        out = []
        explanations = doc.get("modelExplanationData") or []
        for i, explanation in enumerate(explanations):
            global_ = ((explanation or {}).get("precomputedExplanations") or {}).get("globalFeatureImportance")
            where = f"modelExplanationData[{i}].precomputedExplanations.globalFeatureImportance"
            if not isinstance(global_, dict) or "scores" not in global_:
                raise AdapterError(f"{artifact.uri}: {where} needs scores (and featureNames)")
            # responsibleai writes feature_list; the UI interface declares featureNames
            names = (
                global_.get("feature_list") or global_.get("featureNames") or doc["dataset"].get("feature_names") or []
            )
            scores = global_["scores"]
            per_class = scores and isinstance(scores[0], list)
            rows = scores if per_class else [scores]
            for c, row in enumerate(rows):
                if len(row) != len(names):
                    raise AdapterError(f"{artifact.uri}: {where}: {len(row)} scores for {len(names)} features")
                group = {"class": str(c)} if per_class else {}
                out += [
                    self.metric(
                        artifact,
                        "explain.mean_abs_attribution",
                        abs(float(v)),
                        f"{where}.{n}",
                        "azure rai global feature importance (mean |attribution|)",
                        feature=str(n),
                        group=group,
                    )
                    for n, v in zip(names, row, strict=False)
                ]
        return out

    def _scorecard(
        self,
        artifact: Artifact,
        dashboard: Artifact,
        y: np.ndarray,
        y_pred: np.ndarray,
        frame: dict[str, np.ndarray],
        overall: dict[str, float | None],
    ) -> list[Metric]:
        from govhub.evaluator import metrics as kernels

        cfg = artifact.json()
        out = []
        for name, spec in (cfg.get("Metrics") or {}).items():
            threshold = (spec or {}).get("threshold")
            if threshold is None:
                continue
            match = THRESHOLD.match(str(threshold))
            if not match:
                raise AdapterError(f"{artifact.uri}: Metrics.{name}.threshold {threshold!r}: write it like '>=0.85'")
            catalog = SCORECARD_METRICS.get(name)
            value = overall.get(catalog) if catalog else None
            if value is None:
                out.append(
                    Metric(
                        name="monitor.constraint_violation",
                        value=None,
                        group={"check": "scorecard", "metric": name},
                        error=f"Metrics.{name}: not computable from a classification dashboard",
                        provenance=self.provenance(artifact, "azure rai scorecard threshold"),
                    )
                )
                continue
            op, bound = match[1], float(match[2])
            ok = {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound}[op]
            out.append(
                Metric(
                    name="monitor.constraint_violation",
                    value=0.0 if ok else 1.0,
                    group={"check": "scorecard", "metric": name},
                    provenance=self.provenance(artifact, f"azure rai scorecard: {name} {value:.4g} vs {op}{bound:g}"),
                )
            )
        fairness = cfg.get("Fairness")
        if not fairness:
            return out
        kind = fairness.get("fairness_evaluation_kind")
        if kind not in ("difference", "ratio"):
            raise AdapterError(
                f"{artifact.uri}: Fairness.fairness_evaluation_kind is {kind!r}; use exactly one of difference or ratio"
            )
        for feature in fairness.get("sensitive_features") or []:
            if feature not in frame:
                raise AdapterError(
                    f"{artifact.uri}: Fairness.sensitive_features names {feature!r}, which is not a "
                    f"dashboard feature ({', '.join(frame) or 'none'})"
                )
            counts = kernels.GroupCounts.compute(frame[feature], y, y_pred)
            for metric in fairness.get("metric") or []:
                per_group = _group_values(counts, metric)
                if per_group is None:
                    raise AdapterError(
                        f"{artifact.uri}: Fairness.metric {metric!r} is not one of {', '.join(SCORECARD_METRICS)}"
                    )
                lo, hi = float(per_group.min()), float(per_group.max())
                value = hi - lo if kind == "difference" else (lo / hi if hi else 1.0)
                out.append(
                    Metric(
                        name=f"azure.scorecard_fairness_{kind}",
                        value=value,
                        group={feature: "*", "metric": metric},
                        provenance=self.provenance(
                            artifact,
                            f"azure rai scorecard {kind} of {metric} between groups of {feature} (from the dashboard)",
                        ),
                    )
                )
            for i, level in enumerate(counts.values):
                try:
                    values = kernels.clarify_metrics(*counts.facet(i))
                except ValueError as exc:
                    out.append(
                        Metric(
                            name="clarify.DI",
                            value=None,
                            error=str(exc),
                            group={feature: level},
                            provenance=self.provenance(dashboard, "clarify facet value vs rest"),
                        )
                    )
                    continue
                out += [
                    Metric(
                        name=n,
                        value=v,
                        group={feature: level},
                        provenance=self.provenance(
                            dashboard,
                            "clarify facet value vs rest, computed by govhub from the dashboard's predictions",
                        ),
                    )
                    for n, v in values.items()
                ]
        return out


def _dataset(artifact: Artifact, data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    for key in ("true_y", "predicted_y", "features", "feature_names"):
        if key not in data:
            raise AdapterError(
                f"{artifact.uri}: dataset.{key} is missing; is this the gathered RAI dashboard "
                "(ux_json/dashboard.json)?"
            )
    classes = [str(c) for c in data.get("class_names") or []]

    def encode(values: list, field: str) -> np.ndarray:
        if classes and all(str(v) in classes for v in values):
            return np.array([classes.index(str(v)) for v in values], dtype=np.int64)
        array = np.asarray(values)
        if not set(np.unique(array).tolist()) <= {0, 1}:
            raise AdapterError(
                f"{artifact.uri}: dataset.{field} holds {sorted(set(map(str, values)))[:5]}; the "
                "fairness and performance gates need a binary task (give class_names)"
            )
        return array.astype(np.int64)

    y, y_pred = encode(data["true_y"], "true_y"), encode(data["predicted_y"], "predicted_y")
    if len(y) != len(y_pred) or len(y) != len(data["features"]):
        raise AdapterError(f"{artifact.uri}: dataset.true_y, predicted_y and features differ in length")
    proba = None
    if data.get("probability_y"):
        p = np.asarray(data["probability_y"], dtype=float)
        proba = p[:, 1] if p.ndim == 2 else p
    names = list(data["feature_names"])
    rows = data["features"]
    frame = {name: np.asarray([str(row[j]) for row in rows]) for j, name in enumerate(names)}
    return y, y_pred, proba, frame


def _group_values(counts: Any, metric: str) -> np.ndarray | None:
    tn, fp, fn, tp = (counts.counts[:, i].astype(float) for i in range(4))
    n = tn + fp + fn + tp
    safe = lambda a, b: np.divide(a, b, out=np.zeros_like(a), where=b > 0)  # noqa: E731
    return {
        "accuracy_score": safe(tp + tn, n),
        "precision_score": safe(tp, tp + fp),
        "recall_score": safe(tp, tp + fn),
        "f1_score": safe(2 * tp, 2 * tp + fp + fn),
        "selection_rate": safe(tp + fp, n),
    }.get(metric)
