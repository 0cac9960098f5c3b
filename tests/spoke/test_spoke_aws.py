"""The AWS spoke stacks, and the wiring between spokes and the hub."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import as_list, by_path, only, policy, ref, resources, statements

pytestmark = pytest.mark.synth

REMOTE = re.compile(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-hub-aws\.outputs\.([^}]+)\}")

EXPECTED_SPOKE_RESOURCES = {
    "aws_budgets_budget": 1,
    "aws_cloudwatch_event_rule": 1,
    "aws_cloudwatch_event_target": 1,
    "aws_cloudwatch_log_group": 1,
    "aws_flow_log": 1,
    "aws_s3_bucket_lifecycle_configuration": 1,
    "aws_s3_bucket_notification": 1,
    "aws_default_security_group": 1,
    "aws_iam_policy": 1,
    "aws_iam_role": 4,
    "aws_iam_role_policy": 4,
    "aws_kms_alias": 1,
    "aws_kms_key": 1,
    "aws_route_table": 1,
    "aws_route_table_association": 2,
    "aws_s3_bucket": 1,
    "aws_s3_bucket_ownership_controls": 1,
    "aws_s3_bucket_policy": 1,
    "aws_s3_bucket_public_access_block": 1,
    "aws_s3_bucket_server_side_encryption_configuration": 1,
    "aws_s3_bucket_versioning": 1,
    "aws_sagemaker_domain": 1,
    "aws_security_group": 1,
    "aws_subnet": 2,
    "aws_vpc": 1,
    "aws_vpc_endpoint": 8,
}


def hub_ref(value: str, hub: dict) -> str:
    """Follow a cross-stack reference in a spoke back to the hub expression it reads."""
    return REMOTE.sub(lambda m: hub["output"][m.group(1)]["value"], value)


@pytest.mark.parametrize("team", ["fraud", "recsys", "claims"])
def test_every_team_gets_exactly_the_expected_spoke(estate: dict, team: str) -> None:
    spoke = estate[f"spoke-aws-{team}"]
    expected = dict(EXPECTED_SPOKE_RESOURCES)
    if team == "fraud":  # teams[].ci is set: the CI's OIDC provider and role
        expected |= {"aws_iam_openid_connect_provider": 1, "aws_iam_role": 5, "aws_iam_role_policy": 5}
    assert {t: len(v) for t, v in spoke["resource"].items()} == dict(sorted(expected.items()))
    assert set(spoke["data"]) == {"terraform_remote_state"}
    assert set(estate) == {"hub-aws", "spoke-aws-fraud", "spoke-aws-recsys", "spoke-aws-claims", "hub-azure",
                           "spoke-azure-credit", "hub-gcp", "spoke-gcp-vision"}  # fmt: skip


def test_spoke_provider_assumes_the_access_role_in_the_team_account(estate: dict, hub: dict) -> None:
    (fraud,) = estate["spoke-aws-fraud"]["provider"]["aws"]
    assert fraud["assume_role"][0]["role_arn"] == "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
    assert fraud["allowed_account_ids"] == ["333333333333"] and fraud["region"] == "eu-west-1"
    (recsys,) = estate["spoke-aws-recsys"]["provider"]["aws"]
    assert recsys["region"] == "eu-central-1"
    # The vended account's id comes from the hub's account resource, through a cross-stack reference.
    assert hub_ref(recsys["assume_role"][0]["role_arn"], hub) == (
        "arn:aws:iam::${aws_organizations_account.account-recsys.id}:role/OrganizationAccountAccessRole"
    )


def test_spoke_reads_only_its_own_registry_groups_from_the_hub(estate: dict, hub: dict) -> None:
    for team, groups in {
        "fraud": {"fraud", "fraud-credit-scoring", "fraud-transaction-alerts"},
        "claims": {"claims"},
        "recsys": {"recsys"},
    }.items():
        spoke = estate[f"spoke-aws-{team}"]
        role = by_path(spoke, "aws_iam_role_policy", "execution-role/policy")
        register = statements(role["policy"])["RegisterInHubRegistry"]
        resolved = [hub_ref(r, hub) for r in register["Resource"]]
        group_refs = {r.split(".")[1].removeprefix("model-group-") for r in resolved if r.startswith("${")}
        patterns = {r.split("/")[1] for r in resolved if r.startswith("arn:")}
        assert group_refs == groups and patterns == groups, team
        # Every hub output the spoke reads exists in the hub.
        for output in REMOTE.findall(json.dumps(spoke)):
            assert output in hub["output"]


def test_execution_role_is_bounded_and_least_privilege(estate: dict, hub: dict) -> None:
    spoke = estate["spoke-aws-fraud"]
    role = by_path(spoke, "aws_iam_role", "execution-role/role")
    assert role["name"] == "govhub-fraud-sagemaker-execution" and role["path"] == "/govhub/"
    assert role["permissions_boundary"] == "${aws_iam_policy.permission-boundary.arn}"
    (trust,) = policy(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    boundary = statements(only(spoke, "aws_iam_policy")["policy"])
    assert {"DenyBoundaryTampering", "DenyRemovingBoundaries"} <= set(boundary)
    inline = statements(by_path(spoke, "aws_iam_role_policy", "execution-role/policy")["policy"])
    assert [hub_ref(r, hub) for r in inline["HubTeamArtifacts"]["Resource"]] == [
        ref(hub, "aws_s3_bucket", "artifact-bucket/bucket", "arn") + "/teams/fraud/*"
    ]
    assert inline["PassOwnRoleToSageMaker"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    for sid, st in inline.items():
        if as_list(st["Resource"]) == ["*"]:
            assert sid in {"EcrLogin", "VpcNetworkInterfaces"}, sid


def test_sagemaker_domain_is_vpc_only_with_the_team_key(estate: dict) -> None:
    spoke = estate["spoke-aws-claims"]
    domain = only(spoke, "aws_sagemaker_domain")
    assert domain["app_network_access_type"] == "VpcOnly" and domain["auth_mode"] == "IAM"
    assert domain["kms_key_id"] == ref(spoke, "aws_kms_key", "team-key/key", "arn")
    assert domain["default_user_settings"]["execution_role"] == ref(spoke, "aws_iam_role", "execution-role/role", "arn")
    assert len(domain["subnet_ids"]) == 2
    assert only(spoke, "aws_vpc")["cidr_block"] == "10.23.0.0/16"
    assert sorted(s["cidr_block"] for s in resources(spoke, "aws_subnet").values()) == ["10.23.0.0/18", "10.23.64.0/18"]
    assert all(s["map_public_ip_on_launch"] is False for s in resources(spoke, "aws_subnet").values())
    endpoints = {e["service_name"] for e in resources(spoke, "aws_vpc_endpoint").values()}
    assert "com.amazonaws.eu-west-1.sagemaker.api" in endpoints and "com.amazonaws.eu-west-1.s3" in endpoints


def test_team_data_bucket_is_encrypted_with_the_team_key(estate: dict) -> None:
    spoke = estate["spoke-aws-fraud"]
    assert only(spoke, "aws_s3_bucket")["bucket"] == "fraud-data-333333333333-eu-west-1"
    sse = only(spoke, "aws_s3_bucket_server_side_encryption_configuration")
    assert sse["rule"][0]["apply_server_side_encryption_by_default"]["kms_master_key_id"] == ref(
        spoke, "aws_kms_key", "team-key/key", "arn"
    )
    assert only(spoke, "aws_kms_key")["enable_key_rotation"] is True


def test_sagemaker_events_are_forwarded_to_the_hub_bus(estate: dict, hub: dict) -> None:
    spoke = estate["spoke-aws-fraud"]
    rule = only(spoke, "aws_cloudwatch_event_rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["source"] == ["aws.sagemaker"]
    assert "SageMaker Model Package State Change" in pattern["detail-type"]
    target = only(spoke, "aws_cloudwatch_event_target")
    assert hub_ref(target["arn"], hub) == "${aws_cloudwatch_event_bus.governance-bus.arn}"
    forwarder = statements(by_path(spoke, "aws_iam_role_policy", "event-forwarder/policy")["policy"])
    assert [hub_ref(r, hub) for r in forwarder["PutToHubBus"]["Resource"]] == [
        "${aws_cloudwatch_event_bus.governance-bus.arn}"
    ]


def test_deploy_role_trusts_only_the_hub_ci_deployer(estate: dict, hub: dict) -> None:
    spoke = estate["spoke-aws-recsys"]
    role = by_path(spoke, "aws_iam_role", "deploy-role/role")
    assert role["name"] == "govhub-deploy" and role["path"] == "/govhub/"
    (trust,) = policy(role["assume_role_policy"])["Statement"]
    assert hub_ref(trust["Principal"]["AWS"], hub) == ref(hub, "aws_iam_role", "role-ci-deployer/role", "arn")
    # ...and the hub's CI deployer may assume exactly this role name.
    ci = statements(by_path(hub, "aws_iam_role_policy", "role-ci-deployer/policy")["policy"])
    assert (
        "arn:aws:iam::${aws_organizations_account.account-recsys.id}:role/govhub/govhub-deploy"
        in ci["AssumeSpokeDeployRoles"]["Resource"]
    )


def test_team_ci_role_trusts_only_its_repository_branch_and_may_only_assume_the_submit_role(
    estate: dict, hub: dict
) -> None:
    spoke = estate["spoke-aws-fraud"]
    oidc = only(spoke, "aws_iam_openid_connect_provider")
    assert oidc["url"] == "https://token.actions.githubusercontent.com" and oidc["client_id_list"] == [
        "sts.amazonaws.com"
    ]
    role = by_path(spoke, "aws_iam_role", "ci-role/role")
    assert role["name"] == "govhub-ci" and role["path"] == "/govhub/"
    (trust,) = policy(role["assume_role_policy"])["Statement"]
    assert as_list(trust["Action"]) == ["sts:AssumeRoleWithWebIdentity"]
    assert trust["Principal"]["Federated"] == ref(spoke, "aws_iam_openid_connect_provider", "ci-oidc", "arn")
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/fraud-credit-scoring:ref:refs/heads/main",
        }
    }
    granted = statements(by_path(spoke, "aws_iam_role_policy", "ci-role/policy")["policy"])
    assert set(granted) == {"AssumeHubSubmitRole"}
    assert as_list(granted["AssumeHubSubmitRole"]["Action"]) == ["sts:AssumeRole"]
    submit = ref(hub, "aws_iam_role", "role-submit-fraud/role", "arn")
    assert [hub_ref(r, hub) for r in as_list(granted["AssumeHubSubmitRole"]["Resource"])] == [submit]
    # the CI variables the project README lists are the stack's output, traced back to the hub
    variables = spoke["output"]["out-ci_variables"]["value"]
    assert hub_ref(variables["GOVHUB_SUBMIT_ROLE_ARN"], hub) == submit
    assert variables["GOVHUB_CI_ROLE_ARN"] == ref(spoke, "aws_iam_role", "ci-role/role", "arn")
    assert hub_ref(variables["AWS_REGION"], hub) == "eu-west-1"
    # a team without teams[].ci gets no CI role and no way in
    recsys = estate["spoke-aws-recsys"]
    assert "aws_iam_openid_connect_provider" not in recsys["resource"]
    assert set(recsys["output"]["out-ci_variables"]["value"]) == {"GOVHUB_SUBMIT_ROLE_ARN", "AWS_REGION"}


def test_budget_alarm_notifies_the_owners(estate: dict) -> None:
    budget = only(estate["spoke-aws-claims"], "aws_budgets_budget")
    assert budget["account_id"] == "444444444444" and budget["limit_amount"] == "3000"
    assert budget["time_unit"] == "MONTHLY" and budget["limit_unit"] == "USD"
    assert [n["threshold"] for n in budget["notification"]] == [80, 100]
    assert all(
        n["subscriber_email_addresses"] == ["claims-ds@acme.example", "claims-lead@acme.example"]
        for n in budget["notification"]
    )


def test_every_taggable_resource_in_the_estate_carries_the_required_tags(estate: dict) -> None:
    for name, doc in estate.items():
        for rtype, items in doc["resource"].items():
            for rid, body in items.items():
                if "tags" in body:
                    missing = {"owner", "team", "cost-centre", "data-classification"} - set(body["tags"])
                    assert not missing, (name, rtype, rid, missing)


def test_vpc_flow_logs_go_to_an_encrypted_retained_log_group(estate: dict) -> None:
    spoke = estate["spoke-aws-fraud"]
    flow = only(spoke, "aws_flow_log")
    assert flow["traffic_type"] == "ALL" and flow["vpc_id"] == ref(spoke, "aws_vpc", "vpc", "id")
    assert flow["log_destination"] == ref(spoke, "aws_cloudwatch_log_group", "flow-log-group", "arn")
    group = only(spoke, "aws_cloudwatch_log_group")
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == ref(spoke, "aws_kms_key", "team-key/key", "arn")
    key = statements(only(spoke, "aws_kms_key")["policy"])
    assert key["AllowFlowLogGroupEncryption"]["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    lifecycle = only(spoke, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert lifecycle["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
