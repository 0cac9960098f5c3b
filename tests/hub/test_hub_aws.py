"""The AWS hub stack, asserted on the synthesized Terraform JSON of the example estate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import as_list, by_path, only, policy, ref, resources, statements

pytestmark = pytest.mark.synth

KEY = "${aws_kms_key.hub-key_2B603B80.arn}"  # the hub key (its path is checked in the KMS test)
SERVICE_ROLE = "arn:aws:iam::222222222222:role/govhub/govhub-hub-service"

RECSYS = "${aws_organizations_account.account-recsys.id}"  # the vended account, referenced not spelled
TEAM_ROOTS = {
    "fraud": "arn:aws:iam::333333333333:root",
    "recsys": f"arn:aws:iam::{RECSYS}:root",
    "claims": "arn:aws:iam::444444444444:root",
}

EXPECTED_HUB_RESOURCES = {
    "aws_cloudtrail": 1,
    "aws_cloudwatch_event_bus": 1,
    "aws_cloudwatch_event_bus_policy": 1,
    "aws_cloudwatch_event_rule": 3,
    "aws_cloudwatch_event_target": 3,
    "aws_ecr_repository": 1,
    "aws_ecr_repository_policy": 1,
    "aws_cloudwatch_log_group": 1,
    "aws_iam_role": 8,
    "aws_iam_role_policy": 8,
    "aws_lambda_function": 1,
    "aws_lambda_function_url": 1,
    "aws_kms_alias": 2,
    "aws_kms_key": 2,
    "aws_organizations_account": 1,
    "aws_organizations_organizational_unit": 1,
    "aws_organizations_policy": 2,
    "aws_organizations_policy_attachment": 2,
    "aws_s3_bucket": 3,
    "aws_s3_bucket_lifecycle_configuration": 3,
    "aws_s3_bucket_notification": 3,
    "aws_s3_bucket_object_lock_configuration": 2,
    "aws_s3_bucket_ownership_controls": 3,
    "aws_s3_bucket_policy": 3,
    "aws_s3_bucket_public_access_block": 3,
    "aws_s3_bucket_server_side_encryption_configuration": 3,
    "aws_s3_object": 9,  # the pipeline templates: three per cloud
    "aws_s3_bucket_versioning": 3,
    "aws_sagemaker_model_package_group": 5,
    "aws_sagemaker_model_package_group_policy": 5,
    "aws_sns_topic": 1,
    "aws_sns_topic_policy": 1,
    "aws_sqs_queue": 2,
    "aws_sqs_queue_policy": 1,
}


def test_hub_has_exactly_the_expected_resource_set(hub: dict) -> None:
    assert {t: len(v) for t, v in hub["resource"].items()} == EXPECTED_HUB_RESOURCES
    assert set(hub["data"]) == {"aws_organizations_organization", "aws_kms_public_key"}


def test_providers_assume_the_access_role_in_governance_and_management_accounts(hub: dict) -> None:
    default, management = hub["provider"]["aws"]
    assert "alias" not in default and management["alias"] == "management"
    assert default["assume_role"][0]["role_arn"] == "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    assert management["assume_role"][0]["role_arn"] == "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
    assert default["allowed_account_ids"] == ["222222222222"] and management["allowed_account_ids"] == ["111111111111"]
    # Organizations resources go to the management account, nothing else does.
    management_types = {
        t for t, items in hub["resource"].items() for b in items.values() if b.get("provider") == "aws.management"
    }
    assert management_types == {
        "aws_organizations_organizational_unit",
        "aws_organizations_policy",
        "aws_organizations_policy_attachment",
        "aws_organizations_account",
        "aws_cloudtrail",
    }


def test_scps_carry_every_guardrail_and_attach_to_the_workloads_ou(hub: dict) -> None:
    scps = {b["name"]: b for b in resources(hub, "aws_organizations_policy").values()}
    assert set(scps) == {"govhub-baseline", "govhub-ml-guardrails"}
    assert all(b["type"] == "SERVICE_CONTROL_POLICY" for b in scps.values())
    baseline = statements(scps["govhub-baseline"]["content"])
    ml = statements(scps["govhub-ml-guardrails"]["content"])
    assert set(baseline) == {"DenyCloudTrailTampering", "DenyS3WritesWithoutKms", "DenyLeavingOrganization"}
    assert set(ml) == {"DenyRegionsOutsideAllowList", "DenySageMakerEndpointsOutsideVpc"}
    assert all(s["Effect"] == "Deny" for s in [*baseline.values(), *ml.values()])
    assert {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail"} <= set(baseline["DenyCloudTrailTampering"]["Action"])
    assert baseline["DenyS3WritesWithoutKms"]["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]}
    }
    assert baseline["DenyLeavingOrganization"]["Action"] == ["organizations:LeaveOrganization"]
    region = ml["DenyRegionsOutsideAllowList"]
    assert region["Condition"]["StringNotEquals"] == {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}
    assert "iam:*" in region["NotAction"] and "sagemaker:*" not in region["NotAction"]
    assert ml["DenySageMakerEndpointsOutsideVpc"]["Condition"] == {"Null": {"sagemaker:VpcSubnets": "true"}}
    ou = only(hub, "aws_organizations_organizational_unit")
    assert ou["name"] == "ml-workloads"
    assert ou["parent_id"] == "${data.aws_organizations_organization.organization.roots[0].id}"
    attachments = resources(hub, "aws_organizations_policy_attachment").values()
    assert {a["target_id"] for a in attachments} == {"${aws_organizations_organizational_unit.workloads-ou.id}"}
    assert len({a["policy_id"] for a in attachments}) == 2


def test_vended_account_is_created_in_the_workloads_ou(hub: dict) -> None:
    account = only(hub, "aws_organizations_account")
    assert account["email"] == "aws-recsys@acme.example" and account["name"] == "acme-recsys"
    assert account["parent_id"] == "${aws_organizations_organizational_unit.workloads-ou.id}"
    assert account["close_on_deletion"] is False and account["role_name"] == "OrganizationAccountAccessRole"


def test_audit_bucket_is_object_locked_in_compliance_mode_and_tls_only(hub: dict) -> None:
    bucket = by_path(hub, "aws_s3_bucket", "audit-bucket/bucket")
    assert bucket["bucket"] == "govhub-audit-222222222222-eu-west-1" and bucket["object_lock_enabled"] is True
    lock = by_path(hub, "aws_s3_bucket_object_lock_configuration", "audit-bucket/object-lock")
    assert lock["bucket"] == ref(hub, "aws_s3_bucket", "audit-bucket/bucket", "id")
    assert lock["rule"]["default_retention"] == {"mode": "COMPLIANCE", "days": 2555}
    assert by_path(hub, "aws_s3_bucket_versioning", "audit-bucket/versioning")["versioning_configuration"] == {
        "status": "Enabled"
    }
    sse = by_path(hub, "aws_s3_bucket_server_side_encryption_configuration", "audit-bucket/encryption")
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": KEY,
    }
    pab = by_path(hub, "aws_s3_bucket_public_access_block", "audit-bucket/public-access-block")
    assert all(
        pab[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    st = statements(by_path(hub, "aws_s3_bucket_policy", "audit-bucket/policy")["policy"])
    assert st["DenyInsecureTransport"]["Effect"] == "Deny"
    assert st["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    trail_arn = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/govhub-org-trail"
    assert st["AllowCloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert st["AllowCloudTrailWrite"]["Resource"] == [
        "arn:aws:s3:::govhub-audit-222222222222-eu-west-1/AWSLogs/111111111111/*",
        "arn:aws:s3:::govhub-audit-222222222222-eu-west-1/AWSLogs/o-a1b2c3d4e5/*",
    ]


def test_organization_trail_writes_encrypted_validated_logs_to_the_audit_bucket(hub: dict) -> None:
    trail = only(hub, "aws_cloudtrail")
    assert trail["is_organization_trail"] and trail["is_multi_region_trail"] and trail["enable_log_file_validation"]
    assert trail["s3_bucket_name"] == ref(hub, "aws_s3_bucket", "audit-bucket/bucket", "bucket")
    assert trail["kms_key_id"] == KEY
    assert ref(hub, "aws_s3_bucket_policy", "audit-bucket/policy", "id")[2:-4] in trail["depends_on"]


def test_kms_key_rotates_and_grants_spokes_only_s3_and_ecr_use(hub: dict) -> None:
    key = by_path(hub, "aws_kms_key", "hub-key/key")
    assert key["//"]["metadata"]["path"] == "hub-aws/hub-key/key" and KEY == ref(
        hub, "aws_kms_key", "hub-key/key", "arn"
    )
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    st = statements(key["policy"])
    assert set(st) == {
        "EnableGovernanceAccountAdministration",
        "AllowCloudTrailToEncryptLogs",
        "AllowEventBridgeToEncryptForTargets",
        "OnlyTheHubServiceEncryptsAuditRecords",
        "AllowSpokesThroughS3AndEcr",
    }
    deny = st["OnlyTheHubServiceEncryptsAuditRecords"]
    assert deny["Effect"] == "Deny" and deny["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": SERVICE_ROLE}
    spokes = st["AllowSpokesThroughS3AndEcr"]
    assert sorted(spokes["Principal"]["AWS"]) == sorted(TEAM_ROOTS.values())
    assert spokes["Action"] == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    assert spokes["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.eu-west-1.amazonaws.com", "ecr.eu-west-1.amazonaws.com"]}
    }
    assert by_path(hub, "aws_kms_alias", "hub-key/alias")["name"] == "alias/govhub/hub"


def test_the_signing_key_signs_for_the_service_alone_into_a_locked_create_only_checkpoint_bucket(hub: dict) -> None:
    key = by_path(hub, "aws_kms_key", "signing-key/key")
    assert key["customer_master_key_spec"] == "ECC_NIST_P256" and key["key_usage"] == "SIGN_VERIFY"
    assert "enable_key_rotation" not in key  # KMS cannot rotate asymmetric keys
    st = statements(key["policy"])
    deny = st["OnlyTheHubServiceSigns"]
    assert deny["Effect"] == "Deny" and deny["Action"] == ["kms:Sign"] and deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SERVICE_ROLE}}
    assert by_path(hub, "aws_kms_alias", "signing-key/alias")["name"] == "alias/govhub/audit-signing"
    signing = ref(hub, "aws_kms_key", "signing-key/key", "arn")
    inline = {b["name"]: statements(b["policy"]) for b in resources(hub, "aws_iam_role_policy").values()}
    signers = {n for n, sts in inline.items() for _, a, r in _expanded(sts) if a == "kms:sign"}
    assert signers == {"govhub-hub-service-permissions"}
    readers = {n for n, sts in inline.items() if "ReadHubPublicKey" in sts}
    assert readers == set(inline) - {"govhub-hub-service-permissions"}
    assert all(inline[n]["ReadHubPublicKey"]["Resource"] == [signing] for n in readers)
    bucket = by_path(hub, "aws_s3_bucket", "checkpoint-bucket/bucket")
    assert bucket["bucket"] == "govhub-checkpoints-222222222222-eu-west-1" and bucket["object_lock_enabled"] is True
    lock = by_path(hub, "aws_s3_bucket_object_lock_configuration", "checkpoint-bucket/object-lock")
    assert lock["rule"]["default_retention"] == {"mode": "COMPLIANCE", "days": 2555}
    bp = statements(by_path(hub, "aws_s3_bucket_policy", "checkpoint-bucket/policy")["policy"])
    assert bp["OnlyTheHubServiceWritesCheckpoints"]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SERVICE_ROLE}}
    assert bp["CheckpointsAreCreateOnly"]["Condition"] == {"Null": {"s3:if-none-match": "true"}}
    outputs = hub["output"]
    assert "${data.aws_kms_public_key." in outputs["out-signing_public_key_pem"]["value"]


def test_artifact_bucket_lets_teams_read_their_prefix_and_only_the_service_write_records(hub: dict) -> None:
    st = statements(by_path(hub, "aws_s3_bucket_policy", "artifact-bucket/policy")["policy"])
    arn = "arn:aws:s3:::govhub-artifacts-222222222222-eu-west-1"
    assert st["TeamFraudReadsOwnRecords"]["Resource"] == [f"{arn}/teams/fraud/*"]
    assert st["TeamFraudReadsOwnRecords"]["Action"] == ["s3:GetObject"]
    assert st["TeamRecsysReadsOwnRecords"]["Principal"] == {"AWS": TEAM_ROOTS["recsys"]}
    assert st["TeamClaimsReadsPoliciesAndPipelines"]["Resource"] == [f"{arn}/policies/*", f"{arn}/pipelines/*"]
    deny = st["OnlyTheHubServiceWritesRecordsAndPolicies"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert deny["Resource"] == [f"{arn}/teams/*", f"{arn}/policies/*"]
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SERVICE_ROLE}}
    assert len(st) == 1 + 3 * 3 + 1


def test_model_package_groups_per_team_and_use_case_registrable_only_by_their_team(hub: dict) -> None:
    groups = {b["model_package_group_name"]: b for b in resources(hub, "aws_sagemaker_model_package_group").values()}
    assert set(groups) == {"fraud", "fraud-credit-scoring", "fraud-transaction-alerts", "recsys", "claims"}
    assert groups["fraud-credit-scoring"]["tags"]["risk-tier"] == "high"
    assert groups["fraud-transaction-alerts"]["tags"]["risk-tier"] == "limited"
    assert groups["recsys"]["tags"]["risk-tier"] == "limited"  # the team's highest allowed tier
    for body in resources(hub, "aws_sagemaker_model_package_group_policy").values():
        name = body["model_package_group_name"].split(".")[1]  # ${aws_sagemaker_model_package_group.<id>...}
        group = name.removeprefix("model-group-")
        team = group.split("-")[0]
        st, deny = policy(body["resource_policy"])["Statement"]
        assert st["Effect"] == "Allow" and st["Principal"] == {"AWS": TEAM_ROOTS[team]}
        assert st["Action"] == [
            "sagemaker:DescribeModelPackage",
            "sagemaker:DescribeModelPackageGroup",
            "sagemaker:ListModelPackages",
        ]
        resources_ = [
            f"${{aws_sagemaker_model_package_group.{name}.arn}}",
            f"arn:aws:sagemaker:eu-west-1:222222222222:model-package/{group}/*",
        ]
        assert st["Resource"] == resources_ and deny["Resource"] == resources_
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SERVICE_ROLE}}
        assert set(deny["Action"]) == {
            "sagemaker:CreateModelPackage",
            "sagemaker:UpdateModelPackage",
            "sagemaker:DeleteModelPackage",
        }


def test_governance_bus_is_restricted_to_the_organization_and_routes_to_alerts_and_tickets(hub: dict) -> None:
    assert only(hub, "aws_cloudwatch_event_bus")["name"] == "govhub-governance"
    (st,) = policy(only(hub, "aws_cloudwatch_event_bus_policy")["policy"])["Statement"]
    assert st["Action"] == ["events:PutEvents"]
    assert st["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    rules = {b["name"]: json.loads(b["event_pattern"]) for b in resources(hub, "aws_cloudwatch_event_rule").values()}
    assert rules["govhub-model-package-state"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
    }
    assert rules["govhub-gate-decision-failed"]["detail"] == {"data": {"outcome": ["fail", "error"]}}
    assert all(
        b["event_bus_name"] == "${aws_cloudwatch_event_bus.governance-bus.name}"
        for b in resources(hub, "aws_cloudwatch_event_rule").values()
    )
    routes = {
        (t["rule"].split(".")[1], t["arn"].split(".")[1])
        for t in resources(hub, "aws_cloudwatch_event_target").values()
    }
    assert routes == {
        ("rule-model-package-state", "alerts"),
        ("rule-gate-decision", "alerts"),
        ("rule-gate-decision-failed", "tickets"),
    }
    queue = statements(only(hub, "aws_sqs_queue_policy")["policy"])["AllowFailedDecisionRule"]
    assert queue["Principal"] == {"Service": "events.amazonaws.com"}
    assert queue["Condition"] == {
        "ArnEquals": {"aws:SourceArn": "${aws_cloudwatch_event_rule.rule-gate-decision-failed.arn}"}
    }
    tickets = resources(hub, "aws_sqs_queue")["tickets"]
    assert json.loads(tickets["redrive_policy"]) == {
        "deadLetterTargetArn": "${aws_sqs_queue.tickets-dlq.arn}",
        "maxReceiveCount": 5,
    }
    assert all(q["kms_master_key_id"] == KEY for q in resources(hub, "aws_sqs_queue").values())


def test_ecr_repository_is_immutable_scanned_encrypted_and_pullable_by_spokes(hub: dict) -> None:
    repo = only(hub, "aws_ecr_repository")
    assert repo["image_tag_mutability"] == "IMMUTABLE" and repo["image_scanning_configuration"] == {
        "scan_on_push": True
    }
    assert repo["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": KEY}]
    (st,) = policy(only(hub, "aws_ecr_repository_policy")["policy"])["Statement"]
    assert sorted(st["Principal"]["AWS"]) == sorted(TEAM_ROOTS.values())
    assert not any(a.endswith("*") or a.startswith("ecr:Put") for a in st["Action"])


def test_hub_roles_are_least_privilege_and_humans_need_mfa_and_a_source_identity(hub: dict) -> None:
    roles = {b["name"]: b for b in resources(hub, "aws_iam_role").values()}
    assert set(roles) == {
        "govhub-platform-admin",
        "govhub-approver",
        "govhub-auditor",
        "govhub-ci-deployer",
        "govhub-hub-service",
        "govhub-submit-fraud",
        "govhub-submit-recsys",
        "govhub-submit-claims",
    }
    for name in ("govhub-platform-admin", "govhub-approver", "govhub-auditor"):
        (trust,) = policy(roles[name]["assume_role_policy"])["Statement"]
        assert trust["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
        assert trust["Condition"] == {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "Null": {"sts:SourceIdentity": "false"},
            # the session name the service reads is the identity provider's source identity (Terraform escape)
            "StringEquals": {"sts:RoleSessionName": "$${aws:SourceIdentity}"},
        }
        assert trust["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    (trust,) = policy(roles["govhub-hub-service"]["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    inline = {b["name"]: statements(b["policy"]) for b in resources(hub, "aws_iam_role_policy").values()}
    for name, sts in inline.items():
        for sid, st in sts.items():
            actions = as_list(st["Action"])
            assert "*" not in actions, (name, sid)
            if as_list(st["Resource"]) == ["*"]:
                assert all(not a.endswith("*") for a in actions), (name, sid)
    auditor = inline["govhub-auditor-permissions"]
    written = [
        a
        for st in auditor.values()
        for a in as_list(st["Action"])
        if not a.split(":")[1].startswith(("Get", "List", "Describe", "Lookup", "Decrypt"))
    ]
    assert written == [], "the auditor role must be read-only"
    ci = inline["govhub-ci-deployer-permissions"]
    assert sorted(ci["AssumeSpokeDeployRoles"]["Resource"]) == sorted(
        f"arn:aws:iam::{a}:role/govhub/govhub-deploy" for a in ("333333333333", RECSYS, "444444444444")
    )


# What only the hub service may do (lower case, as policyuniverse expands actions).
HUB_WRITES = {
    "sagemaker:createmodelpackage",
    "sagemaker:updatemodelpackage",
    "sagemaker:deletemodelpackage",
    "sagemaker:addtags",
    "sagemaker:createmodelcard",
    "sagemaker:updatemodelcard",
    "events:putevents",
}


def _expanded(statements_: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(sid, action, resource) for every Allow, with every action wildcard expanded by policyuniverse
    against its catalogue of AWS actions: a grant hidden behind ``sagemaker:*Package*`` is found too."""
    from policyuniverse.expander_minimizer import _expand_wildcard_action

    out = []
    for sid, st in statements_.items():
        if st["Effect"] != "Allow":
            continue
        for action in as_list(st["Action"]):
            for expanded in _expand_wildcard_action(action) or [action.lower()]:
                out += [(sid, expanded, r) for r in as_list(st["Resource"])]
    return out


