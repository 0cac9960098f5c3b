"""The hub service's Azure identity adapter: App Service authentication's client-principal header
(format from Microsoft Learn, tests/fixtures/provider-formats/azure_app_service) to the hub's roles.
No Function App runtime exists here, so the header is built in the published shape and the settings
are the ones hub-azure synthesizes."""

from __future__ import annotations

import base64
import json

import pytest

from govhub import vocabulary as v
from govhub.service.azure_function import AzureAuthorities, caller, claims, principal_header
from tests.helpers import ROOT

TENANT = "11111111-2222-3333-4444-555555555555"
HUB = "66666666-7777-8888-9999-000000000000"
CREDIT_CI = (
    "/subscriptions/77777777-8888-9999-0000-111111111111/resourcegroups/govhub-credit"
    "/providers/microsoft.managedidentity/userassignedidentities/govhub-credit-ci"
)
DEPLOYER = f"/subscriptions/{HUB}/resourcegroups/acme-govhub-hub/providers/microsoft.managedidentity/userassignedidentities/acme-govhub-ci-deployer"
APPROVERS, ADMINS = "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000003"
TID = "http://schemas.microsoft.com/identity/claims/tenantid"
OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
AUTHORITIES = AzureAuthorities(
    tenant_id=TENANT, hub_subscription_id=HUB, submitters={CREDIT_CI: "credit"}, deployer=DEPLOYER,
    approver_group_id=APPROVERS, platform_admin_group_id=ADMINS,
)  # fmt: skip


def request(**claim_values) -> dict[str, str]:
    return {"X-MS-CLIENT-PRINCIPAL": principal_header(claim_values)}


def test_the_header_has_the_published_shape() -> None:
    published = json.loads(
        (ROOT / "tests/fixtures/provider-formats/azure_app_service/client_principal.json").read_text()
    )
    built = json.loads(base64.b64decode(principal_header({"tid": TENANT})))
    assert set(built) == set(published) and set(built["claims"][0]) == set(published["claims"][0])


def test_a_team_ci_identity_is_its_teams_submitter_whatever_the_case_of_its_id() -> None:
    actor = caller(
        request(**{TID: TENANT, OID: "x", "xms_mirid": CREDIT_CI.upper().replace("/SUBSCRIPTIONS", "/subscriptions")}),
        AUTHORITIES,
    )
    assert actor is not None and actor.role == v.team_submitter("credit") and actor.account == HUB
    assert actor.name == "govhub-credit-ci"


def test_people_get_their_role_from_their_entra_group() -> None:
    approver = caller(
        request(**{TID: TENANT, OID: "o1", "preferred_username": "erin@acme.example", "groups": [APPROVERS]}),
        AUTHORITIES,
    )
    assert approver is not None and approver.role == v.APPROVER and approver.name == "erin@acme.example"
    admin = caller(
        request(**{"tid": TENANT, "oid": "o2", "preferred_username": "pat@acme.example", "groups": ["g", ADMINS]}),
        AUTHORITIES,
    )
    assert admin is not None and admin.role == v.PLATFORM_ADMIN
    deployer = caller(request(**{TID: TENANT, OID: "o3", "xms_mirid": DEPLOYER}), AUTHORITIES)
    assert deployer is not None and deployer.role == v.CI_DEPLOYER


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no authentication at all
        {"X-MS-CLIENT-PRINCIPAL": "not base64!"},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[1, 2]").decode()},
        request(**{TID: "99999999-0000-0000-0000-000000000000", OID: "o", "xms_mirid": CREDIT_CI}),  # another tenant
        request(**{OID: "o", "xms_mirid": CREDIT_CI}),  # no tenant claim
        request(**{TID: TENANT, OID: "o", "xms_mirid": CREDIT_CI.replace("credit", "pricing")}),  # unknown identity
        request(**{TID: TENANT, OID: "o", "xms_mirid": [CREDIT_CI, DEPLOYER]}),  # two identities
        request(**{TID: TENANT, OID: "o", "preferred_username": "mallory@acme.example", "groups": ["other"]}),
        request(**{TID: TENANT, "preferred_username": "erin@acme.example", "groups": [APPROVERS]}),  # no object id
    ],
)
def test_anything_else_is_refused(headers: dict[str, str]) -> None:
    assert caller(headers, AUTHORITIES) is None


def test_another_identity_provider_is_refused() -> None:
    header = principal_header({TID: TENANT, OID: "o", "xms_mirid": CREDIT_CI}, auth_typ="github")
    assert claims(header) is None


def test_the_authorities_come_from_the_settings_hub_azure_writes(azure_estate: dict) -> None:
    settings = azure_estate["hub-azure"]["resource"]["azurerm_linux_function_app"]["hub-service"]["app_settings"]
    authorities = AzureAuthorities.from_settings(settings)
    assert authorities.submitters == {CREDIT_CI: "credit"} and authorities.deployer == DEPLOYER
    assert authorities.approver_group_id == APPROVERS and authorities.hub_subscription_id == HUB
    actor = caller(request(**{TID: TENANT, OID: "o", "xms_mirid": CREDIT_CI}), authorities)
    assert actor is not None and actor.role == v.team_submitter("credit")
