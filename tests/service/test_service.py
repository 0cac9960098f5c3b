"""The hub service, end to end through its AWS Lambda handler, on the moto hub (tests/mothub.py).

Every request here is the exact event a function URL with AWS_IAM auth delivers (payload format 2.0,
checked against the AWS Lambda Developer Guide's example in tests/fixtures/provider-formats), with the
caller's identity as moto's STS authenticated their assumed-role session; the handler runs under the
hub service role's credentials. One regression test per attack of issue 12, each named after it.
What IAM itself refuses (a team's or approver's direct writes) is proven in test_least_privilege.py.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from govhub.backends.aws import names
from govhub.backends.aws.store import S3Store
from govhub.core import keys
from govhub.core.decision import Waiver
from govhub.core.evidence import Evidence, Metric
from govhub.core.identity import IdentityError, canonical
from govhub.core.policy import PACKS_DIR
from govhub.service.aws_lambda import build_service, caller_from_event, function_url_event, handler, respond
from govhub.service.client import InProcessClient
from tests.core.test_workflow import CARD, JUSTIFY, PLAN, PROV, _decide, _evidence
from tests.helpers import FIXTURES
from tests.mothub import MotoHub, moto_hub

APPROVER, ADMIN, CI = names.HUB_APPROVER_ROLE, names.HUB_PLATFORM_ADMIN_ROLE, names.HUB_CI_DEPLOYER_ROLE
PUBLISHED_EVENT = FIXTURES / "provider-formats" / "aws_lambda" / "function_url_iam_event.json"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with moto_hub(tmp_path, monkeypatch, ("high", "limited", "minimal")) as h:
        yield h


class Caller:
    """One person or pipeline talking to the hub service through its handler."""

    def __init__(self, hub: MotoHub, session, team: str | None = None):
        self.hub, self.session, self.team = hub, session, team
        service = build_service(hub.service_session(), hub.config, hub.cache_dir)
        self.client = InProcessClient(session, service, hub.coords.account, hub.coords.region)

    def call(self, action: str, **fields) -> tuple[int, dict]:
        return self.client.call({"action": action, **fields})

    def submit(self, evidence: Evidence, card=CARD, decision=None, model: str = "ab" * 32) -> tuple[int, dict]:
        assert self.team
        inbox = S3Store(self.session.client("s3", region_name=self.hub.coords.region), self.hub.coords.artifact_bucket)
        sub = uuid.uuid4().hex
        docs = {
            "evidence.json": evidence.to_json(),
            "card.json": json.dumps(card),
            "submission.json": json.dumps({"model_sha256": model}),
        }
        if decision is not None:
            docs["decision.json"] = decision.model_dump_json()
        for name, text in docs.items():
            inbox.put(f"{keys.inbox_prefix(self.team)}{sub}/{name}", text.encode())
        return self.call("submit", team=self.team, use_case="credit-scoring", submission=sub)


def team(hub: MotoHub, name: str = "fraud") -> Caller:
    return Caller(hub, hub.team_session(name), name)


def person(hub: MotoHub, who: str, role: str = APPROVER) -> Caller:
    return Caller(hub, hub.hub_session(role, who))


def _registered(hub: MotoHub, di: float = 0.95, **kw) -> str:
    status, body = team(hub).submit(_evidence(di), **kw)
    assert status == 200, body
    return body["result"]["model_version"]


# --------------------------------------------------------------------------- the function URL contract


def test_the_event_has_the_published_function_url_shape() -> None:
    published = json.loads(PUBLISHED_EVENT.read_text())
    ours = function_url_event(
        "{}",
        {"Arn": "arn:aws:sts::333333333333:assumed-role/r/s", "Account": "333333333333", "UserId": "AROA:s"},
        function_account="222222222222",
        region="eu-west-1",
    )
    optional = {"cookies", "queryStringParameters"}  # absent from requests that have none
    assert set(ours) == set(published) - optional
    assert set(ours["requestContext"]) == set(published["requestContext"])
    assert set(ours["requestContext"]["authorizer"]["iam"]) == set(published["requestContext"]["authorizer"]["iam"])
    assert set(ours["requestContext"]["http"]) == set(published["requestContext"]["http"])
    # the published example (an IAM user) parses to its caller too
    actor = caller_from_event(published)
    assert actor is not None and actor.account == "111122223333" and actor.name == "example-user"


def test_an_unauthenticated_event_is_refused_before_anything_runs() -> None:
    event = json.loads(PUBLISHED_EVENT.read_text())
    event["requestContext"]["authorizer"] = None
    reply = handler(event)
    assert reply["statusCode"] == 401 and json.loads(reply["body"])["exit_code"] == 2
    event["requestContext"]["authorizer"] = {"iam": {"userArn": "arn:aws:sts::999:assumed-role/x/y", "accountId": "1"}}
    assert handler(event)["statusCode"] == 401  # an ARN whose account is not the authenticated one


def test_attack_identity_in_the_body_is_refused(hub: MotoHub) -> None:
    ref = _registered(hub)
    status, body = person(hub, "erin@acme.example").call(
        "approve", ref=ref, stage="staging", justification=JUSTIFY, approver="frank@acme.example"
    )
    assert status == 400 and "approver: is not a known key" in body["message"]


def test_bad_requests_get_one_message_and_exit_code_2(hub: MotoHub) -> None:
    erin = person(hub, "erin@acme.example")
    service = erin.client.service
    identity = hub.hub_session(APPROVER, "erin@acme.example").client("sts").get_caller_identity()
    for raw, message in (
        ("", "no body"),
        ("[1]", "JSON object"),
        ("{nope", "not JSON"),
        ('{"action": "delete_everything"}', "unknown action 'delete_everything'"),
        ('{"action": "promote", "ref": "g/1"}', "stage: is required and missing"),
    ):
        reply = respond(function_url_event(raw, identity, function_account="222222222222", region="eu-west-1"), service)
        assert reply["statusCode"] == 400 and message in json.loads(reply["body"])["message"], (raw, reply)
    status, body = erin.call("promote", ref="fraud-credit-scoring", stage="dev")
    assert status == 403 and "GROUP/VERSION" in body["message"]


def test_the_happy_path_through_the_service(hub: MotoHub) -> None:
    ref = _registered(hub)
    erin, grace = person(hub, "erin@acme.example"), person(hub, "grace@acme.example")
    assert erin.call("promote", ref=ref, stage="dev")[0] == 200
    assert erin.call("approve", ref=ref, stage="staging", justification=JUSTIFY)[1]["result"] == {"have": 1, "need": 1}
    assert erin.call("promote", ref=ref, stage="staging")[0] == 200
    for who in (erin, grace):
        assert who.call("approve", ref=ref, stage="prod", justification=JUSTIFY)[0] == 200
    status, body = erin.call("promote", ref=ref, stage="prod")
    assert status == 409 and body["exit_code"] == 1 and any("requires a monitoring plan" in r for r in body["reasons"])
    assert team(hub).call("monitoring_attach", ref=ref, plan=PLAN)[0] == 200
    status, body = grace.call("promote", ref=ref, stage="prod")
    assert status == 200 and body["result"]["status"] == "Approved", body
    entries = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor").audit.for_subject(ref)
    assert entries[-1].details["promoter"] == "grace@acme.example"
    assert {e.actor.split("/")[1] for e in entries} == {"govhub-submit-fraud", "govhub-approver"}


# --------------------------------------------------------------------------- attacks on the decision


def test_attack_decision_under_a_weaker_pack_with_its_risk_tier_edited(hub: MotoHub) -> None:
    """A decision made under the limited pack, its risk_tier edited to high, for evidence the high pack
    fails: the hub judges under the high pack (from platform.yaml) and records FAIL."""
    weak, evidence = _decide(0.75, pack_file=PACKS_DIR / "limited.yaml")
    assert weak.outcome == "pass"
    forged = weak.model_copy(update={"risk_tier": "high"})
    status, body = team(hub).submit(evidence, decision=forged)
    r = body["result"]
    assert status == 200 and r["outcome"] == "fail" and r["decision"]["policy"]["name"] == "govhub-high"
    assert any("made under govhub-limited" in n for n in r["notes"])


def test_attack_minimal_pack_decision_without_fairness_evidence(hub: MotoHub) -> None:
    no_fairness = Evidence(
        model={"name": "credit"},
        metrics=tuple(
            m for m in _evidence(0.95).metrics if not m.name.startswith(("clarify.", "fairlearn.", "fairness."))
        ),
    )
    weak, _ = _decide(0.95, pack_file=PACKS_DIR / "minimal.yaml")
    status, body = team(hub).submit(no_fairness, decision=weak.model_copy(update={"risk_tier": "high"}))
    assert status == 200 and body["result"]["outcome"] == "fail"
    assert "gate.fairness" in body["result"]["failed_gates"]


def test_attack_waiver_written_into_decision_json(hub: MotoHub) -> None:
    waiver = Waiver(
        gate="gate.fairness",
        reason="we know best, trust the team on this",
        approver="cro@acme.example",
        expires=date.today() + timedelta(days=365),
    )
    self_waived, evidence = _decide(0.6, waivers=[waiver])
    assert self_waived.outcome == "pass"
    status, body = team(hub).submit(evidence, decision=self_waived)
    r = body["result"]
    assert r["outcome"] == "fail" and any("waivers in a submission are ignored" in n for n in r["notes"])
    status, body = person(hub, "erin@acme.example").call("promote", ref=r["model_version"], stage="dev")
    assert status == 409 and "gate decision is FAIL" in body["message"]
    entries = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor").audit.for_subject(r["model_version"])
    assert entries[-1].type == "refusal"  # the refused promotion
    entry = [e for e in entries if e.type == "decision"][-1]
    assert entry.details["advisory"]["ignored_waivers"][0]["approver"] == "cro@acme.example"


def test_attack_evidence_with_the_one_failing_row_deleted(hub: MotoHub) -> None:
    evidence = _evidence(0.6)
    doctored = Evidence(
        model=evidence.model,
        metrics=tuple(m for m in evidence.metrics if not (m.name == "clarify.DI" and m.group == {"sex": "female"})),
    )
    status, body = team(hub).submit(doctored)
    assert body["result"]["outcome"] == "fail"
    assert any("no clarify.DI for sex=female" in f for f in body["result"]["findings"])


def test_attack_evidence_computed_on_another_sensitive_column(hub: MotoHub) -> None:
    evidence = Evidence(
        model={"name": "credit"},
        metrics=tuple(
            Metric(name=m.name, value=m.value, group={"age_band": "over-40"} if m.group else {}, provenance=PROV)
            if m.group.get("sex") != "male"
            else Metric(name=m.name, value=m.value, group={"age_band": "under-40"}, provenance=PROV)
            for m in _evidence(0.95).metrics
        ),
    )
    status, body = team(hub).submit(evidence)
    assert body["result"]["outcome"] == "fail"
    assert any("declares sex with groups female, male" in f for f in body["result"]["findings"])


def test_attack_one_models_evidence_under_another_models_card_and_lineage(hub: MotoHub) -> None:
    evidence = _evidence(0.95)
    assert team(hub).submit(evidence, model="aa" * 32)[0] == 200
    other_card = {**CARD, "lineage": {"data_version": "v9", "code_commit": "fff9990", "training_job": "tj-other"}}
    status, body = team(hub).submit(evidence, card=other_card, model="bb" * 32)
    assert status == 403 and "was already submitted for model aaaaaaaaaaaa" in body["message"]


# --------------------------------------------------------------------------- attacks on the registry


def test_attack_create_model_package_directly_with_prod_stage_approved_and_a_forged_decision(hub: MotoHub) -> None:
    """A version written straight into the registry (here with the deploy role, since IAM denies it to
    the team: test_least_privilege) claims prod, Approved and a passing decision: the hub never
    registered it, so it cannot be promoted, and status refuses to vouch for it."""
    sm = hub.admin.client("sagemaker")
    forged = _decide(0.95)[0]
    digest = "0" * 64
    arn = sm.create_model_package(
        ModelPackageGroupName="fraud-credit-scoring",
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={
            "govhub:stage": "staging",
            "govhub:decision": "pass",
            "govhub:decision-sha256": digest,
            "govhub:team": "fraud",
            "govhub:policy": f"{forged.policy.name}@{forged.policy.version}",
        },
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    ref = "fraud-credit-scoring/" + arn.rsplit("/", 1)[1]
    status, body = person(hub, "erin@acme.example").call("promote", ref=ref, stage="prod")
    assert status == 403 and "no registration entries in the hub's audit log" in body["message"]
    status, body = person(hub, "erin@acme.example").call("status", ref=ref)
    assert status == 403


def test_attack_registry_metadata_edited_to_a_later_stage(hub: MotoHub) -> None:
    ref = _registered(hub)
    sm = hub.admin.client("sagemaker")
    arn = sm.describe_model_package(ModelPackageName=f"arn:aws:sagemaker:eu-west-1:222222222222:model-package/{ref}")[
        "ModelPackageArn"
    ]
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"govhub:stage": "staging"})
    erin = person(hub, "erin@acme.example")
    assert erin.call("status", ref=ref)[1]["result"]["stage"] == "registered"  # from the audit chain
    status, body = erin.call("promote", ref=ref, stage="prod")
    assert status == 409 and "is at registered; promote it to dev next" in body["message"]
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"govhub:model-sha256": "cd" * 32})
    status, body = erin.call("promote", ref=ref, stage="dev")
    assert status == 409 and "changed outside the hub" in body["message"]


# --------------------------------------------------------------------------- attacks on identity


def test_attack_one_person_approves_twice_under_two_spellings(hub: MotoHub) -> None:
    ref = _registered(hub)
    assert person(hub, "erin@acme.example").call("approve", ref=ref, stage="prod", justification=JUSTIFY)[0] == 200
    for spelling in ("ERIN@acme.example", "erin", "Erin"):
        status, body = person(hub, spelling).call("approve", ref=ref, stage="prod", justification=JUSTIFY)
        assert status == 403 and "erin@acme.example already approved" in body["message"], spelling


@pytest.mark.parametrize(
    "spelling, why",
    [
        ("\u0435rin@acme.example", r"U\+0435"),  # Cyrillic e
        ("erin@acme.example" + "x" * 50, "STS truncates session names at 64"),
    ],
)
def test_attack_lookalike_and_truncated_identities_are_refused(hub: MotoHub, spelling: str, why: str) -> None:
    with pytest.raises(IdentityError, match=why):
        canonical(spelling)
    ref = _registered(hub)
    svc = hub.as_hub(APPROVER, "erin@acme.example")
    from dataclasses import replace

    from govhub.core.ports import Actor
    from govhub.core.workflow import WorkflowError, approve

    forged = replace(svc, actor=Actor(arn=svc.actor.arn, account=svc.actor.account, role=APPROVER, name=spelling))
    with pytest.raises(WorkflowError, match=why):
        approve(forged, ref, "prod", JUSTIFY)


def test_attack_author_approves_under_an_alias(hub: MotoHub) -> None:
    ref = _registered(hub, card={**CARD, "author": "frank@acme.example"})
    for spelling in ("frank", "FRANK@acme.example"):
        status, body = person(hub, spelling).call("approve", ref=ref, stage="staging", justification=JUSTIFY)
        assert status == 403 and "separation of duties: frank@acme.example is the author" in body["message"]
    status, body = person(hub, "frank").call(
        "waiver_grant", ref=ref, gate="gate.fairness", reason="a long enough reason to read", expires=str(date.today())
    )
    assert status == 403 and "separation of duties" in body["message"]


def test_attack_card_names_a_colleague_so_a_team_member_can_approve(hub: MotoHub) -> None:
    """The author is whom the team's own card names: frank (an approver and a fraud member) writes
    dana into the card. Any member of the owning team is refused, whatever the card says."""
    ref = _registered(hub)  # the card names dana
    status, body = person(hub, "frank@acme.example").call("approve", ref=ref, stage="staging", justification=JUSTIFY)
    assert status == 403 and "frank@acme.example is a member of team fraud" in body["message"]


def test_attack_author_promotes_their_own_model(hub: MotoHub) -> None:
    ref = _registered(hub, card={**CARD, "author": "frank@acme.example"})
    status, body = person(hub, "frank@acme.example").call("promote", ref=ref, stage="dev")
    assert status == 403 and "frank@acme.example is the author" in body["message"]
    assert person(hub, "erin@acme.example").call("promote", ref=ref, stage="dev")[0] == 200


def test_attack_an_author_who_is_not_a_team_member(hub: MotoHub) -> None:
    status, body = team(hub).submit(_evidence(0.95), card={**CARD, "author": "mallory@evil.example"})
    assert status == 403 and "not a member of team fraud" in body["message"]


def test_waivers_come_only_from_an_approver_through_the_hub(hub: MotoHub) -> None:
    status, body = team(hub).submit(_evidence(0.7))
    ref = body["result"]["model_version"]
    expires = str(date.today() + timedelta(days=30))
    status, body = team(hub).call("waiver_grant", ref=ref, gate="gate.fairness", reason="x" * 30, expires=expires)
    assert status == 403 and "needs role govhub-approver" in body["message"]
    status, body = person(hub, "erin@acme.example").call(
        "waiver_grant",
        ref=ref,
        gate="gate.fairness",
        reason="retraining with reweighted data is scheduled",
        expires=expires,
    )
    assert status == 200 and body["result"]["outcome"] == "pass"
    assert person(hub, "grace@acme.example").call("promote", ref=ref, stage="dev")[0] == 200


def test_refused_changes_are_audit_events_with_who_and_why(hub: MotoHub) -> None:
    """A self-approval, a blocked promotion and a rejected submission leave a `refusal` entry, signed
    into the log like any other; reads do not."""
    ref = _registered(hub, card={**CARD, "author": "frank@acme.example"})
    auditor = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor")
    before = len(auditor.audit.entries())
    assert person(hub, "frank").call("approve", ref=ref, stage="staging", justification=JUSTIFY)[0] == 403
    assert person(hub, "erin@acme.example").call("promote", ref=ref, stage="staging")[0] == 409
    status, _ = team(hub).submit(_evidence(0.95), card={**CARD, "author": "mallory@evil.example"})
    assert status == 403
    assert person(hub, "erin@acme.example").call("status", ref=ref)[0] == 200
    refusals = [e for e in auditor.audit.entries()[before:] if e.type == "refusal"]
    assert [(e.subject, e.details["action"]) for e in refusals] == [
        (ref, "approve"),
        (ref, "promote"),
        ("fraud-credit-scoring", "submit"),
    ]
    self_approval, blocked, submission = refusals
    assert "frank" in self_approval.actor and "separation of duties" in self_approval.details["reason"]
    assert blocked.details["stage"] == "staging" and any(
        "promote it to dev next" in r for r in blocked.details["reasons"]
    )
    assert "mallory@evil.example" in submission.details["reason"] and submission.details["team"] == "fraud"
    from govhub.core.checkpoint import public_key

    key = public_key(auditor.signer.public_key_pem())
    report = auditor.audit.verify(checkpoints=auditor.checkpoints, public_key=key)
    assert report.ok and report.signed_size == report.entries  # the refusals are signed too
