"""Opt-in live checks of the hub's least privilege with AWS IAM Access Analyzer's custom policy checks
(``check-access-not-granted`` and ``check-no-new-access``), on the synthesized policies.

They call real AWS (Access Analyzer evaluates the documents; nothing is deployed), so they run only
with ``GOVHUB_LIVE_AWS=1`` and credentials that may call ``access-analyzer:CheckAccessNotGranted`` and
``CheckNoNewAccess``. Offline, the suite checks that every document resolves to concrete ARNs (what
the analyzer needs); moto has no Access Analyzer. The questions are the ones test_hub_aws.py answers
with policyuniverse and test_terraform_emulator.py with moto's evaluator: no role but the hub service
may write the registry, model cards, bus, audit log or records, and a team's role grants nothing
beyond its inbox upload, its reads and invoking the service.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.helpers import resources

pytestmark = pytest.mark.synth
LIVE = os.environ.get("GOVHUB_LIVE_AWS") == "1"
TOKEN = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.(arn|id|name)\}")
REGION, ACCOUNT = "eu-west-1", "222222222222"
NAME_OF = {
    "aws_s3_bucket": ("bucket", "arn:aws:s3:::{}"),
    "aws_sagemaker_model_package_group": (
        "model_package_group_name",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{{}}",
    ),
    "aws_cloudwatch_event_bus": ("name", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{{}}"),
    "aws_cloudwatch_log_group": ("name", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{{}}"),
    "aws_sns_topic": ("name", f"arn:aws:sns:{REGION}:{ACCOUNT}:{{}}"),
    "aws_sqs_queue": ("name", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{{}}"),
    "aws_ecr_repository": ("name", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{{}}"),
    "aws_kms_key": (None, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"),
    "aws_organizations_account": (None, "555555555555"),
}


def resolve(hub: dict, text: str) -> str:
    """A policy document with the stack's references replaced by the ARNs they resolve to."""

    def one(match: re.Match) -> str:
        rtype, rid, _ = match.groups()
        attr, pattern = NAME_OF[rtype]
        return pattern.format(resources(hub, rtype)[rid][attr]) if attr else pattern

    return TOKEN.sub(one, text)


def identity_policies(hub: dict) -> dict[str, str]:
    return {b["name"]: resolve(hub, b["policy"]) for b in resources(hub, "aws_iam_role_policy").values()}


HUB_WRITES = [
    "sagemaker:CreateModelPackage",
    "sagemaker:UpdateModelPackage",
    "sagemaker:DeleteModelPackage",
    "sagemaker:AddTags",
    "sagemaker:CreateModelCard",
    "sagemaker:UpdateModelCard",
    "events:PutEvents",
]


def test_every_policy_resolves_to_concrete_arns(hub: dict) -> None:
    for name, doc in identity_policies(hub).items():
        assert "${" not in doc, name
        json.loads(doc)


@pytest.mark.skipif(not LIVE, reason="opt-in: set GOVHUB_LIVE_AWS=1 with AWS credentials for Access Analyzer")
def test_access_analyzer_finds_no_hub_write_outside_the_service(hub: dict) -> None:  # pragma: no cover - live
    import boto3

    aa = boto3.client("accessanalyzer", region_name=REGION)
    audit = f"arn:aws:s3:::govhub-audit-{ACCOUNT}-{REGION}"
    artifacts = f"arn:aws:s3:::govhub-artifacts-{ACCOUNT}-{REGION}"
    for name, doc in identity_policies(hub).items():
        if name == "govhub-hub-service-permissions":
            continue
        for access in (
            [{"actions": HUB_WRITES}],
            [
                {
                    "actions": ["s3:PutObject", "s3:DeleteObject"],
                    "resources": [f"{audit}/govhub-audit-log/*", f"{artifacts}/teams/*", f"{artifacts}/policies/*"],
                }
            ],
        ):
            got = aa.check_access_not_granted(policyDocument=doc, access=access, policyType="IDENTITY_POLICY")
            assert got["result"] == "PASS", (name, got.get("reasons"))


@pytest.mark.skipif(not LIVE, reason="opt-in: set GOVHUB_LIVE_AWS=1 with AWS credentials for Access Analyzer")
def test_access_analyzer_finds_no_team_access_beyond_its_envelope(hub: dict) -> None:  # pragma: no cover - live
    import boto3

    aa = boto3.client("accessanalyzer", region_name=REGION)
    docs = identity_policies(hub)
    for name, doc in docs.items():
        if not name.startswith("govhub-submit-"):
            continue
        team = name.removeprefix("govhub-submit-").removesuffix("-permissions")
        artifacts = f"arn:aws:s3:::govhub-artifacts-{ACCOUNT}-{REGION}"
        envelope = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{artifacts}/inbox/{team}/*"},
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [artifacts, f"{artifacts}/*"],
                    },
                    {"Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"},
                    {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Action": ["lambda:InvokeFunctionUrl", "lambda:GetFunctionUrlConfig"],
                        "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:govhub-hub-service",
                    },
                ],
            }
        )
        got = aa.check_no_new_access(
            newPolicyDocument=doc, existingPolicyDocument=envelope, policyType="IDENTITY_POLICY"
        )
        assert got["result"] == "PASS", (name, got.get("reasons"))
