"""The promotion workflow across accounts, on moto: hub registry, approvals with separation of duties,
tickets on the governance bus, policy distribution, model cards and the audit log.

Each step runs as the hub service runs it: on the service role's credentials, with the caller as STS
authenticated them (tests/mothub.py). The attacks on the boundary itself are in tests/service.

Hub (222222222222) and spokes (333333333333 fraud, 444444444444 claims) are separate moto accounts;
every call into the hub runs on credentials from sts:AssumeRole into a hub role. Nothing is faked at
the boto3 boundary: moto 5.2.5 implements every call used here (S3 conditional writes and object
lock, SageMaker model packages and model cards, EventBridge rules with SQS targets, STS).
"""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import pytest

from govhub.backends.aws import names
from govhub.core.audit import AuditLog, copy_log
from govhub.core.decision import Decision, decide
from govhub.core.evidence import Evidence, Metric, Provenance
from govhub.core.gates import GateContext
from govhub.core.policy import PACKS_DIR, load_pack
from govhub.core.store import LocalStore
from govhub.core.workflow import (
    Blocked,
    Submission,
    WorkflowError,
    approve,
    attach_monitoring_plan,
    export,
    grant_waiver,
    promote,
    publish_policy,
    reject,
    render_export_html,
    resolve_policy,
    status,
    submit,
)
from tests.core.test_policy_and_decision import ANNEX_IV
from tests.mothub import MotoHub, moto_hub

APPROVER, ADMIN, CI = names.HUB_APPROVER_ROLE, names.HUB_PLATFORM_ADMIN_ROLE, names.HUB_CI_DEPLOYER_ROLE
PROV = Provenance(
    artifact_uri="file:///predictions.parquet",
    artifact_sha256="1" * 64,
    tool="govhub-local",
    tool_version="0.1.0",
    variant="clarify facet value vs rest",
)
CARD = {
    **ANNEX_IV,
    "intended_use": "consumer credit scoring for EU retail customers",
    "limitations": "not for business loans",
    "owners": ["dana@acme.example"],
    "training_data": "loans 2019-2024 (v3)",
    "evaluation_data": "holdout 2025",
    "ethical_considerations": "reviewed by the ethics board",
    "assets": {"evaluation_report": "eval.html"},
    "lineage": {
        "data_version": "v3",
        "code_commit": "abc1234",
        "training_job": "tj-credit-7",
        "baseline_profile": "ab" * 32,
    },
}
PLAN = """schedule: daily
baseline: s3://fraud-data/baseline.parquet
checks:
  - {kind: drift, metric: drift.psi, max: 0.2}
  - {kind: data_quality, metric: quality.missing_rate, max: 0.05}
  - {kind: fairness, metric: clarify.DI, min: 0.8, max: 1.25}
"""
JUSTIFY = "reviewed the gate report and the model card; fit for purpose"


def _evidence(di: float) -> Evidence:
    def metric(name: str, value: float, **group: str) -> Metric:
        return Metric(name=name, value=value, group=group, provenance=PROV)

    metrics = [
        metric("roc_auc", 0.82),
        metric("accuracy", 0.76),
        metric("fairlearn.equalized_odds_difference", 0.04, sex="*"),
        metric("clarify.DI", di, sex="female"),
        metric("clarify.DI", 1.0, sex="male"),
        metric("clarify.DPPL", 0.02, sex="female"),
        metric("clarify.DPPL", -0.02, sex="male"),
        metric("clarify.RD", 0.01, sex="female"),
        metric("clarify.RD", -0.01, sex="male"),
        metric("fairness.group_size", 612, sex="female"),
        metric("fairness.group_size", 1588, sex="male"),
    ]
    return Evidence(model={"name": "credit"}, metrics=tuple(metrics))


def _decide(di: float, pack_file: Path = PACKS_DIR / "high.yaml", waivers=(), card=CARD) -> tuple[Decision, Evidence]:
    pack, ev = load_pack(pack_file), _evidence(di)
    ctx = GateContext(risk_tier=pack.risk_tier, model_card=card, lineage=card["lineage"])
    return decide(ev, pack, ctx=ctx, waivers=list(waivers)), ev


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with moto_hub(tmp_path, monkeypatch, ("high", "limited")) as h:
        yield h


