"""The adapter contract, artifact fetching (local paths and s3:// URIs) and the adapters' errors."""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from govhub.canonical import sha256_hex
from govhub.core.catalog import spec
from govhub.core.evidence import Evidence, Metric, Provenance


class AdapterError(ValueError):
    """An artifact or a launch config that an adapter cannot use; the message names the file, the
    field and the fix."""


@dataclass(frozen=True)
class Artifact:
    uri: str
    data: bytes

    @cached_property
    def sha256(self) -> str:
        return sha256_hex(self.data)

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    def text(self) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise AdapterError(f"{self.uri}: not UTF-8 text; give the artifact file itself") from None

    def json(self) -> Any:
        """The artifact parsed as JSON, once: ``kind_of`` and ``read`` share the parsed document."""
        return self._parsed

    @cached_property
    def _parsed(self) -> Any:
        try:
            return json.loads(self.text())
        except json.JSONDecodeError as exc:
            raise AdapterError(
                f"{self.uri}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None


def fetch(uri: str, s3_client: Any = None) -> Artifact:
    """Read one artifact from a local path or an ``s3://bucket/key`` URI."""
    if uri.startswith("s3://"):
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise AdapterError(f"{uri}: write s3://BUCKET/KEY")
        from botocore.exceptions import BotoCoreError, ClientError

        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        try:
            return Artifact(uri, s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise AdapterError(
                f"{uri}: cannot be read ({code}); check the URI and that your credentials may read it"
            ) from None
        except BotoCoreError as exc:
            raise AdapterError(f"{uri}: cannot be read ({exc}); check your AWS credentials and region") from None
    path = Path(uri.removeprefix("file://"))
    if not path.is_file():
        raise AdapterError(f"{uri}: file not found")
    return Artifact(path.resolve().as_uri(), path.read_bytes())


def number(value: Any, where: str) -> tuple[float | None, str | None]:
    """A native numeric value as (value, error). ``"Infinity"`` strings become infinities (which the
    gates then judge, never skip); null, NaN and text become an explicit error."""
    if isinstance(value, bool):
        return None, f"{where}: a boolean where a number was expected"
    if isinstance(value, (int, float)):
        return (None, f"{where}: NaN") if math.isnan(value) else (float(value), None)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("infinity", "inf", "+infinity"):
            return math.inf, None
        if lowered in ("-infinity", "-inf"):
            return -math.inf, None
        try:
            parsed = float(value)
        except ValueError:
            return None, f"{where}: {value!r} is not a number"
        return (None, f"{where}: NaN") if math.isnan(parsed) else (parsed, None)
    if value is None:
        return None, f"{where}: the tool reported no value"
    return None, f"{where}: {type(value).__name__} where a number was expected"


def validated(config: Any, model: Any, source: str) -> Any:
    """A launch config checked against its pydantic model; every problem named in one AdapterError."""
    from pydantic import ValidationError

    from govhub.problems import problem_report

    try:
        return model.model_validate(dict(config))
    except ValidationError as exc:
        raise AdapterError(problem_report(exc, source)) from None


def check_version(artifact: Artifact, doc: Any, field: str, supported: tuple[str, ...]) -> None:
    """A format version the adapter was written for, or one clear error (an absent version is accepted)."""
    if isinstance(doc, dict) and field in doc and str(doc[field]) not in supported:
        raise AdapterError(
            f"{artifact.uri}: {field} {doc[field]!r} is not a format version this adapter reads "
            f"(supported: {', '.join(supported)}); upgrade govhub or re-export the artifact"
        )


class Adapter(ABC):
    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]  # the artifact kinds read() understands
    tool: ClassVar[str]
    tool_version: ClassVar[str] = "unknown"

    @abstractmethod
    def launch(self, config: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Build and submit the native job from our config; return what was submitted."""

    @abstractmethod
    def read(self, artifacts: Sequence[Artifact]) -> Evidence:
        """Turn the native output artifacts into normalized evidence."""

    def provenance(self, artifact: Artifact, variant: str, tool_version: str | None = None) -> Provenance:
        return Provenance(
            artifact_uri=artifact.uri,
            artifact_sha256=artifact.sha256,
            tool=self.tool,
            tool_version=tool_version or self.tool_version,
            variant=variant,
        )

    def metric(
        self,
        artifact: Artifact,
        name: str,
        raw: Any,
        where: str,
        variant: str,
        *,
        group: Mapping[str, str] | None = None,
        feature: str | None = None,
        error: str | None = None,
        tool_version: str | None = None,
    ) -> Metric:
        value, problem = number(raw, where)
        if error:  # the tool's own error wins: it says why the value is missing
            value, problem = None, f"{where}: {error}"
        elif value is not None and (outside := spec(name).outside(value)):
            value, problem = None, f"{where}: {outside}"  # an impossible value fails its gate, never passes
        return Metric(
            name=name,
            value=value,
            error=problem,
            group=dict(group or {}),
            feature=feature,
            provenance=self.provenance(artifact, variant, tool_version),
        )

    def kind_of(self, artifact: Artifact) -> str:
        """The artifact kind, from its file name (adapters override when content decides)."""
        for kind in self.kinds:
            if artifact.name == kind or artifact.name.endswith(kind):
                return kind
        raise AdapterError(
            f"{artifact.uri}: the {self.name} adapter reads {', '.join(self.kinds)}; this file is none "
            "of them (rename it, or pick another --adapter)"
        )