def test_only_the_hub_service_role_may_write_the_registry_audit_log_cards_and_records(hub: dict) -> None:
    """Proves, on the synthesized identity policies: no role but the hub service's grants a registry or
    model-card write, the governance bus, or an S3 write to the audit log, the records (teams/) or the
    packs (policies/); each team may upload only to its own inbox. It cannot prove what AWS evaluates at
    run time (the resource policies' Denies and conditions): the emulator test with moto's IAM evaluator
    and the opt-in Access Analyzer checks cover that."""
    inline = {b["name"]: statements(b["policy"]) for b in resources(hub, "aws_iam_role_policy").values()}
    audit = ref(hub, "aws_s3_bucket", "audit-bucket/bucket", "arn")
    artifacts = ref(hub, "aws_s3_bucket", "artifact-bucket/bucket", "arn")
    for name, sts in inline.items():
        grants = _expanded(sts)
        writes = {a for _, a, _ in grants if a in HUB_WRITES}
        s3_writes = {r for _, a, r in grants if a in ("s3:putobject", "s3:deleteobject", "s3:deleteobjectversion")}
        if name == "govhub-hub-service-permissions":
            assert writes == HUB_WRITES - {"sagemaker:deletemodelpackage"}
            checkpoints = ref(hub, "aws_s3_bucket", "checkpoint-bucket/bucket", "arn")
            assert s3_writes == {
                f"{audit}/govhub-audit-log/*",
                checkpoints,
                f"{checkpoints}/*",
                f"{artifacts}/teams/*",
                f"{artifacts}/policies/*",
            }
            continue
        assert writes == set(), f"{name} may write the hub: {sorted(writes)}"
        team = name.removeprefix("govhub-submit-").removesuffix("-permissions") if "submit" in name else None
        assert s3_writes == ({f"{artifacts}/inbox/{team}/*"} if team else set()), (name, s3_writes)
        if name == "govhub-auditor-permissions":
            assert "InvokeHubService" not in sts  # the auditor only reads
            continue
        invoke = sts["InvokeHubService"]
        assert invoke["Action"] == ["lambda:InvokeFunctionUrl", "lambda:GetFunctionUrlConfig"]
        assert invoke["Resource"] == ["arn:aws:lambda:eu-west-1:222222222222:function:govhub-hub-service"]
        assert invoke["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}


def test_the_audit_log_is_written_by_the_service_alone_and_entries_are_create_only(hub: dict) -> None:
    st = statements(by_path(hub, "aws_s3_bucket_policy", "audit-bucket/policy")["policy"])
    arn = "arn:aws:s3:::govhub-audit-222222222222-eu-west-1"
    only_service = st["OnlyTheHubServiceWritesTheAuditLog"]
    assert only_service["Effect"] == "Deny" and only_service["Resource"] == [f"{arn}/govhub-audit-log/*"]
    assert only_service["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SERVICE_ROLE}}
    create_only = st["AuditEntriesAreCreateOnly"]
    assert create_only["Resource"] == [f"{arn}/govhub-audit-log/entries/*"]
    assert create_only["Condition"] == {"Null": {"s3:if-none-match": "true"}}


def test_the_hub_service_is_a_lambda_behind_an_iam_authenticated_function_url(hub: dict) -> None:
    import base64
    import hashlib
    import zipfile

    function = only(hub, "aws_lambda_function")
    assert function["function_name"] == "govhub-hub-service"
    assert function["handler"] == "govhub.service.aws_lambda.handler"
    assert function["role"] == ref(hub, "aws_iam_role", "role-hub-service/role", "arn")
    assert function["kms_key_arn"] == KEY and function["tracing_config"] == {"mode": "Active"}
    assert only(hub, "aws_lambda_function_url")["authorization_type"] == "AWS_IAM"
    bundle = Path(function["filename"])
    data = bundle.read_bytes()
    assert function["source_code_hash"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    with zipfile.ZipFile(bundle) as z:
        names_ = set(z.namelist())
        config = z.read("platform.yaml")
    assert {"govhub/service/aws_lambda.py", "govhub/policies/high.yaml", "pydantic/__init__.py"} <= names_
    assert "govhub/templates/model_card/model_card.md.j2" in names_ or any(
        n.startswith("govhub/templates/model_card/") for n in names_
    )
    assert not any(n.startswith("govhub/templates/ml-project/") for n in names_)
    pinned = function["environment"]["variables"]["GOVHUB_PLATFORM_CONFIG_SHA256"]
    assert hashlib.sha256(config).hexdigest() == pinned


def test_hub_publishes_the_pipeline_templates_to_the_artifact_store(hub: dict) -> None:
    from govhub.pipelines import PIPELINES, published

    objects = {b["key"]: b for b in resources(hub, "aws_s3_object").values()}
    assert (
        set(objects)
        == set(published())
        == {
            "pipelines/1.0.0/aws/sagemaker_pipeline.json.j2",
            "pipelines/1.0.0/aws/sagemaker_deploy_pipeline.json.j2",
            "pipelines/1.0.0/aws/sagemaker_spark_evaluation.json.j2",
            "pipelines/1.0.0/azure/azureml_pipeline.yml.j2",
            "pipelines/1.0.0/azure/azureml_deploy.yml.j2",
            "pipelines/1.0.0/azure/azureml_spark_evaluation.yml.j2",
            "pipelines/1.0.0/gcp/vertex_pipeline.py.j2",
            "pipelines/1.0.0/gcp/vertex_deploy_pipeline.py.j2",
            "pipelines/1.0.0/gcp/dataproc_spark_evaluation.json.j2",
        }
    )
    for key, body in objects.items():
        # stored escaped for Terraform ($${ and %%{), which writes the original text to S3
        assert (
            body["content"].replace("$${", "${").replace("%%{", "%{") == (PIPELINES / key.split("/", 2)[2]).read_text()
        )
        assert body["bucket"] == ref(hub, "aws_s3_bucket", "artifact-bucket/bucket", "bucket")
        assert body["server_side_encryption"] == "aws:kms" and body["kms_key_id"] == KEY
    assert objects["pipelines/1.0.0/aws/sagemaker_pipeline.json.j2"]["content_type"] == "application/json"


def test_hub_exports_its_facts_as_outputs(hub: dict) -> None:
    outputs = hub["output"]
    for name in (
        "artifact_bucket",
        "audit_bucket",
        "kms_key_arn",
        "event_bus_arn",
        "ticket_queue_url",
        "alerts_topic_arn",
        "ecr_repository_url",
        "role_approver_arn",
        "role_ci_deployer_arn",
    ):
        assert f"out-{name}" in outputs
    assert outputs["out-event_bus_arn"]["value"] == "${aws_cloudwatch_event_bus.governance-bus.arn}"


def test_trail_records_object_access_to_every_govhub_bucket(hub: dict) -> None:
    (selector,) = only(hub, "aws_cloudtrail")["event_selector"]
    assert selector["read_write_type"] == "All" and selector["include_management_events"] is True
    (data,) = selector["data_resource"]
    assert data["type"] == "AWS::S3::Object"
    assert sorted(data["values"]) == sorted(
        [
            ref(hub, "aws_s3_bucket", "audit-bucket/bucket", "arn") + "/",
            ref(hub, "aws_s3_bucket", "checkpoint-bucket/bucket", "arn") + "/",
            ref(hub, "aws_s3_bucket", "artifact-bucket/bucket", "arn") + "/",
            "arn:aws:s3:::fraud-data-333333333333-eu-west-1/",
            f"arn:aws:s3:::recsys-data-{RECSYS}-eu-central-1/",
            "arn:aws:s3:::claims-data-444444444444-eu-west-1/",
        ]
    )


def test_lifecycle_never_expires_versions_before_the_lock_ends(hub: dict) -> None:
    audit = by_path(hub, "aws_s3_bucket_lifecycle_configuration", "audit-bucket/lifecycle")["rule"][0]
    assert audit["noncurrent_version_expiration"] == [{"noncurrent_days": 2556}]
    artifacts = by_path(hub, "aws_s3_bucket_lifecycle_configuration", "artifact-bucket/lifecycle")["rule"][0]
    assert artifacts["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]
    assert artifacts["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
