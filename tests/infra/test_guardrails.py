"""Guardrails: one compliant and one non-compliant fixture per rule, checked as whole sets.

Resources are named for their expected outcome (``*-pass``, ``*-fail-N``, ``*-acknowledged``), in the
style of checkov's example folders; the test compares the full set of violations with the names.
"""

from __future__ import annotations

import json

import pytest

from infra.guardrails import AcknowledgementError, check_document, validate_acknowledgement
from tests.helpers import ROOT, resources

REQUIRED = ("owner", "team", "cost-centre")
TAGS = {"owner": "a@acme.example", "team": "t", "cost-centre": "CC-1"}
ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
SCOPED = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}],
    }
)
DENY_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Sid": "Deny", "Effect": "Deny", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture(scope="module")
def fixture_stack(tmp_path_factory: pytest.TempPathFactory):
    """A stack holding a pass and a fail case for every rule, synthesized with the guardrails applied."""
    from infra import engine
    from infra.aspects import acknowledge, apply_guardrails
    from infra.aws.constructs import SecureBucket
    from main import EstateError, synthesize

    aws = engine.provider("aws")
    out = tmp_path_factory.mktemp("guardrails")
    app = engine.App(outdir=str(out))
    stack = engine.TerraformStack(app, "guardrail-fixtures")
    aws.provider.AwsProvider(stack, "aws", region="eu-west-1")
    key = "arn:aws:kms:eu-west-1:111111111111:key/abc"
    SecureBucket(stack, "bucket-pass", bucket_name="pass", kms_key_arn=key, tags=TAGS)
    # fail-1: a public access block but no encryption; fail-2: encryption with AES256 only and no block.
    b1 = aws.s3_bucket.S3Bucket(stack, "bucket-fail-1", bucket="fail-1", tags=TAGS)
    aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
        stack,
        "bucket-fail-1-pab",
        bucket=b1.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    b2 = aws.s3_bucket.S3Bucket(stack, "bucket-fail-2", bucket="fail-2", tags=TAGS)
    aws.s3_bucket_server_side_encryption_configuration.S3BucketServerSideEncryptionConfigurationA(
        stack,
        "bucket-fail-2-sse",
        bucket=b2.id,
        rule=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    )
    aws.sqs_queue.SqsQueue(stack, "queue-pass", name="pass", tags=TAGS)
    aws.sqs_queue.SqsQueue(stack, "queue-fail-1", name="fail-1", tags={"owner": "a@acme.example", "team": "t"})
    aws.sqs_queue.SqsQueue(stack, "queue-fail-2", name="fail-2")
    aws.sagemaker_model_package_group.SagemakerModelPackageGroup(
        stack, "group-pass", model_package_group_name="pass", tags={**TAGS, "risk-tier": "high"}
    )
    aws.sagemaker_model_package_group.SagemakerModelPackageGroup(
        stack, "group-fail-1", model_package_group_name="fail-1", tags=TAGS
    )
    aws.iam_policy.IamPolicy(stack, "policy-pass", name="pass", policy=SCOPED, tags=TAGS)
    aws.iam_policy.IamPolicy(stack, "policy-deny-pass", name="deny-pass", policy=DENY_ALL, tags=TAGS)
    aws.iam_policy.IamPolicy(stack, "policy-fail-1", name="fail-1", policy=ADMIN, tags=TAGS)
    aws.iam_role.IamRole(
        stack,
        "role-fail-2",
        name="fail-2",
        assume_role_policy=SCOPED,
        tags=TAGS,
        inline_policy=[{"name": "admin", "policy": ADMIN}],
    )
    acked = aws.iam_policy.IamPolicy(stack, "policy-acknowledged", name="acknowledged", policy=ADMIN, tags=TAGS)
    acknowledge(acked, "GR-IAM-ADMIN", "break-glass role for the incident runbook, reviewed by security (SEC-123)")
    check = apply_guardrails(stack, REQUIRED)
    with pytest.raises(EstateError) as refused:
        synthesize(app)
    return check, str(refused.value), stack.to_terraform(), out


