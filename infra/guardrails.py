"""Guardrail rules over a synthesized Terraform JSON document.

The rules are plain functions of the resolved stack document (the same JSON that ``cdktf synth``
writes), so they can be tested without the CDK engine and run the same way on any engine.
:mod:`infra.aspects` runs them on every stack right after the synth, and a violation refuses it.

An exception to a rule is an explicit acknowledgement, recorded in the resource's ``//`` comment
block as ``govhub_acknowledgements: {RULE: reason}``; the reason is therefore visible in the
synthesized output that reviewers read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from infra.azure import arm_types
from infra.azure.roles import BUILTIN_ROLE_IDS

ACK_KEY = "govhub_acknowledgements"
MIN_REASON_LENGTH = 20

RULES: Mapping[str, str] = {
    "GR-S3-ENCRYPTION": "S3 buckets must have default SSE-KMS encryption",
    "GR-S3-PUBLIC-ACCESS": "S3 buckets must have a public access block with all four settings on",
    "GR-TAGS": "taggable resources must carry the required tags",
    "GR-IAM-ADMIN": "IAM policies must not allow every action on every resource",
    # Azure (azurerm; checkov has no azapi checks, so azapi resources have rules of their own)
    "GR-AZ-STORAGE-CMK": "Azure storage accounts must be encrypted with a customer-managed key",
    "GR-AZ-STORAGE-PUBLIC": "Azure storage accounts must deny public network access, public blobs and shared keys",
    "GR-AZ-ML-PUBLIC": "Azure ML workspaces must not allow public network access",
    "GR-AZ-ROLE-MG": "no Owner or Contributor role assignment at management-group scope",
    "GR-AZAPI-TYPE": "azapi resources must be of a reviewed ARM type at its pinned API version",
    "GR-AZAPI-ML-REGISTRY": "Azure ML registries must deny public network access and public blobs",
    "GR-AZAPI-SUBSCRIPTION-POLICY": "the tenant's subscription policy must keep subscriptions in the tenant",
    # Google Cloud
    "GR-GCP-BUCKET-CMEK": "GCS buckets must have a default Cloud KMS key (CMEK)",
    "GR-GCP-BUCKET-UNIFORM": "GCS buckets must use uniform bucket-level access and prevent public access",
    "GR-GCP-PUBLIC-MEMBER": "IAM must not grant anything to allUsers or allAuthenticatedUsers",
    "GR-GCP-PRIMITIVE-ROLE": "IAM must not grant the primitive roles owner or editor",
    "GR-LABELS": "labelled Google resources must carry the required tags as lower-case labels",
}
# Azure's built-in role definition ids (the same in every tenant) for the two roles GR-AZ-ROLE-MG refuses.
AZURE_OWNER_ROLE_ID = BUILTIN_ROLE_IDS["Owner"]
AZURE_CONTRIBUTOR_ROLE_ID = BUILTIN_ROLE_IDS["Contributor"]
MANAGEMENT_GROUP_SCOPE = "/providers/Microsoft.Management/managementGroups/"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
# Google resources whose ``labels`` attribute is configuration: their labels live elsewhere.
LABEL_ATTRIBUTES = {"google_monitoring_notification_channel": "user_labels"}
PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor"})
# Resource types whose tags must also carry the risk tier of what they hold.
RISK_SCOPED_TYPES = frozenset({"aws_sagemaker_model_package_group"})
RISK_TAG = "risk-tier"
# Attributes that hold an IAM policy document as a JSON string.
POLICY_ATTRIBUTES = ("policy", "assume_role_policy", "content", "access_policies")

ERR_ACK_UNKNOWN_RULE = "unknown guardrail rule {rule!r}; known rules: {known}"
ERR_ACK_REASON = (
    "acknowledging {rule} needs a written reason of at least {n} characters that a reviewer can accept (got {got!r})"
)


class AcknowledgementError(ValueError):
    pass


def validate_acknowledgement(rule: str, reason: str) -> None:
    if rule not in RULES:
        raise AcknowledgementError(ERR_ACK_UNKNOWN_RULE.format(rule=rule, known=", ".join(RULES)))
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH:
        raise AcknowledgementError(ERR_ACK_REASON.format(rule=rule, n=MIN_REASON_LENGTH, got=reason))


@dataclass(frozen=True)
class Violation:
    rule: str
    address: str  # e.g. aws_s3_bucket.audit
    path: str  # construct path, e.g. hub-aws/audit-bucket/bucket
    message: str

    def render(self) -> str:
        return f"[{self.rule}] {self.address} ({self.path}): {self.message}"


def iter_resources(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for rtype, items in (doc.get("resource") or {}).items():
        for name, body in items.items():
            yield rtype, name, body


def _path(body: Mapping[str, Any]) -> str:
    return ((body.get("//") or {}).get("metadata") or {}).get("path", "")


def _acks(body: Mapping[str, Any]) -> Mapping[str, str]:
    return (body.get("//") or {}).get(ACK_KEY) or {}


def _refs_to(value: Any, rtype: str, name: str, attrs: str = "id|bucket") -> bool:
    return isinstance(value, str) and bool(
        re.search(rf"\$\{{{re.escape(rtype)}\.{re.escape(name)}\.({attrs})\}}", value)
    )


def check_document(doc: Mapping[str, Any], *, required_tags: Iterable[str], taggable: Iterable[str]) -> list[Violation]:
    """All violations in one resolved stack document.

    ``taggable`` lists the addresses (``type.name``) whose resource type supports tags; the JSON
    alone cannot tell an untagged taggable resource from one that has no tags at all.
    """
    required = tuple(required_tags)
    taggable = set(taggable)
    resources = list(iter_resources(doc))
    found: list[Violation] = []

    def add(rule: str, rtype: str, name: str, body: Mapping[str, Any], message: str) -> None:
        if rule in _acks(body):
            return
        found.append(Violation(rule, f"{rtype}.{name}", _path(body), message))

    encrypted: set[str] = set()
    blocked: set[str] = set()
    buckets = [(n, b) for t, n, b in resources if t == "aws_s3_bucket"]
    for rtype, _name, body in resources:
        if rtype == "aws_s3_bucket_server_side_encryption_configuration":
            rules = body.get("rule") or []
            if any(
                (r.get("apply_server_side_encryption_by_default") or {}).get("sse_algorithm", "").startswith("aws:kms")
                and (r.get("apply_server_side_encryption_by_default") or {}).get("kms_master_key_id")
                for r in rules
            ):
                encrypted.update(n for n, _ in buckets if _refs_to(body.get("bucket"), "aws_s3_bucket", n))
        elif rtype == "aws_s3_bucket_public_access_block":
            if all(
                body.get(k) is True
                for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
            ):
                blocked.update(n for n, _ in buckets if _refs_to(body.get("bucket"), "aws_s3_bucket", n))
    for name, body in buckets:
        if name not in encrypted:
            add(
                "GR-S3-ENCRYPTION",
                "aws_s3_bucket",
                name,
                body,
                "no aws_s3_bucket_server_side_encryption_configuration with sse_algorithm aws:kms and a "
                "customer-managed kms_master_key_id refers to this bucket; add one (infra.aws.SecureBucket does)",
            )
        if name not in blocked:
            add(
                "GR-S3-PUBLIC-ACCESS",
                "aws_s3_bucket",
                name,
                body,
                "no aws_s3_bucket_public_access_block with block_public_acls, block_public_policy, "
                "ignore_public_acls and restrict_public_buckets all true refers to this bucket; add one",
            )

    _azure(resources, add)
    _azapi(resources, add)
    _gcp(resources, add)
    for rtype, name, body in resources:
        address = f"{rtype}.{name}"
        if address in taggable and rtype.startswith("google_"):
            labels = body.get(LABEL_ATTRIBUTES.get(rtype, "labels")) or {}
            wanted = [t.lower() for t in required]
            missing = [t for t in wanted if not str(labels.get(t, "")).strip()]
            upper = sorted(f"{k}={v}" for k, v in labels.items() if k != k.lower() or str(v) != str(v).lower())
            if missing or upper:
                add(
                    "GR-LABELS",
                    rtype,
                    name,
                    body,
                    (f"missing required label(s) {', '.join(missing)}" if missing else "")
                    + ("; " if missing and upper else "")
                    + (f"labels must be lower-case, found {', '.join(upper)}" if upper else "")
                    + "; the required tags become labels with lower-case keys and values",
                )
            continue
        if address in taggable:
            tags = body.get("tags") or {}
            need = required + ((RISK_TAG,) if rtype in RISK_SCOPED_TYPES and RISK_TAG not in required else ())
            missing = [t for t in need if not str(tags.get(t, "")).strip()]
            if missing:
                add(
                    "GR-TAGS",
                    rtype,
                    name,
                    body,
                    f"missing required tag(s) {', '.join(missing)}; "
                    f"set tags={{{', '.join(repr(t) + ': ...' for t in missing)}}}",
                )
        for attr in POLICY_ATTRIBUTES:
            for sid in _admin_statements(body.get(attr)):
                add(
                    "GR-IAM-ADMIN",
                    rtype,
                    name,
                    body,
                    f"statement {sid} in {attr} allows Action '*' on Resource "
                    "'*'; name the actions and resources it needs",
                )
        for i, inline in enumerate(body.get("inline_policy") or []):
            for sid in _admin_statements(inline.get("policy")):
                add(
                    "GR-IAM-ADMIN",
                    rtype,
                    name,
                    body,
                    f"statement {sid} in inline_policy[{i}] allows Action '*' "
                    "on Resource '*'; name the actions and resources it needs",
                )
    return found


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _admin_statements(policy: Any) -> list[str]:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return []
    if not isinstance(policy, dict):
        return []
    out = []
    for i, st in enumerate(_as_list(policy.get("Statement") or [])):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "*" in _as_list(st.get("Action")) and "*" in _as_list(st.get("Resource")):
            out.append(repr(st.get("Sid") or f"#{i}"))
    return out


Add = Any  # the checker's ``add(rule, rtype, name, body, message)``


def _azure(resources: list[tuple[str, str, Mapping[str, Any]]], add: Add) -> None:
    """Storage without a customer-managed key or open to the public, ML workspaces reachable from the
    internet, and Owner or Contributor granted at management-group scope."""
    accounts = [(n, b) for t, n, b in resources if t == "azurerm_storage_account"]
    cmk = {
        n
        for t, _, b in resources
        if t == "azurerm_storage_account_customer_managed_key"
        for n, _ in accounts
        if _refs_to(b.get("storage_account_id"), "azurerm_storage_account", n, "id|name")
    }
    for name, body in accounts:
        if name not in cmk and not (body.get("customer_managed_key") or []):
            add("GR-AZ-STORAGE-CMK", "azurerm_storage_account", name, body,
                "no customer_managed_key block and no azurerm_storage_account_customer_managed_key refers to this "
                "account; encrypt it with a Key Vault key (and set infrastructure_encryption_enabled)")  # fmt: skip
        open_ = [
            f"{k} is not {want}"
            for k, want in (
                ("public_network_access_enabled", False),
                ("allow_nested_items_to_be_public", False),
                ("shared_access_key_enabled", False),
            )  # fmt: skip
            if body.get(k) is not want
        ]
        if open_:
            add("GR-AZ-STORAGE-PUBLIC", "azurerm_storage_account", name, body,
                f"{'; '.join(open_)} (each defaults to true); set them to false and reach the account through "
                "private endpoints and Entra ID")  # fmt: skip
    for rtype, name, body in resources:
        if rtype == "azurerm_machine_learning_workspace" and body.get("public_network_access_enabled") is not False:
            add("GR-AZ-ML-PUBLIC", rtype, name, body,
                "public_network_access_enabled is not false (it defaults to true); set it to false and use the "
                "managed virtual network with private endpoints")  # fmt: skip
        if rtype == "azurerm_role_assignment" and MANAGEMENT_GROUP_SCOPE.lower() in str(body.get("scope", "")).lower():
            role = str(body.get("role_definition_name") or "")
            role_id = str(body.get("role_definition_id") or "").lower()
            if role in ("Owner", "Contributor") or role_id.endswith((AZURE_OWNER_ROLE_ID, AZURE_CONTRIBUTOR_ROLE_ID)):
                add("GR-AZ-ROLE-MG", rtype, name, body,
                    f"grants {role or role_id} at management-group scope, which reaches every subscription below "
                    "it; grant a narrower role, or the role at one subscription or resource group")  # fmt: skip


def _azapi(resources: list[tuple[str, str, Mapping[str, Any]]], add: Add) -> None:
    """azapi resources, which checkov cannot read: only reviewed ARM types, each judged by its own rule."""
    for rtype, name, body in resources:
        if rtype != "azapi_resource":
            continue
        arm_type = str(body.get("type", ""))
        props = (body.get("body") or {}).get("properties") or {}
        if arm_type not in arm_types.REVIEWED:
            add("GR-AZAPI-TYPE", rtype, name, body,
                f"type {arm_type!r} is not among the reviewed azapi types ({', '.join(sorted(arm_types.REVIEWED))}); "
                "use the azurerm resource if there is one, else add the type to infra/azure/arm_types.py with a "
                "guardrail rule for it")  # fmt: skip
        elif arm_type == arm_types.ML_REGISTRY:
            found = []
            if props.get("publicNetworkAccess") != "Disabled":
                found.append('properties.publicNetworkAccess is not "Disabled"')
            for region in props.get("regionDetails") or [{}]:
                for store in region.get("storageAccountDetails") or [{}]:
                    created = store.get("systemCreatedStorageAccount")
                    if created is not None and created.get("allowBlobPublicAccess") is not False:
                        found.append("a systemCreatedStorageAccount does not set allowBlobPublicAccess: false")
            if found:
                add("GR-AZAPI-ML-REGISTRY", rtype, name, body,
                    f"{'; '.join(found)}; set them, and reach the registry through private endpoints")  # fmt: skip
        elif arm_type == arm_types.SUBSCRIPTION_POLICY:
            if props.get("blockSubscriptionsLeavingTenant") is not True or props.get("exemptedPrincipals"):
                add("GR-AZAPI-SUBSCRIPTION-POLICY", rtype, name, body,
                    "set properties.blockSubscriptionsLeavingTenant: true with no exemptedPrincipals, so that no "
                    "subscription (and its history) can leave the guardrails' tenant")  # fmt: skip


def _gcp(resources: list[tuple[str, str, Mapping[str, Any]]], add: Add) -> None:
    """Buckets without CMEK or uniform access, public IAM members and primitive roles."""
    for rtype, name, body in resources:
        if rtype == "google_storage_bucket":
            keys = [
                e.get("default_kms_key_name") for e in _as_list(body.get("encryption") or []) if isinstance(e, dict)
            ]
            if not any(keys):
                add("GR-GCP-BUCKET-CMEK", rtype, name, body,
                    "no encryption.default_kms_key_name; set it to a Cloud KMS key of the project (CMEK)")  # fmt: skip
            if (
                body.get("uniform_bucket_level_access") is not True
                or body.get("public_access_prevention") != "enforced"
            ):
                add("GR-GCP-BUCKET-UNIFORM", rtype, name, body,
                    "set uniform_bucket_level_access = true and public_access_prevention = \"enforced\"")  # fmt: skip
        if not (rtype.startswith("google_") and re.search(r"_iam_(member|binding|policy)$", rtype)):
            continue
        grants: list[tuple[str, str]] = []
        if rtype.endswith("_iam_member"):
            grants.append((str(body.get("role", "")), str(body.get("member", ""))))
        elif rtype.endswith("_iam_binding"):
            grants += [(str(body.get("role", "")), str(m)) for m in _as_list(body.get("members") or [])]
        else:
            policy = body.get("policy_data")
            try:
                doc = json.loads(policy) if isinstance(policy, str) else policy
            except ValueError:
                doc = None
            for b in (doc or {}).get("bindings", []) if isinstance(doc, dict) else []:
                grants += [(str(b.get("role", "")), str(m)) for m in _as_list(b.get("members") or [])]
        public = sorted({m for _, m in grants if m in PUBLIC_MEMBERS})
        if public:
            add("GR-GCP-PUBLIC-MEMBER", rtype, name, body,
                f"grants to {', '.join(public)}; grant to named service accounts or groups instead")  # fmt: skip
        primitive = sorted({r for r, _ in grants if r in PRIMITIVE_ROLES})
        if primitive:
            add("GR-GCP-PRIMITIVE-ROLE", rtype, name, body,
                f"grants {', '.join(primitive)}; grant the predefined or custom roles the work needs")  # fmt: skip
