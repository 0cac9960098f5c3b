"""A CI's keyless way into Google Cloud: a workload identity pool, an OIDC provider that admits one
token subject (one repository's branch), and a service account that only that subject may
impersonate. The platform CI (hub-gcp) and each team CI (spoke-gcp-<team>) get one each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infra import engine

g = engine.provider("google")


@dataclass(frozen=True)
class FederatedAccount:
    account: Any  # google_service_account
    provider: Any  # google_iam_workload_identity_pool_provider


def federated_account(
    scope: Any,
    ci: Any,
    *,
    ids: tuple[str, str, str, str],  # construct ids: pool, provider, account, federation binding
    pool_id: str,
    account_id: str,
    names: tuple[str, str, str],  # display names: pool, provider, account
    depends_on: Sequence[Any] = (),
) -> FederatedAccount:
    pool_cid, provider_cid, account_cid, binding_cid = ids
    pool_name, provider_name, account_name = names
    extra = {"depends_on": list(depends_on)} if depends_on else {}
    pool = g.iam_workload_identity_pool.IamWorkloadIdentityPool(
        scope, pool_cid, workload_identity_pool_id=pool_id, display_name=pool_name, **extra
    )
    wp = g.iam_workload_identity_pool_provider
    repository = "assertion.repository" if ci.provider == "github" else "assertion.project_path"
    provider = wp.IamWorkloadIdentityPoolProvider(
        scope, provider_cid, workload_identity_pool_id=pool.workload_identity_pool_id,
        workload_identity_pool_provider_id=ci.provider, display_name=provider_name,
        attribute_mapping={"google.subject": "assertion.sub", "attribute.repository": repository},
        attribute_condition=f"assertion.sub == '{ci.subject}'",  # that repository's branch, nothing else
        oidc=wp.IamWorkloadIdentityPoolProviderOidc(issuer_uri=f"https://{ci.issuer_host}"),
    )  # fmt: skip
    account = g.service_account.ServiceAccount(
        scope, account_cid, account_id=account_id, display_name=account_name, **extra
    )
    g.service_account_iam_member.ServiceAccountIamMember(
        scope, binding_cid, service_account_id=account.name, role="roles/iam.workloadIdentityUser",
        member=f"principal://iam.googleapis.com/{pool.name}/subject/{ci.subject}",
    )  # fmt: skip
    return FederatedAccount(account, provider)