def test_each_rule_flags_exactly_its_failing_fixtures(fixture_stack) -> None:
    check, _, _, _ = fixture_stack
    found = {(v.rule, v.address.split(".")[1]) for v in check.violations}
    assert found == {
        ("GR-S3-ENCRYPTION", "bucket-fail-1"),
        ("GR-S3-ENCRYPTION", "bucket-fail-2"),
        ("GR-S3-PUBLIC-ACCESS", "bucket-fail-2"),
        ("GR-TAGS", "queue-fail-1"),
        ("GR-TAGS", "queue-fail-2"),
        ("GR-TAGS", "group-fail-1"),
        ("GR-IAM-ADMIN", "policy-fail-1"),
        ("GR-IAM-ADMIN", "role-fail-2"),
    }


def test_synthesis_is_refused_with_precise_messages(fixture_stack) -> None:
    _, message, _, out = fixture_stack
    assert message.startswith("synthesis refused by the guardrails:")
    assert (
        "[GR-TAGS] aws_sqs_queue.queue-fail-1 (guardrail-fixtures/queue-fail-1): missing required tag(s) cost-centre"
        in message
    )
    assert "missing required tag(s) risk-tier" in message
    assert "[GR-IAM-ADMIN] aws_iam_policy.policy-fail-1" in message and "statement 'Admin' in policy" in message
    assert "statement 'Admin' in inline_policy[0]" in message
    assert "acknowledge(resource, RULE, reason)" in message
    assert "Traceback" not in message
    # the refused stack's output is gone, so that nobody plans or deploys it by mistake
    assert "output of the stacks named above was removed" in message
    assert not (out / "stacks" / "guardrail-fixtures").exists()


def test_acknowledged_exception_passes_and_its_reason_is_in_the_output(fixture_stack) -> None:
    check, _, doc, _ = fixture_stack
    assert not any("policy-acknowledged" in v.address for v in check.violations)
    body = resources(doc, "aws_iam_policy")["policy-acknowledged"]
    assert body["//"]["govhub_acknowledgements"] == {
        "GR-IAM-ADMIN": "break-glass role for the incident runbook, reviewed by security (SEC-123)"
    }


@pytest.mark.parametrize(
    "rule, reason, message",
    [
        ("GR-IAM-ADMIN", "because", "needs a written reason of at least 20 characters"),
        ("GR-IAM-ADMIN", "   ", "needs a written reason"),
        (
            "GR-NOPE",
            "a perfectly good and long reason",
            "unknown guardrail rule 'GR-NOPE'; known rules: GR-S3-ENCRYPTION",
        ),
    ],
)
def test_acknowledgements_are_validated_when_written(rule: str, reason: str, message: str) -> None:
    with pytest.raises(AcknowledgementError, match=message):
        validate_acknowledgement(rule, reason)


def test_rules_work_on_plain_documents_without_the_engine() -> None:
    doc = {
        "resource": {
            "aws_s3_bucket": {"b": {"bucket": "b", "tags": TAGS, "//": {"metadata": {"path": "s/b"}}}},
            "aws_s3_bucket_server_side_encryption_configuration": {
                "e": {
                    "bucket": "${aws_s3_bucket.b.bucket}",
                    "rule": [
                        {
                            "apply_server_side_encryption_by_default": {
                                "sse_algorithm": "aws:kms",
                                "kms_master_key_id": "k",
                            }
                        }
                    ],
                }
            },
            "aws_iam_role": {"r": {"assume_role_policy": ADMIN, "tags": {}}},
        }
    }
    found = {(v.rule, v.address) for v in check_document(doc, required_tags=REQUIRED, taggable={"aws_iam_role.r"})}
    assert found == {
        ("GR-S3-PUBLIC-ACCESS", "aws_s3_bucket.b"),
        ("GR-TAGS", "aws_iam_role.r"),
        ("GR-IAM-ADMIN", "aws_iam_role.r"),
    }


def test_the_example_estate_passes_every_guardrail(estate: dict) -> None:
    # Synthesis of the estate would have been refused otherwise; check the rules directly too.
    for name, doc in estate.items():
        taggable = {f"{t}.{n}" for t, items in doc["resource"].items() for n, b in items.items() if "tags" in b}
        assert check_document(doc, required_tags=REQUIRED, taggable=taggable) == [], name


