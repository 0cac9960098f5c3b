"""A FAKE Azure ML registry data plane behind :class:`~tools.fakes.azure_arm.FakeArm`: azure-ai-ml's real
``MLClient(registry_name=…)`` (registry discovery, the temporary data reference, the version PUT and its
ARM polling, gets and paged lists) runs unchanged, and only the HTTP answers come from here.

The bodies follow the published REST formats: the registry discovery answer of
``/registrymanagement/v1.0/registries/{name}/discovery``, and the ``2021-10-01-dataplanepreview`` model
container and model version resources (``properties.properties`` immutable, ``properties.tags`` and the
description mutable). A PUT of an existing version that changes its immutable properties or its model
URI is refused with 409, as the registry refuses it; a temporary data reference for an existing version
is a 409 ("asset already exists"), which the SDK takes as "skip the upload".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tools.fakes.azure_arm import RG, SUB, FakeArm

REGION = "westeurope"
MFE = f"https://cert-{REGION}.experiments.azureml.net/"


class FakeAzureMlRegistry:
    """One registry's models, in memory: ``models[name][version] = resource``."""

    def __init__(self, arm: FakeArm, registry: str = "acme-govhub-governed"):
        self.arm, self.registry = arm, registry
        self.models: dict[str, dict[str, dict[str, Any]]] = {}
        self.refused: list[str] = []
        base = rf"/providers/Microsoft.MachineLearningServices/registries/{re.escape(registry)}"
        arm.route("GET", rf"/registrymanagement/v1\.0/registries/{re.escape(registry)}/discovery$", self._discovery)
        arm.route("PUT", base + r"/tempdatarefs/([^/]+)/versions/([^/]+)$", self._tempdataref)
        arm.route("PUT", base + r"/models/([^/]+)/versions/([^/]+)$", self._put_version)
        arm.route("GET", base + r"/models/([^/]+)/versions/([^/]+)$", self._get_version)
        arm.route("GET", base + r"/models/([^/]+)/versions$", self._list_versions)
        arm.route("GET", base + r"/models/([^/]+)$", self._get_container)

    def _error(self, status: int, code: str, message: str) -> tuple[int, Any]:
        return status, {"error": {"code": code, "message": message}}

    def _discovery(self, m: re.Match, body: Any) -> tuple[int, Any]:
        return 200, {
            "registryName": self.registry,
            "primaryRegion": REGION,
            "primaryRegionResourceProviderUri": MFE,
            "registryFqdns": {REGION: {"primary": f"https://{REGION}.api.azureml.ms"}},
            "subscriptionId": SUB,
            "resourceGroup": RG,
        }

    def _tempdataref(self, m: re.Match, body: Any) -> tuple[int, Any]:
        if m[2] in self.models.get(m[1], {}):
            return self._error(409, "UserError", f"Asset {m[1]}:{m[2]} already exists")
        blob = f"https://{self.registry.replace('-', '')[:16]}store.blob.core.windows.net/{m[1]}-{m[2]}"
        return 200, {
            "blobReferenceForConsumption": {
                "blobUri": blob,
                "storageAccountArmId": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/"
                "storageAccounts/registrystore",
                "credential": {"credentialType": "SAS", "sasUri": blob + "?sv=2021-08-06&sig=fake"},
            },
            "temporaryDataReferenceId": f"{m[1]}-{m[2]}",
            "temporaryDataReferenceType": "TemporaryBlobReference",
        }

    def _put_version(self, m: re.Match, body: Any) -> tuple[int, Any]:
        name, version = m[1], m[2]
        sent = (body or {}).get("properties", {})
        existing = self.models.get(name, {}).get(version)
        if existing is not None:
            props = existing["properties"]
            if (sent.get("properties") or {}) != props["properties"] or sent.get("modelUri") != props["modelUri"]:
                self.refused.append(f"{name}/{version}")
                return self._error(
                    409, "UserError", f"Model {name}:{version} already exists; its properties and path are immutable"
                )
            props["tags"] = dict(sent.get("tags") or {})
            props["description"] = sent.get("description")
            existing["systemData"]["lastModifiedAt"] = _now()
            return 200, existing
        resource = {
            "id": f"azureml://registries/{self.registry}/models/{name}/versions/{version}",
            "name": version,
            "type": "Microsoft.MachineLearningServices/registries/models/versions",
            "properties": {
                "description": sent.get("description"),
                "tags": dict(sent.get("tags") or {}),
                "properties": dict(sent.get("properties") or {}),
                "isAnonymous": False,
                "isArchived": False,
                "flavors": dict(sent.get("flavors") or {}),
                "modelType": sent.get("modelType", "custom_model"),
                "modelUri": sent.get("modelUri"),
                "provisioningState": "Succeeded",
            },
            "systemData": {
                "createdAt": _now(),
                "createdBy": "govhub-hub-service",
                "createdByType": "Application",
                "lastModifiedAt": _now(),
            },  # fmt: skip
        }
        self.models.setdefault(name, {})[version] = resource
        return 201, resource

    def _get_version(self, m: re.Match, body: Any) -> tuple[int, Any]:
        found = self.models.get(m[1], {}).get(m[2])
        if found is None:
            return self._error(404, "UserError", f"Could not find asset with name {m[1]} and version {m[2]}")
        return 200, found

    def _list_versions(self, m: re.Match, body: Any) -> tuple[int, Any]:
        versions = list(self.models.get(m[1], {}).values())
        if self.arm.query.get("$orderBy", "").lower().startswith("createdtime desc"):
            versions.reverse()
        top = int(self.arm.query.get("$top") or 0)
        return 200, {"value": versions[:top] if top else versions}

    def _get_container(self, m: re.Match, body: Any) -> tuple[int, Any]:
        versions = self.models.get(m[1])
        if not versions:
            return self._error(404, "UserError", f"Could not find asset with name {m[1]}")
        latest = max(versions, key=lambda v: int(v) if v.isdigit() else 0)
        return 200, {
            "id": f"azureml://registries/{self.registry}/models/{m[1]}",
            "name": m[1],
            "type": "Microsoft.MachineLearningServices/registries/models",
            "properties": {
                "isArchived": False,
                "latestVersion": latest,
                "nextVersion": str(int(latest) + 1),
                "tags": {},
                "properties": {},
            },  # fmt: skip
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def registry_client(arm: FakeArm, registry: str = "acme-govhub-governed") -> Any:
    """azure-ai-ml's real ``MLClient`` for ``registry``, over the fake transport."""
    from azure.ai.ml import MLClient

    from tools.fakes.azure_arm import FakeCredential

    return MLClient(FakeCredential(), registry_name=registry, transport=arm)
