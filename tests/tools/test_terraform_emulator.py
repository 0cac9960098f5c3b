"""Real Terraform and the real hashicorp/aws provider against a local moto_server.

The example estate is synthesized with the emulator profile; every AWS stack goes through
`init`, `validate` and `plan`; the hub and the vended-account spoke are applied (minus the
resource types moto cannot create, listed in tools.emulator.APPLY_EXCLUSIONS); boto3 then checks
in each account that the resources exist with the intended properties. Nothing is destroyed: the
emulator is reset instead (moto cannot delete model package groups).
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from govhub.config import PlatformConfig
from tools.emulator import (
    APPLY_EXCLUSIONS,
    MIRROR_ENV,
    READBACK_DRIFT,
    EmulatorProfile,
    EmulatorUnavailable,
    MotoServer,
    Terraform,
    applicable_addresses,
    find_mirror,
    find_terraform,
    write_cli_config,
)

pytestmark = pytest.mark.synth

APPLIED = ("hub-aws", "spoke-aws-recsys")  # the vended-account spoke exercises the cross-stack path
REGION = "eu-west-1"
MANAGEMENT, GOVERNANCE = "111111111111", "222222222222"
TIMINGS: dict[str, float] = {}


def require_tools() -> tuple[str, Path]:
    try:
        return find_terraform(), find_mirror()
    except EmulatorUnavailable as exc:
        if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
            pytest.fail(f"required on this machine: {exc}")
        pytest.skip(str(exc))


def account_client(endpoint: str, service: str, account: str, region: str = REGION):
    """A boto3 client acting in ``account`` (moto keeps one isolated state per account)."""
    from govhub.backends.aws.hub import assumed_session

    base = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test")
    session = assumed_session(
        base, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", "govhub-test", region, endpoint_url=endpoint
    )
    return session.client(service, endpoint_url=endpoint)


def timed(name: str, fn, *args, **kwargs):
    start = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        TIMINGS[name] = TIMINGS.get(name, 0.0) + time.perf_counter() - start


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, example_config: PlatformConfig):
    require_tools()
    from main import build_estate, synthesize

    base = tmp_path_factory.mktemp("emulator")
    with MotoServer(log=base / "moto.log") as moto:
        moto.reset()
        # The organization exists before the platform is deployed (the hub reads its root).
        account_client(moto.endpoint, "organizations", MANAGEMENT).create_organization(FeatureSet="ALL")
        profile = EmulatorProfile(endpoint=moto.endpoint, state_dir=base / "state")
        app, stacks = build_estate(example_config, outdir=base / "out", profile=profile)
        timed("synth", synthesize, app)
        cli_config = write_cli_config(base / "terraform.rc", find_mirror())
        # the AWS stacks; the example's Azure stacks have no provider binary here (tests/hub/test_hub_azure.py)
        stacks = {name: s for name, s in stacks.items() if name == "hub-aws" or name.startswith("spoke-aws-")}
        tf = {name: Terraform(base / "out" / "stacks" / name, cli_config) for name in stacks}
        docs = {name: json.loads((t.workdir / "cdk.tf.json").read_text()) for name, t in tf.items()}
        plans: dict[str, str] = {}

        def check(name: str) -> None:
            timed("init", tf[name].init)
            timed("validate", tf[name].validate)

        def deploy(name: str) -> None:
            plans[name] = timed("plan", tf[name].plan).stdout
            if name in APPLIED:
                timed(f"apply {name}", tf[name].apply, applicable_addresses(docs[name]), timeout=600)

        spokes = [n for n in stacks if n != "hub-aws"]
        # Spokes read the hub's outputs from its state, so they plan once the hub is applied; their
        # init and validate overlap the hub's apply (which mostly waits on the provider's SQS timers).
        with ThreadPoolExecutor(max_workers=3) as pool:
            hub_done = pool.submit(lambda: (check("hub-aws"), deploy("hub-aws")))
            for future in [pool.submit(check, n) for n in spokes] + [hub_done]:
                future.result()
            for future in [pool.submit(deploy, n) for n in spokes]:
                future.result()
        yield {"endpoint": moto.endpoint, "docs": docs, "plans": plans, "base": base, "cli": cli_config}
    print("\nemulator timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))


def test_every_aws_stack_validates_and_plans(deployed) -> None:
    assert set(deployed["plans"]) == {"hub-aws", "spoke-aws-fraud", "spoke-aws-recsys", "spoke-aws-claims"}
    for name, plan in deployed["plans"].items():
        n = sum(len(items) for items in deployed["docs"][name]["resource"].values())
        assert f"Plan: {n} to add, 0 to change, 0 to destroy." in plan, name


def test_a_new_spoke_synthesized_alone_plans_against_the_deployed_hub(deployed, example_config) -> None:
    """Onboarding at scale: GOVHUB_STACKS names one spoke; it is synthesized without the other spokes,
    equals the whole estate's synth of it, and plans against the hub's state on the emulator."""
    from main import build_estate, prune_output, synthesize

    start = time.perf_counter()
    profile = EmulatorProfile(endpoint=deployed["endpoint"], state_dir=deployed["base"] / "state")
    out = deployed["base"] / "alone"
    app, stacks = build_estate(example_config, outdir=out, profile=profile, only=["spoke-aws-claims"])
    assert [c.node.id for c in app.node.children] == ["hub-aws", "spoke-aws-claims"]
    synthesize(app)
    prune_output(app, stacks)
    doc = json.loads((out / "stacks" / "spoke-aws-claims" / "cdk.tf.json").read_text())
    assert doc == deployed["docs"]["spoke-aws-claims"]
    tf = Terraform(out / "stacks" / "spoke-aws-claims", deployed["cli"])
    tf.init()
    plan = tf.plan().stdout
    TIMINGS["one spoke alone: synth, init, plan"] = time.perf_counter() - start
    n = sum(len(items) for items in doc["resource"].values())
    assert f"Plan: {n} to add, 0 to change, 0 to destroy." in plan


def test_excluded_resources_are_still_planned(deployed) -> None:
    hub_plan = deployed["plans"]["hub-aws"]
    assert (
        "aws_sagemaker_model_package_group_policy.model-group-fraud-credit-scoring-policy will be created" in hub_plan
    )
    spoke_plan = deployed["plans"]["spoke-aws-fraud"]
    assert (
        "aws_sagemaker_domain.domain will be created" in spoke_plan
        and "aws_budgets_budget.budget will be created" in spoke_plan
    )
    assert all(len(reason) > 40 for reason in APPLY_EXCLUSIONS.values())


def test_audit_bucket_is_object_locked_versioned_and_tls_only(deployed) -> None:
    s3 = account_client(deployed["endpoint"], "s3", GOVERNANCE)
    bucket = f"govhub-audit-{GOVERNANCE}-{REGION}"
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"], retention.get("Years", 0)) == ("COMPLIANCE", 2555, 0)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    sids = {s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]}
    assert sids == {
        "DenyInsecureTransport",
        "AllowCloudTrailAclCheck",
        "AllowCloudTrailWrite",
        "OnlyTheHubServiceWritesTheAuditLog",
        "AuditEntriesAreCreateOnly",
    }
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(pab.values())


def test_artifact_bucket_policy_names_the_vended_account(deployed) -> None:
    org = account_client(deployed["endpoint"], "organizations", MANAGEMENT)
    vended = next(a["Id"] for a in org.list_accounts()["Accounts"] if a["Name"] == "acme-recsys")
    s3 = account_client(deployed["endpoint"], "s3", GOVERNANCE)
    doc = json.loads(s3.get_bucket_policy(Bucket=f"govhub-artifacts-{GOVERNANCE}-{REGION}")["Policy"])
    writes = next(s for s in doc["Statement"] if s["Sid"] == "TeamRecsysReadsOwnRecords")
    assert writes["Principal"] == {"AWS": f"arn:aws:iam::{vended}:root"}


def test_hub_key_rotates(deployed) -> None:
    kms = account_client(deployed["endpoint"], "kms", GOVERNANCE)
    alias = next(a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/govhub/hub")
    assert kms.get_key_rotation_status(KeyId=alias["TargetKeyId"])["KeyRotationEnabled"] is True


def test_bus_policy_is_restricted_to_the_organization(deployed) -> None:
    events = account_client(deployed["endpoint"], "events", GOVERNANCE)
    bus = events.describe_event_bus(Name="govhub-governance")
    (statement,) = json.loads(bus["Policy"])["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    rules = {r["Name"] for r in events.list_rules(EventBusName="govhub-governance")["Rules"]}
    assert rules == {"govhub-model-package-state", "govhub-gate-decision", "govhub-gate-decision-failed"}


def test_model_package_groups_exist_in_the_governance_account(deployed) -> None:
    sm = account_client(deployed["endpoint"], "sagemaker", GOVERNANCE)
    names = {g["ModelPackageGroupName"] for g in sm.list_model_package_groups()["ModelPackageGroupSummaryList"]}
    assert names == {"fraud", "fraud-credit-scoring", "fraud-transaction-alerts", "recsys", "claims"}


def test_scps_are_attached_to_the_workloads_ou(deployed) -> None:
    org = account_client(deployed["endpoint"], "organizations", MANAGEMENT)
    root = org.list_roots()["Roots"][0]["Id"]
    (ou,) = [
        o
        for o in org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
        if o["Name"] == "ml-workloads"
    ]
    attached = {
        p["Name"] for p in org.list_policies_for_target(TargetId=ou["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
    }
    assert {"govhub-baseline", "govhub-ml-guardrails"} <= attached
    vended = [a for a in org.list_accounts_for_parent(ParentId=ou["Id"])["Accounts"] if a["Name"] == "acme-recsys"]
    assert len(vended) == 1


def test_spoke_resources_exist_in_the_vended_account(deployed) -> None:
    org = account_client(deployed["endpoint"], "organizations", MANAGEMENT)
    vended = next(a["Id"] for a in org.list_accounts()["Accounts"] if a["Name"] == "acme-recsys")
    region = "eu-central-1"
    s3 = account_client(deployed["endpoint"], "s3", vended, region)
    bucket = f"recsys-data-{vended}-{region}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    iam = account_client(deployed["endpoint"], "iam", vended, region)
    role = iam.get_role(RoleName="govhub-recsys-sagemaker-execution")["Role"]
    assert (
        role["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == f"arn:aws:iam::{vended}:policy/govhub/govhub-recsys-boundary"
    )
    deploy = json.loads(json.dumps(iam.get_role(RoleName="govhub-deploy")["Role"]["AssumeRolePolicyDocument"]))
    assert deploy["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{GOVERNANCE}:role/govhub/govhub-ci-deployer"
    events = account_client(deployed["endpoint"], "events", vended, region)
    (target,) = events.list_targets_by_rule(Rule="govhub-forward-sagemaker-events")["Targets"]
    assert target["Arn"] == f"arn:aws:events:{REGION}:{GOVERNANCE}:event-bus/govhub-governance"


def test_the_hub_service_function_and_its_iam_url_are_deployed(deployed) -> None:
    lam = account_client(deployed["endpoint"], "lambda", GOVERNANCE)
    fn = lam.get_function(FunctionName="govhub-hub-service")["Configuration"]
    assert fn["Handler"] == "govhub.service.aws_lambda.handler"
    assert fn["Role"] == f"arn:aws:iam::{GOVERNANCE}:role/govhub/govhub-hub-service"
    assert lam.get_function_url_config(FunctionName="govhub-hub-service")["AuthType"] == "AWS_IAM"


def _hub_session(endpoint: str, role: str, person: str):
    from govhub.backends.aws.hub import assumed_session

    base = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test")
    admin = assumed_session(
        base, f"arn:aws:iam::{GOVERNANCE}:role/OrganizationAccountAccessRole", "setup", REGION, endpoint_url=endpoint
    )
    return assumed_session(
        admin, f"arn:aws:iam::{GOVERNANCE}:role/govhub/{role}", person, REGION, endpoint_url=endpoint
    )


AUDIT, ARTIFACTS = f"govhub-audit-{GOVERNANCE}-{REGION}", f"govhub-artifacts-{GOVERNANCE}-{REGION}"


# (who, what, the call, allowed?) on the Terraform-applied identity policies, with moto's IAM evaluator on.
def _put(bucket: str, key: str, **extra) -> tuple[str, str, dict]:
    return ("s3", "put_object", {"Bucket": bucket, "Key": key, **extra})


def _list(bucket: str, prefix: str) -> tuple[str, str, dict]:
    return ("s3", "list_objects_v2", {"Bucket": bucket, "Prefix": prefix})


DECISION_EVENT = {
    "Source": "govhub",
    "DetailType": "GovHub Gate Decision",
    "Detail": "{}",
    "EventBusName": "govhub-governance",
}
ENTRY = "govhub-audit-log/entries/000000009999.json"
ATTEMPTS = [
    ("team", "append an approval to the audit log", _put(AUDIT, ENTRY), False),
    ("team", "rewrite the audit head", _put(AUDIT, "govhub-audit-log/head.json"), False),
    ("team", "overwrite a stored evidence document", _put(ARTIFACTS, f"teams/recsys/artifacts/{'0' * 64}.json"), False),
    ("team", "publish a policy pack", _put(ARTIFACTS, "policies/govhub-high/9.9.9.yaml"), False),
    ("team", "write into another team's inbox", _put(ARTIFACTS, "inbox/fraud/x/evidence.json"), False),
    ("team", "upload a submission to its own inbox", _put(ARTIFACTS, "inbox/recsys/x/evidence.json"), True),
    ("team", "read the packs", _list(ARTIFACTS, "policies/"), True),
    ("team", "publish a gate decision itself", ("events", "put_events", {"Entries": [DECISION_EVENT]}), False),
    ("approver", "append an approval to the audit log", _put(AUDIT, ENTRY), False),
    ("approver", "write a record", _put(ARTIFACTS, "teams/recsys/artifacts/x.json"), False),
    ("approver", "read the audit log", _list(AUDIT, "govhub-audit-log/"), True),
    (
        "service",
        "append an entry without If-None-Match",
        _put(AUDIT, "govhub-audit-log/entries/000000009997.json"),
        False,
    ),
    (
        "service",
        "append to the audit log",
        _put(AUDIT, "govhub-audit-log/entries/000000009998.json", IfNoneMatch="*"),
        True,
    ),
    ("service", "store a record", _put(ARTIFACTS, "teams/recsys/artifacts/y.json"), True),
    ("service", "read a team's inbox", _list(ARTIFACTS, "inbox/recsys/"), True),
]


def test_least_privilege_under_motos_iam_evaluator(deployed) -> None:
    """Each attempt runs on a real assumed-role session of the applied role, with moto's IAM evaluator
    switched on (moto-api/reset-auth) after setup, and must be denied or allowed as listed.

    What this proves: the identity policies Terraform applied (S3 writes by key, the bus) and the bucket
    policies (with the launcher's evaluation of their caller and If-None-Match conditions) deny every
    direct write a team or an approver could try, refuse an audit entry that is not create-only, and
    allow the legitimate steps. What it cannot: moto evaluates neither the KMS key policy nor the
    model-package-group policies (it cannot even store them), and it authorizes SageMaker calls against
    the resource "*" only, so it would deny every scoped SageMaker grant alike. Those are proven on the synthesized JSON
    (tests/hub/test_hub_aws.py, with policyuniverse) and by the opt-in Access Analyzer checks."""
    import requests
    from botocore.exceptions import ClientError

    endpoint = deployed["endpoint"]
    sessions = {
        "team": _hub_session(endpoint, "govhub-submit-recsys", "recsys-ci"),
        "approver": _hub_session(endpoint, "govhub-approver", "erin@acme.example"),
        "service": _hub_session(endpoint, "govhub-hub-service", "govhub-hub-service"),
    }
    clients = {(w, svc): s.client(svc, endpoint_url=endpoint) for w, s in sessions.items() for svc in ("s3", "events")}
    results = {}
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        for who, what, (svc, op, params), _ in ATTEMPTS:
            call = getattr(clients[(who, svc)], op)
            kwargs = dict(params, Body=b"{}") if op == "put_object" else params
            try:
                reply = call(**kwargs)
                results[(who, what)] = not reply.get("FailedEntryCount")
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                assert code in ("AccessDenied", "AccessDeniedException", "403"), (who, what, code)
                results[(who, what)] = False
    finally:
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
    wrong = [(who, what, results[(who, what)]) for who, what, _, allowed in ATTEMPTS if results[(who, what)] != allowed]
    assert wrong == [], f"allowed (True) or denied (False) against the listed expectation: {wrong}"


def test_second_plan_of_the_applied_hub_is_clean(deployed) -> None:
    tf = Terraform(deployed["base"] / "out" / "stacks" / "hub-aws", deployed["cli"])
    flags = [f"-target={a}" for a in applicable_addresses(deployed["docs"]["hub-aws"])]
    result = timed("second plan", tf.plan, *flags)
    changed = [line.strip() for line in result.stdout.splitlines() if "will be" in line or "must be" in line]
    unexplained = [line for line in changed if line.split()[1].split(".")[0] not in READBACK_DRIFT]
    assert not unexplained, unexplained
    assert all("will be updated in-place" in line for line in changed), changed


def test_default_synth_output_has_no_emulator_settings(estate_dir: Path) -> None:
    emulator_keys = set(EmulatorProfile(endpoint="x", state_dir=Path("x")).provider_overrides())
    for stack in (estate_dir / "stacks").iterdir():
        text = (stack / "cdk.tf.json").read_text()
        if "-azure" in stack.name or "-gcp" in stack.name:
            assert "127.0.0.1" not in text and '"aws"' not in text, stack.name  # no emulator, no aws provider
            continue
        assert "127.0.0.1" not in text and "localhost" not in text, stack.name
        doc = json.loads(text)
        for provider in doc["provider"]["aws"]:
            assert not emulator_keys & set(provider), (stack.name, emulator_keys & set(provider))
            assert "allowed_account_ids" in provider or "${" in provider["assume_role"][0]["role_arn"]
        assert doc["terraform"]["required_providers"]["aws"]["version"] != "5.100.0"
        # the platform.yaml's remote state, never a local file (the emulator profile alone uses local state)
        assert set(doc["terraform"]["backend"]) == {"s3"}, stack.name
        assert doc["terraform"]["backend"]["s3"]["key"] == f"govhub/{stack.name}.tfstate"


def test_missing_mirror_names_exactly_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(EmulatorUnavailable) as missing:
        find_mirror(env={MIRROR_ENV: str(tmp_path)})
    message = str(missing.value)
    assert "registry.terraform.io/hashicorp/aws/5.100.0/linux_" in message
    assert f"{MIRROR_ENV}={tmp_path}" in message


def test_missing_terraform_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EmulatorUnavailable, match="terraform binary is not on PATH; install Terraform"):
        find_terraform()


def test_pipeline_templates_reach_the_artifact_store_unescaped(deployed) -> None:
    from govhub.pipelines import PIPELINES, published

    s3 = account_client(deployed["endpoint"], "s3", GOVERNANCE)
    for key in published():
        body = s3.get_object(Bucket=f"govhub-artifacts-{GOVERNANCE}-{REGION}", Key=key)["Body"].read().decode()
        assert body == (PIPELINES / key.split("/", 2)[2]).read_text(), key
