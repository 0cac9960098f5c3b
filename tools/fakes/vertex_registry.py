"""A FAKE Vertex AI Model Registry on :class:`~tools.fakes.http.FakeRest`: google-cloud-aiplatform's real
``Model.upload``, ``Model`` and ``ModelRegistry`` run over their REST transport (``api_transport="rest"``),
and only the HTTP answers come from here, in the published v1 REST formats:

- ``models:upload`` answers a finished long-running operation whose response is an
  ``UploadModelResponse`` (``model``, ``modelVersionId``); a ``modelId`` that exists is ALREADY_EXISTS,
  a ``parentModel`` that does not is NOT_FOUND; versions number from 1 per model;
- ``models.get`` on ``{model}@{version}`` (or an alias), ``models:listVersions`` (paged), ``models.patch``
  with ``updateMask=labels`` on ``{model}@{version}`` (version labels, as the API documents), and
  ``:mergeVersionAliases`` (an alias is unique within a model: adding it to one version removes it from
  the others; ``-alias`` removes it; the first version gets ``default``).
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from tools.fakes.http import FakeRest, fake_rest

PROJECT, LOCATION = "acme-govhub-hub", "europe-west4"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


class FakeVertexModels:
    def __init__(self, rest: FakeRest, page_size: int = 2):
        self.rest, self.page_size = rest, page_size
        self.models: dict[str, list[dict[str, Any]]] = {}
        self.operations = 0
        base = r"/v1/projects/([^/]+)/locations/([^/]+)/models"
        rest.route("POST", base + r":upload$", self._upload)
        rest.route("GET", base + r"/([^/:@%]+)(?:@|%40)([^/:]+)$", self._get)
        rest.route("GET", base + r"/([^/:@%]+)$", lambda m, b: self._get(m, b, "default"))
        rest.route("GET", base + r"/([^/:@%]+):listVersions$", self._list_versions)
        rest.route("PATCH", base + r"/([^/:@%]+)(?:@|%40)([^/:]+)$", self._patch)
        rest.route("POST", base + r"/([^/:@%]+)(?:@|%40)([^/:]+):mergeVersionAliases$", self._merge_aliases)

    @staticmethod
    def _error(status: int, state: str, message: str) -> tuple[int, Any]:
        return status, {"error": {"code": status, "message": message, "status": state}}

    def _find(self, model_id: str, version: str) -> dict[str, Any] | None:
        for resource in self.models.get(model_id, []):
            if resource["versionId"] == version or version in resource["versionAliases"]:
                return resource
        return None

    def _upload(self, m: re.Match, body: Any) -> tuple[int, Any]:
        parent = f"projects/{m[1]}/locations/{m[2]}"
        parent_model, model_id = body.get("parentModel"), body.get("modelId")
        if parent_model:
            model_id = parent_model.rsplit("/", 1)[-1]
            if model_id not in self.models:
                return self._error(404, "NOT_FOUND", f"Model {parent_model} not found.")
        else:
            model_id = model_id or str(4_000_000_000 + len(self.models))
            if model_id in self.models:
                return self._error(409, "ALREADY_EXISTS", f"Model {parent}/models/{model_id} already exists.")
        sent, versions = body.get("model", {}), self.models.setdefault(model_id, [])
        now = _now()
        version = str(len(versions) + 1)
        aliases = [a for a in sent.get("versionAliases", []) if not a.startswith("-")]
        if not versions and "default" not in aliases:
            aliases.append("default")
        for other in versions:  # aliases are unique within a model
            other["versionAliases"] = [a for a in other["versionAliases"] if a not in aliases]
        resource = {
            "name": f"{parent}/models/{model_id}",
            "displayName": sent.get("displayName", model_id),
            "description": sent.get("description", ""),
            "versionId": version,
            "versionAliases": aliases,
            "versionCreateTime": now,
            "versionUpdateTime": now,
            "versionDescription": sent.get("versionDescription", ""),
            "labels": dict(sent.get("labels", {})),
            "artifactUri": sent.get("artifactUri", ""),
            "containerSpec": sent.get("containerSpec", {}),
            "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
            "createTime": versions[0]["createTime"] if versions else now,
            "updateTime": now,
            "etag": f"etag-{model_id}-{version}",
        }
        versions.append(resource)
        self.operations += 1
        return 200, {
            "name": f"{parent}/models/{model_id}/operations/{self.operations}",
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelOperationMetadata",
                "genericMetadata": {"createTime": now, "updateTime": now},
            },
            "done": True,
            "response": {
                "@type": "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelResponse",
                "model": f"{parent}/models/{model_id}",
                "modelVersionId": version,
            },
        }

    def _get(self, m: re.Match, body: Any, version: str | None = None) -> tuple[int, Any]:
        found = self._find(m[3], version or unquote(m[4]))
        if found is None:
            return self._error(404, "NOT_FOUND", f"Model {PARENT}/models/{m[3]}@{version or m[4]} not found.")
        return 200, found

    def _list_versions(self, m: re.Match, body: Any) -> tuple[int, Any]:
        versions = self.models.get(m[3])
        if versions is None:
            return self._error(404, "NOT_FOUND", f"Model {PARENT}/models/{m[3]} not found.")
        query = dict(parse_qsl(self.rest.requests[-1].query))
        start = int(query.get("pageToken") or 0)
        page = versions[start : start + self.page_size]
        answer: dict[str, Any] = {"models": page}
        if start + self.page_size < len(versions):
            answer["nextPageToken"] = str(start + self.page_size)
        return 200, answer

    def _patch(self, m: re.Match, body: Any) -> tuple[int, Any]:
        found = self._find(m[3], unquote(m[4]))
        if found is None:
            return self._error(404, "NOT_FOUND", f"Model {PARENT}/models/{m[3]}@{m[4]} not found.")
        mask = dict(parse_qsl(self.rest.requests[-1].query)).get("updateMask", "")
        for field in filter(None, mask.split(",")):
            key = {"labels": "labels", "version_description": "versionDescription"}.get(field, field)
            if key not in ("labels", "versionDescription"):
                return self._error(400, "INVALID_ARGUMENT", f"{field} cannot be updated on a model version")
            found[key] = copy.deepcopy(body.get(key, {} if key == "labels" else ""))
        found["versionUpdateTime"] = _now()
        return 200, found

    def _merge_aliases(self, m: re.Match, body: Any) -> tuple[int, Any]:
        found = self._find(m[3], unquote(m[4]))
        if found is None:
            return self._error(404, "NOT_FOUND", f"Model {PARENT}/models/{m[3]}@{m[4]} not found.")
        for alias in body.get("versionAliases", []):
            if alias.startswith("-"):
                found["versionAliases"] = [a for a in found["versionAliases"] if a != alias[1:]]
                continue
            for other in self.models[m[3]]:
                other["versionAliases"] = [a for a in other["versionAliases"] if a != alias]
            found["versionAliases"].append(alias)
        return 200, found


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextlib.contextmanager
def vertex_registry(root: Path, sidecars: Any = None) -> Iterator[Any]:
    """A :class:`~govhub.backends.gcp.registry.VertexRegistry` over the fake (``.fake``: the models, ``.rest``:
    the recorded requests); sidecars in ``sidecars`` (an object store) or a folder under ``root``."""
    from google.auth.credentials import AnonymousCredentials

    from govhub.backends.gcp.registry import VertexRegistry
    from govhub.core.store import LocalStore

    with fake_rest() as rest:
        fake = FakeVertexModels(rest)
        if sidecars is None:
            (root / "hub-artifacts").mkdir(parents=True, exist_ok=True)
            sidecars = LocalStore(root / "hub-artifacts")
        backend = VertexRegistry(
            project=PROJECT, location=LOCATION, sidecars=sidecars, credentials=AnonymousCredentials(),
            api_endpoint=rest.url,
        )  # fmt: skip
        backend.fake, backend.rest = fake, rest  # type: ignore[attr-defined]
        yield backend