MODEL = "ab" * 32


def _submission(decision=None, evidence=None, card=CARD, team="fraud", model=MODEL) -> Submission:
    return Submission(
        team=team,
        use_case="credit-scoring",
        evidence=evidence or _evidence(0.95),
        card=card,
        model_sha256=model,
        decision=decision,
    )


def _submit(hub: MotoHub, di: float = 0.95, model: str | None = None, **kwargs):
    decision, ev = _decide(di, **kwargs)
    return submit(hub.as_team("fraud"), _submission(decision, ev, model=model or f"{int(di * 1000):064x}"))


def test_submission_registers_cross_account_with_decision_and_lineage(hub: MotoHub) -> None:
    result = _submit(hub)
    mv = result.version
    assert mv.arn.startswith("arn:aws:sagemaker:eu-west-1:222222222222:model-package/fraud-credit-scoring/1")
    assert mv.status == "PendingManualApproval" and mv.ref == "fraud-credit-scoring/1"
    md = mv.metadata
    assert md["govhub:decision"] == "pass" and md["govhub:policy"] == "govhub-high@1.2.0"
    assert md["govhub:policy-digest"] == load_pack(PACKS_DIR / "high.yaml").digest
    assert (md["govhub:code-commit"], md["govhub:training-job"], md["govhub:data-version"]) == (
        "abc1234",
        "tj-credit-7",
        "v3",
    )
    assert md["govhub:baseline-profile"] == "ab" * 32  # the digest-named baseline profile, on the version
    assert md["govhub:submitter"] == "ci-pipeline" and md["govhub:author"] == "dana@acme.example"
    sm = hub.admin.client("sagemaker")
    described = sm.describe_model_package(ModelPackageName=mv.arn)
    assert described["MetadataProperties"]["CommitId"] == "abc1234"
    decision_uri = described["ModelMetrics"]["Bias"]["Report"]["S3Uri"]
    key = decision_uri.removeprefix(f"s3://{hub.coords.artifact_bucket}/")
    stored = hub.admin.client("s3").get_object(Bucket=hub.coords.artifact_bucket, Key=key)["Body"].read()
    assert Decision.model_validate_json(stored).outcome == "pass"
    # the spoke account itself holds nothing: registration happened in the hub account
    spoke_groups = hub.spoke("fraud").client("sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert spoke_groups == []
    # a passing decision raises no ticket
    assert not result.ticket and hub.tickets() == []
    log = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor").audit
    assert [e.type for e in log.entries()] == ["policy_publish", "policy_publish", "registration", "decision"]
    assert log.verify().ok


def test_a_failing_decision_is_registered_blocked_and_ticketed(hub: MotoHub) -> None:
    result = _submit(hub, di=0.62)
    assert result.decision.outcome == "fail" and result.ticket
    tickets = hub.tickets()
    assert len(tickets) == 1
    event = tickets[0]
    assert event["source"] == "govhub" and event["detail-type"] == "GovHub Gate Decision"
    envelope = event["detail"]  # a CloudEvents 1.0 envelope around the decision
    assert envelope["specversion"] == "1.0" and envelope["type"] == "govhub.gate.decision"
    assert envelope["source"] == f"urn:govhub:hub:aws:{hub.coords.account}"
    assert envelope["subject"] == "fraud-credit-scoring/1" and envelope["datacontenttype"] == "application/json"
    detail = envelope["data"]
    assert detail["team"] == "fraud" and detail["model_version"] == "fraud-credit-scoring/1"
    assert [g["id"] for g in detail["failed_gates"]] == ["gate.fairness"]
    finding = detail["failed_gates"][0]["findings"][0]
    assert finding["metric"] == "clarify.DI" and finding["value"] == pytest.approx(0.62)
    assert "DI 0.62 for sex=female is below 0.8" in detail["ticket"]["body"]
    with pytest.raises(Blocked) as blocked:
        promote(hub.as_hub(APPROVER, "erin@acme.example"), "fraud-credit-scoring/1", "dev")
    assert "gate decision is FAIL (gate.fairness)" in str(blocked.value)
    pack = export(hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor"), "fraud-credit-scoring/1")
    html = render_export_html(pack)
    assert pack["blocked"] and "BLOCKED at stage registered" in html and "FAIL (gate.fairness)" in html


def test_full_happy_path_to_prod(hub: MotoHub) -> None:
    ref = _submit(hub).version.ref
    erin, grace = hub.as_hub(APPROVER, "erin@acme.example"), hub.as_hub(APPROVER, "grace@acme.example")
    assert promote(erin, ref, "dev").metadata["govhub:stage"] == "dev"  # the high pack needs no dev approval
    assert approve(erin, ref, "staging", JUSTIFY) == (1, 1)
    promote(erin, ref, "staging")
    assert approve(erin, ref, "prod", JUSTIFY) == (1, 2)
    with pytest.raises(Blocked) as blocked:
        promote(erin, ref, "prod")
    assert any("needs 2 approval(s)" in r for r in blocked.value.reasons)
    assert any("monitoring plan" in r for r in blocked.value.reasons)
    assert approve(grace, ref, "prod", JUSTIFY) == (2, 2)
    plan = hub.cache_dir.parent / "plan.yaml"
    plan.write_text(PLAN)
    digest = attach_monitoring_plan(hub.as_team("fraud"), ref, plan.read_text())
    from govhub.core.monitoring import load_plan

    assert digest == load_plan(plan).digest  # the recorded digest is the plan's own canonical digest
    final = promote(grace, ref, "prod")
    assert final.status == "Approved" and final.metadata["govhub:stage"] == "prod"
    assert final.metadata["govhub:monitoring-plan-sha256"] == digest
    st = status(erin, ref)
    assert st["approvals"]["prod"] == {"have": ["erin@acme.example", "grace@acme.example"], "need": 2}
    # the model card exists in the hub through the SageMaker API, approved with the version
    card = hub.admin.client("sagemaker").describe_model_card(ModelCardName="fraud-credit-scoring-v1")
    content = json.loads(card["Content"])
    assert card["ModelCardStatus"] == "Approved"
    assert content["intended_uses"]["risk_rating"] == "High"
    assert content["model_package_details"]["model_package_arn"] == final.arn
    _conforms_to_sagemaker_card_schema({k: v for k, v in content.items() if k != "model_package_details"})
    md = (
        hub.admin.client("s3")
        .get_object(Bucket=hub.coords.artifact_bucket, Key="teams/fraud/cards/fraud-credit-scoring/1/model_card.md")[
            "Body"
        ]
        .read()
    )
    assert b"grace@acme.example" in md and b"consumer credit scoring" in md
    pack = export(hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor"), ref)
    assert pack["audit_chain"]["ok"] and [a["who"] for a in pack["approvals"]] == [
        "erin@acme.example",
        "erin@acme.example",
        "grace@acme.example",
    ]
    assert [e["type"] for e in pack["audit_entries"]] == [
        "registration",
        "decision",
        "promotion",
        "approval",
        "promotion",
        "approval",
        "approval",
        "monitoring_plan",
        "promotion",
    ]
    assert pack["policy_publication"][0]["details"]["digest"] == load_pack(PACKS_DIR / "high.yaml").digest
    html = render_export_html(pack)
    assert "fraud-credit-scoring/1" in html and "verified" in html
    # what each gate required (the pack's bounds), what each entry did, and a block to sign
    assert pack["stage"] == "prod" and not pack["blocked"] and "cleared at stage prod" in html
    assert "clarify.DI 0.8 ≤ value ≤ 1.25" in html and "clarify.DPPL |value| ≤ 0.1" in html
    assert "fields: data_version, code_commit, training_job" in html
    assert "registered → dev by erin@acme.example" in html and "approval for prod by grace@acme.example" in html
    assert "approvals staging 1, prod 2" in html and 'id="sign-off"' in html


@pytest.mark.parametrize("who", ["frank@acme.example", "Frank@ACME.example", "frank"])
def test_the_author_may_not_approve_under_any_spelling(hub: MotoHub, who: str) -> None:
    card = {**CARD, "author": "frank@acme.example"}
    ref = submit(hub.as_team("fraud"), _submission(card=card)).version.ref
    with pytest.raises(WorkflowError, match="separation of duties: frank@acme.example is the author"):
        approve(hub.as_hub(APPROVER, who), ref, "staging", JUSTIFY)


def test_a_caller_the_platform_does_not_declare_may_not_approve(hub: MotoHub) -> None:
    ref = _submit(hub).version.ref
    with pytest.raises(WorkflowError, match="does not list them under governance.approvers"):
        approve(hub.as_hub(APPROVER, "ci-pipeline"), ref, "staging", JUSTIFY)


def test_refusals_name_the_problem(hub: MotoHub) -> None:
    ref = _submit(hub).version.ref
    erin = hub.as_hub(APPROVER, "erin@acme.example")
    with pytest.raises(WorkflowError, match="needs role govhub-approver"):
        approve(hub.as_team("fraud", "mallory"), ref, "staging", JUSTIFY)  # a team role is not an approver
    with pytest.raises(WorkflowError, match="needs role govhub-submit-fraud"):
        _ = submit(hub.as_team("claims"), _submission(model="cd" * 32))
    with pytest.raises(WorkflowError, match="has no registration entries in the hub's audit log"):
        approve(erin, "fraud-credit-scoring/9", "staging", JUSTIFY)
    with pytest.raises(WorkflowError, match="GROUP/VERSION"):
        status(erin, "credit-scoring")
    with pytest.raises(WorkflowError, match="at least 20 characters"):
        approve(erin, ref, "staging", "ok")
    approve(erin, ref, "staging", JUSTIFY)
    with pytest.raises(WorkflowError, match="already approved"):
        approve(erin, ref, "staging", JUSTIFY)
    with pytest.raises(Blocked, match="is at registered; promote it to dev next"):
        promote(erin, ref, "staging")
    with pytest.raises(WorkflowError, match="needs the model artifact's sha256"):
        submit(hub.as_team("fraud"), _submission(model="not-a-digest"))


def test_a_submitted_decision_is_advisory_and_the_hub_records_its_own(hub: MotoHub) -> None:
    """A decision file claiming PASS for failing evidence is not refused: the hub judges the evidence
    itself, records FAIL, raises the ticket and reports where the file disagreed."""
    fair, _ = _decide(0.95)
    biased = _evidence(0.6)
    result = submit(hub.as_team("fraud"), _submission(decision=fair, evidence=biased))
    assert result.decision.outcome == "fail" and result.ticket
    assert any("gate.fairness is pass in the submitted decision but fail" in n for n in result.notes)
    entry = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor").audit.for_subject(result.version.ref)[-1]
    assert entry.type == "decision" and entry.details["outcome"] == "fail"
    assert entry.details["advisory"]["outcome"] == "pass"


def test_rejection_is_final_and_recorded(hub: MotoHub) -> None:
    ref = _submit(hub).version.ref
    erin = hub.as_hub(APPROVER, "erin@acme.example")
    assert reject(erin, ref, "staging", "explanations are missing for the top features").status == "Rejected"
    with pytest.raises(WorkflowError, match="was rejected"):
        approve(hub.as_hub(APPROVER, "frank@acme.example"), ref, "staging", JUSTIFY)
    with pytest.raises(Blocked, match="was rejected by erin"):
        promote(erin, ref, "dev")
    last = erin.audit.entries()[-1]
    assert last.type == "rejection" and last.details["justification"].startswith("explanations")


def test_a_decision_under_a_superseded_pack_is_stale(hub: MotoHub, tmp_path: Path) -> None:
    ref = _submit(hub).version.ref
    newer = tmp_path / "high-1.3.0.yaml"
    newer.write_text(
        (PACKS_DIR / "high.yaml")
        .read_text()
        .replace("version: 1.2.0", "version: 1.3.0")
        .replace("min: 0.70}", "min: 0.75}")
    )
    publish_policy(hub.as_hub(CI, "platform-ci"), newer)
    with pytest.raises(
        Blocked, match="stale decision: made under govhub-high 1.2.0, but the hub's current pack is 1.3.0"
    ):
        promote(hub.as_hub(APPROVER, "erin@acme.example"), ref, "dev")
    assert status(hub.as_hub(APPROVER, "erin@acme.example"), ref)["stale"] is True


def test_a_granted_waiver_passes_until_it_expires(hub: MotoHub) -> None:
    ref = _submit(hub, di=0.7).version.ref
    erin, grace = hub.as_hub(APPROVER, "erin@acme.example"), hub.as_hub(APPROVER, "grace@acme.example")
    with pytest.raises(Blocked, match="gate decision is FAIL"):
        promote(erin, ref, "dev")
    decision = grant_waiver(
        grace,
        ref,
        "gate.fairness",
        "temporary: retraining with reweighted data is scheduled",
        date.today() + timedelta(days=1),
    )
    assert decision.outcome == "pass"
    assert [e.type for e in erin.audit.for_subject(ref)] == ["registration", "decision", "waiver", "decision"]
    promote(erin, ref, "dev", today=date.today())
    approve(erin, ref, "staging", JUSTIFY)
    with pytest.raises(Blocked, match="the waiver for gate.fairness expired on"):
        promote(erin, ref, "staging", today=date.today() + timedelta(days=2))
    with pytest.raises(WorkflowError, match="within 180 days"):
        grant_waiver(
            grace, ref, "gate.fairness", "a reason long enough to be read later", date.today() + timedelta(days=400)
        )
    with pytest.raises(WorkflowError, match="gate.performance does not fail"):
        grant_waiver(
            grace, ref, "gate.performance", "a reason long enough to be read later", date.today() + timedelta(days=3)
        )


def test_policy_distribution_verifies_digest_and_caches(hub: MotoHub, tmp_path: Path) -> None:
    team = hub.as_team("fraud")
    pack = resolve_policy(team, "govhub-high")
    assert pack.version == "1.2.0" and (hub.cache_dir / "govhub-high" / "1.2.0.yaml").is_file()
    # republishing the same content is a no-op; changing a published version is refused
    ci = hub.as_hub(CI, "platform-ci")
    assert publish_policy(ci, PACKS_DIR / "high.yaml") == (pack, False)
    changed = tmp_path / "high.yaml"
    changed.write_text((PACKS_DIR / "high.yaml").read_text().replace("min: 0.70}", "min: 0.60}"))
    with pytest.raises(WorkflowError, match="already published with other content"):
        publish_policy(ci, changed)
    with pytest.raises(WorkflowError, match="needs role govhub-ci-deployer or govhub-platform-admin"):
        publish_policy(team, PACKS_DIR / "minimal.yaml")
    # a pack altered in the hub store after publication is refused, and a damaged cache is refetched
    hub.admin.client("s3").put_object(
        Bucket=hub.coords.artifact_bucket, Key="policies/govhub-high/1.2.0.yaml", Body=changed.read_bytes()
    )
    (hub.cache_dir / "govhub-high" / "1.2.0.yaml").write_text("garbage: [")
    with pytest.raises(WorkflowError, match="does not match its recorded digest"):
        resolve_policy(team, "govhub-high", "1.2.0")


def test_audit_log_in_the_hub_verifies_and_pinpoints_tampering_in_a_copy(hub: MotoHub, tmp_path: Path) -> None:
    _submit(hub)
    _submit(hub, di=0.6)
    auditor = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor")
    assert auditor.audit.verify().ok
    s3 = hub.admin.client("s3")
    head = s3.head_object(Bucket=hub.coords.audit_bucket, Key="govhub-audit-log/entries/000000000001.json")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    copy = LocalStore(tmp_path / "copy")
    copy_log(auditor.audit.store, copy)
    entry = tmp_path / "copy" / "govhub-audit-log" / "entries" / "000000000006.json"
    doc = json.loads(entry.read_text())
    doc["details"]["outcome"] = "pass"
    entry.write_text(json.dumps(doc))
    problems = AuditLog(copy).verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("modified", 6)]


def test_concurrent_appends_from_two_spokes_neither_lose_nor_fork(hub: MotoHub, monkeypatch) -> None:
    """Two spokes' submitter sessions append from 8 threads at once through S3 conditional writes.

    moto checks If-None-Match and then stores the object in two steps, so two requests can both pass
    the check; S3 itself decides atomically. The test serialises moto's PutObject handler to give it
    S3's guarantee; the appends themselves run concurrently."""
    import moto.s3.responses as s3_responses

    lock = threading.Lock()
    original = s3_responses.S3Response.put_object

    def atomic_put(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(s3_responses.S3Response, "put_object", atomic_put)
    logs = [hub.as_team("fraud").audit, hub.as_team("claims").audit]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(i: int) -> None:
        log = AuditLog(logs[i % 2].store)
        try:
            start.wait()
            for j in range(10):
                log.append("registration", f"spoke-{i % 2}", f"writer-{i}/{j}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    entries = logs[0].entries()
    mine = [e for e in entries if e.subject.startswith("writer-")]
    assert len(mine) == 80 and len({e.subject for e in mine}) == 80
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert logs[0].verify().ok


def _conforms_to_sagemaker_card_schema(content: dict) -> None:
    """Validate against the SageMaker SDK's models of the model card JSON schema, and refuse keys the
    schema does not know (the SDK models would silently ignore them)."""
    from pydantic import BaseModel
    from sagemaker.core.shapes.model_card_shapes import ModelCardContent

    ModelCardContent.model_validate(content)

    def walk(value, model) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, model)
            return
        if not (isinstance(value, dict) and isinstance(model, type) and issubclass(model, BaseModel)):
            return
        unknown = set(value) - set(model.model_fields)
        assert not unknown, f"{model.__name__} has no field(s) {unknown}"
        for key, item in value.items():
            annotation = model.model_fields[key].annotation
            for inner in getattr(annotation, "__args__", (annotation,)):
                for leaf in getattr(inner, "__args__", (inner,)):
                    if (
                        isinstance(leaf, type)
                        and issubclass(leaf, BaseModel)
                        and len(getattr(inner, "__args__", ())) <= 1
                    ):
                        walk(item, leaf)

    walk(content, ModelCardContent)


def test_a_blocked_versions_evidence_pack_in_the_browser(hub: MotoHub, tmp_path: Path) -> None:
    """What a risk officer sees: the red BLOCKED verdict first, the pack's bound beside the failing
    gate, and the sign-off block, through Chromium's DOM and a screenshot."""
    from PIL import Image

    from tests.core.test_report_browser import browse

    _submit(hub, di=0.62)
    page = tmp_path / "pack.html"
    page.write_text(render_export_html(export(hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor"), "fraud-credit-scoring/1")))
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert '<p id="verdict" class="bad">BLOCKED at stage registered</p>' in dom
    assert "clarify.DI 0.8 ≤ value ≤ 1.25" in dom and "DI 0.62 for sex=female is below 0.8" in dom
    assert dom.count("<tr><td>risk officer</td>") == 1 and 'id="sign-off"' in dom
    shot = tmp_path / "pack.png"
    browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1100,900")
    pixels: list[tuple[int, int, int]] = list(Image.open(shot).convert("RGB").get_flattened_data())  # type: ignore[arg-type]
    red = sum(1 for p in pixels if all(abs(a - b) <= 8 for a, b in zip(p, (164, 14, 14), strict=False)))
    assert red > 150, f"the verdict is not drawn in red ({red} red pixels)"


def test_attack_card_lineage_cannot_write_the_hubs_own_version_metadata(hub: MotoHub) -> None:
    """The card's lineage is the team's claim: only the named lineage keys reach the version's metadata, so a
    lineage entry named like a hub field (stage, decision, policy) cannot set it."""
    forged = {
        **CARD,
        "lineage": {**cast(dict[str, str], CARD["lineage"]), "stage": "prod", "decision": "pass", "policy": "none@0"},
    }
    decision, ev = _decide(0.6, card=forged)  # a failing model
    md = submit(hub.as_team("fraud"), _submission(decision, ev, card=forged)).version.metadata
    assert (md["govhub:stage"], md["govhub:decision"]) == ("registered", "fail")
    assert md["govhub:policy"] == "govhub-high@1.2.0" and md["govhub:baseline-profile"] == "ab" * 32
