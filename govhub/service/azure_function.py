"""The hub service on Azure: who is calling, as App Service authentication (Entra ID) says.

The Function App (hub/stacks/azure.py) runs behind App Service authentication with
``require_authentication`` and ``Return401``: a request without a valid Entra token for the service's
app registration never reaches this code. For those that do, App Service injects the token's claims
as ``X-MS-CLIENT-PRINCIPAL`` (base64-encoded JSON: ``auth_typ``, ``claims: [{typ, val}]``,
``name_typ``, ``role_typ``) and strips any such header a client sent, so the header is the
authentication's word, never the caller's (Microsoft Learn, "Work with user identities in Azure App
Service authentication"; the shape is vendored in tests/fixtures/provider-formats/azure_app_service).

The caller becomes an :class:`~govhub.core.ports.Actor` in the hub's vocabulary:

- a team's CI signs in as the user-assigned identity its spoke created; Entra names it in the
  ``xms_mirid`` claim (the identity's ARM id). ``GOVHUB_AZURE_SUBMITTERS`` (set by the hub stack from
  platform.yaml) maps exactly those ids to their teams: the caller gets the team's submitter role;
- the platform CI's deployer identity (``GOVHUB_AZURE_DEPLOYER``) gets the CI deployer role;
- a person gets the approver or platform-admin role from the Entra group ids in the ``groups`` claim
  (``GOVHUB_APPROVER_GROUP_ID``, ``GOVHUB_PLATFORM_ADMIN_GROUP_ID``), named by ``preferred_username``.

Anything else (another tenant, no known identity or group, a malformed header) is refused: ``None``.
The stores behind the service on Azure (Blob audit log, Azure ML registry) are not built yet; this
module is the identity half of the adapter.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from govhub import vocabulary as v
from govhub.core.ports import Actor

PRINCIPAL_HEADER = "x-ms-client-principal"
SUBMITTERS_SETTING = "GOVHUB_AZURE_SUBMITTERS"
# Claim names after App Service's default claim mapping, and as the token spells them
CLAIMS = {
    "tid": ("http://schemas.microsoft.com/identity/claims/tenantid", "tid"),
    "oid": ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"),
    "xms_mirid": ("xms_mirid",),
    "groups": ("groups",),
    "name": ("preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "upn", "name"),
}


def submitters(settings: Mapping[str, str]) -> dict[str, str]:
    """The team CI identities the service accepts: lower-cased ARM id -> team."""
    table = json.loads(settings.get(SUBMITTERS_SETTING) or "{}")
    return {str(mirid).lower(): str(team) for mirid, team in table.items()}


def claims(header: str | None) -> dict[str, list[str]] | None:
    """The claims of an ``X-MS-CLIENT-PRINCIPAL`` header by short name, or None if it is not one."""
    if not header:
        return None
    try:
        payload = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("auth_typ") != "aad" or not isinstance(payload.get("claims"), list):
        return None
    found: dict[str, list[str]] = {}
    for claim in payload["claims"]:
        if not isinstance(claim, dict) or not isinstance(claim.get("val"), str):
            continue
        for short, spellings in CLAIMS.items():
            if claim.get("typ") in spellings:
                found.setdefault(short, []).append(claim["val"])
    return found


@dataclass(frozen=True)
class AzureAuthorities:
    """What the service knows from its own settings (never from a request)."""

    tenant_id: str
    hub_subscription_id: str
    submitters: Mapping[str, str]
    deployer: str = ""
    approver_group_id: str = ""
    platform_admin_group_id: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> AzureAuthorities:
        return cls(
            tenant_id=settings["GOVHUB_TENANT_ID"],
            hub_subscription_id=settings["GOVHUB_HUB_SUBSCRIPTION_ID"],
            submitters=submitters(settings),
            deployer=settings.get("GOVHUB_AZURE_DEPLOYER", "").lower(),
            approver_group_id=settings.get("GOVHUB_APPROVER_GROUP_ID", "").lower(),
            platform_admin_group_id=settings.get("GOVHUB_PLATFORM_ADMIN_GROUP_ID", "").lower(),
        )


def caller(headers: Mapping[str, str], authorities: AzureAuthorities) -> Actor | None:
    """The authenticated caller of one request, or None when authentication does not name a known one."""
    lowered = {k.lower(): val for k, val in headers.items()}
    found = claims(lowered.get(PRINCIPAL_HEADER))
    if found is None or [t.lower() for t in found.get("tid", [])] != [authorities.tenant_id.lower()]:
        return None
    hub = authorities.hub_subscription_id
    mirids = [m.lower() for m in found.get("xms_mirid", [])]
    if len(mirids) == 1:
        mirid = mirids[0]
        name = mirid.rsplit("/", 1)[-1]
        if mirid in authorities.submitters:
            return Actor(arn=mirid, account=hub, role=v.team_submitter(authorities.submitters[mirid]), name=name)
        if authorities.deployer and mirid == authorities.deployer:
            return Actor(arn=mirid, account=hub, role=v.CI_DEPLOYER, name=name)
        return None  # a managed identity the hub does not know
    if mirids:
        return None
    person = (found.get("name") or [""])[0]
    groups = {g.lower() for g in found.get("groups", [])}
    oid = (found.get("oid") or [""])[0]
    if not person or not oid:
        return None
    # an approver who is also a platform admin acts as approver: the narrower right, and the one that
    # the separation of duties checks (an admin can never approve their own promotion unnoticed)
    for group, role in (
        (authorities.approver_group_id, v.APPROVER),
        (authorities.platform_admin_group_id, v.PLATFORM_ADMIN),
    ):
        if group and group in groups:
            return Actor(arn=f"entra:{authorities.tenant_id}:{oid}", account=hub, role=role, name=person)
    return None


def principal_header(claim_values: Mapping[str, str | list[str]], auth_typ: str = "aad") -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` value in App Service's format, for tests and local runs."""
    items = []
    for typ, val in claim_values.items():
        for one in [val] if isinstance(val, str) else val:
            items.append({"typ": typ, "val": one})
    payload = {
        "auth_typ": auth_typ,
        "claims": items,
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()
