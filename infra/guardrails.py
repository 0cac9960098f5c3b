"""Guardrail rules over a synthesized Terraform JSON document.

The rules are plain functions of the resolved stack document (the same JSON that ``cdktf synth``
writes), so they can be tested without the CDK engine and run the same way on any engine. The
aspect in :mod:`infra.aspects` applies them at synth time and turns each violation into an error
annotation on the offending construct, which makes synthesis fail.

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

ACK_KEY = "govhub_acknowledgements"
MIN_REASON_LENGTH = 20

RULES: Mapping[str, str] = {
    "GR-S3-ENCRYPTION": "S3 buckets must have default SSE-KMS encryption",
    "GR-S3-PUBLIC-ACCESS": "S3 buckets must have a public access block with all four settings on",
    "GR-TAGS": "taggable resources must carry the required tags",
    "GR-IAM-ADMIN": "IAM policies must not allow every action on every resource",
}
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


def _refs_to(value: Any, rtype: str, name: str) -> bool:
    return isinstance(value, str) and bool(
        re.search(rf"\$\{{{re.escape(rtype)}\.{re.escape(name)}\.(id|bucket)\}}", value)
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

    for rtype, name, body in resources:
        address = f"{rtype}.{name}"
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