FIXTURES = ROOT / "tests" / "fixtures" / "guardrails"


@pytest.mark.parametrize(
    "cloud, taggable, expected",
    [
        (
            "azure",
            ["azurerm_resource_group.tags-pass", "azurerm_resource_group.tags-fail"],
            {
                ("GR-AZ-STORAGE-CMK", "azurerm_storage_account.storage-fail-cmk"),
                ("GR-AZ-STORAGE-PUBLIC", "azurerm_storage_account.storage-fail-public"),
                ("GR-AZ-ML-PUBLIC", "azurerm_machine_learning_workspace.workspace-fail"),
                ("GR-AZ-ROLE-MG", "azurerm_role_assignment.contributor-at-mg-fail"),
                ("GR-AZ-ROLE-MG", "azurerm_role_assignment.owner-id-at-mg-fail"),
                ("GR-AZ-ROLE-MG", "azurerm_role_assignment.contributor-id-at-mg-fail"),
                ("GR-TAGS", "azurerm_resource_group.tags-fail"),
                ("GR-AZAPI-ML-REGISTRY", "azapi_resource.registry-fail-public"),
                ("GR-AZAPI-ML-REGISTRY", "azapi_resource.registry-fail-blob"),
                ("GR-AZAPI-SUBSCRIPTION-POLICY", "azapi_resource.subscription-policy-fail"),
                ("GR-AZAPI-SUBSCRIPTION-POLICY", "azapi_resource.subscription-policy-exempt-fail"),
                ("GR-AZAPI-TYPE", "azapi_resource.type-fail-preview"),
                ("GR-AZAPI-TYPE", "azapi_resource.type-fail-unreviewed"),
            },
        ),
        (
            "gcp",
            [
                f"google_storage_bucket.{n}"
                for n in ("bucket-pass", "bucket-fail-cmek", "bucket-fail-uniform", "labels-fail")
            ],
            {
                ("GR-GCP-BUCKET-CMEK", "google_storage_bucket.bucket-fail-cmek"),
                ("GR-GCP-BUCKET-UNIFORM", "google_storage_bucket.bucket-fail-uniform"),
                ("GR-LABELS", "google_storage_bucket.labels-fail"),
                ("GR-GCP-PUBLIC-MEMBER", "google_storage_bucket_iam_member.member-fail-public"),
                ("GR-GCP-PRIMITIVE-ROLE", "google_project_iam_binding.binding-fail-primitive"),
                ("GR-GCP-PUBLIC-MEMBER", "google_folder_iam_policy.policy-fail-both"),
                ("GR-GCP-PRIMITIVE-ROLE", "google_folder_iam_policy.policy-fail-both"),
            },
        ),
    ],
)
def test_azure_and_gcp_rules_flag_exactly_the_failing_fixtures(cloud: str, taggable: list[str], expected: set) -> None:
    """Pass and fail fixtures per rule, as synthesized Terraform JSON (the rules read the JSON alone)."""
    doc = json.loads((FIXTURES / f"{cloud}.tf.json").read_text())
    found = check_document(doc, required_tags=REQUIRED, taggable=taggable)
    assert {(v.rule, v.address) for v in found} == expected
    by = {(v.rule, v.address): v.message for v in found}
    if cloud == "azure":
        assert (
            "shared_access_key_enabled is not False"
            in by[("GR-AZ-STORAGE-PUBLIC", "azurerm_storage_account.storage-fail-public")]
        )
        assert "acknowledged" not in " ".join(a for _, a in by)  # the acknowledged account is exempt, by its reason
        assert "publicNetworkAccess" in by[("GR-AZAPI-ML-REGISTRY", "azapi_resource.registry-fail-public")]
        assert "allowBlobPublicAccess" in by[("GR-AZAPI-ML-REGISTRY", "azapi_resource.registry-fail-blob")]
    else:
        message = by[("GR-LABELS", "google_storage_bucket.labels-fail")]
        assert "missing required label(s) cost-centre" in message and "owner=A-Acme" in message
