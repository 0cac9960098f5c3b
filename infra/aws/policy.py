"""IAM policy documents as data.

Statements are built as plain dictionaries and serialised once, so that the synthesized JSON
holds ordinary policy documents that reviewers, checkov and the guardrail rules can read. Values
may contain engine tokens (ARNs of resources in the same stack); the engine resolves them inside
the JSON string at synth time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

VERSION = "2012-10-17"


def statement(
    sid: str,
    actions: str | Iterable[str],
    resources: str | Iterable[str] = (),
    *,
    effect: str = "Allow",
    principals: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
    not_actions: Iterable[str] | None = None,
    not_resources: Iterable[str] | None = None,
) -> dict:
    st: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principals is not None:
        st["Principal"] = dict(principals)
    if not_actions is not None:
        st["NotAction"] = sorted(not_actions)
    elif actions:
        st["Action"] = [actions] if isinstance(actions, str) else list(actions)
    if not_resources is not None:
        st["NotResource"] = list(not_resources)
    elif resources:
        st["Resource"] = [resources] if isinstance(resources, str) else list(resources)
    if conditions:
        st["Condition"] = {op: dict(body) for op, body in conditions.items()}
    return st


def document(*statements: Mapping[str, Any]) -> str:
    sids = [s["Sid"] for s in statements]
    duplicated = {s for s in sids if sids.count(s) > 1}
    if duplicated:
        raise ValueError(f"duplicate statement ids in policy: {sorted(duplicated)}")
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, indent=None, sort_keys=False)


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def deny_insecure_transport(*resources: str) -> dict:
    return statement(
        "DenyInsecureTransport",
        "s3:*",
        list(resources),
        effect="Deny",
        principals={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def service_principal(service: str) -> dict:
    return {"Service": f"{service}.amazonaws.com"}


def service_trust(sid: str, service: str, source_account: str) -> str:
    """A trust policy for an AWS service acting on behalf of ``source_account`` only (no confused deputy)."""
    return document(
        statement(
            sid,
            "sts:AssumeRole",
            principals=service_principal(service),
            conditions={"StringEquals": {"aws:SourceAccount": source_account}},
        )
    )
