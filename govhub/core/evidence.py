"""Normalized evidence: the one format every adapter produces and every gate judges.

Each metric names a catalog entry (``govhub.core.catalog``), a value, the group or slice it describes, and its
provenance: which artifact it came from (URI and sha256), which tool and version produced it, and
the formula variant. A value that a tool could not compute is kept with its error, never dropped:
missing evidence must make a gate fail, not pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govhub.core.catalog import spec

EVIDENCE_SCHEMA_VERSION = 1


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    artifact_uri: str = Field(description="where the source artifact lives (file path, s3://, azureml://, gs://)")
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    tool: str = Field(description="the producing tool, e.g. govhub-local, sagemaker-clarify")
    tool_version: str
    variant: str = Field(description="the formula variant, as the catalog entry states it")


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    name: str
    value: float | None = Field(description="None only together with an error")
    group: dict[str, str] = Field(default_factory=dict, description="the facet value or slice, e.g. {'sex': 'female'}")
    feature: str | None = Field(default=None, description="the feature a drift or quality metric describes")
    provenance: Provenance
    error: str | None = Field(default=None, description="why the tool could not compute the value")

    @field_validator("value", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        """A number, or the JSON spelling of infinity this document writes; never a boolean or text."""
        if isinstance(value, bool):
            raise ValueError("a metric value is a number, not true/false")
        if isinstance(value, str) and value not in ("Infinity", "-Infinity", "NaN"):
            raise ValueError(f"a metric value is a number, not the text {value[:40]!r}")
        return value

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        spec(name)  # raises with the list of known names
        return name

    def model_post_init(self, _: Any) -> None:
        if self.value is None and not self.error:
            raise ValueError(f"metric {self.name} has no value and no error; missing values must say why")
        if self.value is not None:
            problem = spec(self.name).outside(self.value)
            if problem:
                raise ValueError(problem)

    def describe_group(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.group.items()) or "all rows"


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    schema_version: int = EVIDENCE_SCHEMA_VERSION
    model: dict[str, str] = Field(default_factory=dict, description="model name, version and lineage ids")
    metrics: tuple[Metric, ...] = ()

    def find(self, name: str, **group: str) -> Iterator[Metric]:
        for metric in self.metrics:
            if metric.name == name and all(metric.group.get(k) == v for k, v in group.items()):
                yield metric

    def names(self) -> set[str]:
        return {m.name for m in self.metrics}

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> Evidence:
        return cls.model_validate_json(text)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def merge(*parts: Evidence | Iterable[Metric], model: dict[str, str] | None = None) -> Evidence:
    metrics: list[Metric] = []
    for part in parts:
        metrics.extend(part.metrics if isinstance(part, Evidence) else part)
    return Evidence(model=model or {}, metrics=tuple(metrics))
