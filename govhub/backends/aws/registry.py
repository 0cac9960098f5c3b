"""The hub registry on AWS: the SageMaker Model Registry in the hub account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govhub.core.registry import PENDING, ModelVersion, RegistryBackend, RegistryError, UnknownVersion


class SageMakerRegistry(RegistryBackend):
    """SageMaker Model Registry: versions are model packages in the team's group in the hub account.

    Decision and evidence documents are attached as ``ModelMetrics`` reports (S3 URIs in the hub's
    artifact bucket); digests, the policy and the workflow state are ``CustomerMetadataProperties``;
    the code commit and training job are ``MetadataProperties``."""

    name = "sagemaker"

    def __init__(self, client: Any):
        self.client = client

    def _call(self, what: str, fn, **kwargs) -> Any:
        from botocore.exceptions import ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = exc.response.get("Error", {}).get("Message", "")
            if "does not exist" in message or "not found" in message.lower() or code == "ResourceNotFound":
                raise UnknownVersion(f"{what}: {message or code}") from None
            if code in ("AccessDeniedException", "AccessDenied"):
                raise RegistryError(f"{what} was denied; assume the hub role that may do this") from None
            raise RegistryError(f"{what} failed: {code} {message}".strip()) from None

    def register(
        self,
        group: str,
        *,
        description: str,
        metadata: Mapping[str, str],
        artifacts: Mapping[str, str],
        lineage: Mapping[str, str],
    ) -> ModelVersion:
        kwargs: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelPackageDescription": description[:1000],
            "ModelApprovalStatus": PENDING,
            "CustomerMetadataProperties": dict(metadata),
            "MetadataProperties": {
                k: v
                for k, v in {
                    "CommitId": lineage.get("code_commit"),
                    "GeneratedBy": lineage.get("training_job"),
                    "Repository": lineage.get("repository"),
                }.items()
                if v
            },
            "ModelMetrics": {
                "Bias": {"Report": {"ContentType": "application/json", "S3Uri": artifacts["decision"]}},
                "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": artifacts["evidence"]}},
            },
        }
        try:
            arn = self._call(
                f"registering a version in model package group {group}", self.client.create_model_package, **kwargs
            )["ModelPackageArn"]
        except UnknownVersion as exc:
            raise RegistryError(
                f"{exc}; the hub stack creates one group per team and use case: add the use case to "
                "platform.yaml and deploy the hub"
            ) from None
        return self._describe(arn)

    def _describe(self, arn: str) -> ModelVersion:
        d = self._call(f"reading {arn}", self.client.describe_model_package, ModelPackageName=arn)
        return ModelVersion(
            group=d.get("ModelPackageGroupName", ""),
            version=int(d.get("ModelPackageVersion", 0)),
            arn=d["ModelPackageArn"],
            status=d.get("ModelApprovalStatus", PENDING),
            metadata=dict(d.get("CustomerMetadataProperties") or {}),
            description=d.get("ModelPackageDescription", ""),
            created=str(d.get("CreationTime", "")),
        )

    def _arns(self, group: str) -> list[tuple[int, str]]:
        out, token = [], None
        while True:
            kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            page = self._call(f"listing model package group {group}", self.client.list_model_packages, **kwargs)
            out += [
                (int(s.get("ModelPackageVersion", 0)), s["ModelPackageArn"])
                for s in page.get("ModelPackageSummaryList", [])
            ]
            token = page.get("NextToken")
            if not token:
                return sorted(out)

    def get(self, group: str, version: int) -> ModelVersion:
        for v, arn in self._arns(group):
            if v == version:
                return self._describe(arn)
        raise UnknownVersion.of(group, version)

    def update(
        self,
        mv: ModelVersion,
        *,
        status: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        kwargs: dict[str, Any] = {
            "ModelPackageArn": mv.arn,
            # the full set each time: SageMaker merges, some emulators replace
            "CustomerMetadataProperties": {**mv.metadata, **(metadata or {})},
        }
        kwargs["ModelApprovalStatus"] = status or mv.status  # always sent: moto clears an omitted status
        if description:
            kwargs["ApprovalDescription"] = description[:1000]
        self._call(f"updating {mv.ref}", self.client.update_model_package, **kwargs)
        return self._describe(mv.arn)

    def versions(self, group: str) -> list[ModelVersion]:
        return [self._describe(arn) for _, arn in self._arns(group)]
