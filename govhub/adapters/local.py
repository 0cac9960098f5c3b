"""The local evaluator as an adapter (the embedded default): launch runs it on local tables, read
takes the evidence documents it wrote (``govhub evaluate --evidence-out``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from govhub.adapters.base import Adapter, AdapterError, Artifact
from govhub.core.evidence import Evidence, merge
from govhub.problems import first_problem


class LocalAdapter(Adapter):
    name = "local"
    kinds = ("evidence.json",)
    tool = "govhub-local"

    def launch(self, config: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        from govhub.evaluator.local import EvaluationInputError, EvaluationSpec, evaluate

        known = {"predictions", "label", "sensitive", "score", "prediction", "threshold", "baseline", "current", "out"}
        unknown = set(config) - known
        if unknown or not {"predictions", "label", "sensitive", "out"} <= set(config):
            raise AdapterError(
                f"local evaluator config: needs predictions, label, sensitive and out (optional: score, "
                f"prediction, threshold, baseline, current); unknown keys: {', '.join(sorted(unknown)) or 'none'}"
            )
        spec = EvaluationSpec(
            predictions=Path(config["predictions"]),
            label=config["label"],
            sensitive=tuple(config["sensitive"]),
            score=config.get("score"),
            prediction=config.get("prediction"),
            threshold=float(config.get("threshold", 0.5)),
            baseline=Path(config["baseline"]) if config.get("baseline") else None,
            current=Path(config["current"]) if config.get("current") else None,
        )
        try:
            evidence = evaluate(spec)
        except EvaluationInputError as exc:
            raise AdapterError(str(exc)) from None
        Path(config["out"]).write_text(evidence.to_json(), encoding="utf-8")
        return {"evidence": str(config["out"]), "metrics": len(evidence.metrics)}

    def kind_of(self, artifact: Artifact) -> str:
        return "evidence.json"

    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        parts = []
        for artifact in artifacts:
            try:
                parts.append(Evidence.from_json(artifact.text()))
            except ValidationError as exc:
                raise AdapterError(f"{artifact.uri}: not a govhub evidence document at {first_problem(exc)}") from None
        return merge(*parts, model=dict(parts[0].model) if parts else {})
