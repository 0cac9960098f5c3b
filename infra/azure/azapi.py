"""A small azapi binding: the ``azapi`` provider and ``azapi_resource``, on either CDK engine.

azurerm has no resource for an Azure ML registry (``Microsoft.MachineLearningServices/registries``)
or for the tenant's subscription policy (``Microsoft.Subscription/policies``), and CDKTF 0.21 ships
no prebuilt azapi binding. Generating one (``cdktf get``) would tie the estate to a download and to
one engine's generator, so this module writes the two blocks by hand through the engine's generic
classes (:class:`TerraformProvider`, :class:`TerraformResource`), which cdktf and CDK Terrain share:
the same JSON comes out of both (tests/infra/test_engine_parity.py).

Only the arguments govhub uses are typed here (azapi 2.x: ``type``, ``name``, ``parent_id``,
``location``, ``identity``, ``body`` as an HCL object, ``tags``, ``response_export_values``). checkov
has no azapi checks, so the guardrail rules GR-AZAPI-* (infra/guardrails.py) judge the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infra import engine

PROVIDER_SOURCE = "Azure/azapi"
PROVIDER_VERSION = "~> 2.5"  # azapi 2.x takes ``body`` as an object (1.x took a JSON string)
RESOURCE_TYPE = "azapi_resource"

_METADATA = engine.TerraformProviderGeneratorMetadata(
    provider_name="azapi", provider_version_constraint=PROVIDER_VERSION
)


class AzapiProvider(engine.TerraformProvider):
    """``provider "azapi"``: ARM with OIDC, like the azurerm provider next to it (no client secret)."""

    def __init__(self, scope: Any, id_: str, *, tenant_id: str, subscription_id: str, alias: str | None = None):
        super().__init__(
            scope,
            id_,
            terraform_resource_type="azapi",
            terraform_generator_metadata=_METADATA,
            terraform_provider_source=PROVIDER_SOURCE,
        )
        attributes = {"tenant_id": tenant_id, "subscription_id": subscription_id, "use_oidc": True}
        if alias:
            attributes["alias"] = alias
        for key, value in attributes.items():
            self.add_override(key, value)


class AzapiResource(engine.TerraformResource):
    """``resource "azapi_resource"``: one ARM resource of ``type`` (``Namespace/kind@api-version``)."""

    def __init__(
        self,
        scope: Any,
        id_: str,
        *,
        type: str,  # noqa: A002 - azapi's own argument name
        name: str,
        parent_id: str,
        body: Mapping[str, Any],
        location: str | None = None,
        identity: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        response_export_values: Sequence[str] = (),
        provider: engine.TerraformProvider | None = None,
    ):
        if "@" not in type:
            raise ValueError(f"azapi type {type!r} needs its API version: Namespace/kind@YYYY-MM-DD")
        super().__init__(
            scope, id_, terraform_resource_type=RESOURCE_TYPE, terraform_generator_metadata=_METADATA, provider=provider
        )
        self.arm_type = type
        self._tags = dict(tags) if tags is not None else None
        attributes: dict[str, Any] = {"type": type, "name": name, "parent_id": parent_id, "body": dict(body)}
        if location is not None:
            attributes["location"] = location
        if identity is not None:
            attributes["identity"] = [dict(identity)]
        if self._tags is not None:
            attributes["tags"] = self._tags
        if response_export_values:
            attributes["response_export_values"] = list(response_export_values)
        for key, value in attributes.items():
            self.add_override(key, value)

    @property
    def govhub_taggable(self) -> bool:
        """Whether the guardrail aspect holds this resource to GR-TAGS: ARM types that take tags are
        created with ``tags`` (tenant-level settings such as ``Microsoft.Subscription/policies`` take none)."""
        return self._tags is not None

    @property
    def id(self) -> str:
        return str(self.get_string_attribute("id"))
