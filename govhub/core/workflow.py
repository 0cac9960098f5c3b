"""The promotion workflow: submit, approve, reject, attach a monitoring plan, promote, publish policy.

Every step checks who is calling (:class:`govhub.core.ports.Actor`), refuses with one clear message when the
rules say no, and appends what it did to the audit log. The rules:

- a version is registered at stage ``registered`` and moves dev -> staging -> prod, one stage at a time;
- each promotion needs a passing decision made under the pack that is current in the hub (a decision
  under a superseded pack is stale), no expired waiver, and the approvals the pack sets for that
  stage, from distinct approvers who are neither the model's author nor its submitter;
- prod also needs a monitoring plan attached to the version;
- a failing or erroring decision blocks promotion and publishes a ticket-ready event at submission.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from govhub import vocabulary as v
from govhub.canonical import sha256_hex
from govhub.core import keys
from govhub.core.audit import AuditEntry
from govhub.core.decision import Decision, decide
from govhub.core.evidence import Evidence
from govhub.core.gates import GateContext
from govhub.core.policy import PolicyError, PolicyPack, load_pack, parse_pack
from govhub.core.ports import Actor, Services
from govhub.core.registry import APPROVED, REJECTED, ModelVersion, RegistryError, parse_ref
from govhub.core.store import Conflict, Missing
from govhub.text import substantial
from govhub.vocabulary import REGISTERED, STAGES

__all__ = [
    "Blocked",
    "Services",
    "WorkflowError",
    "approve",
    "attach_monitoring_plan",
    "export",
    "promote",
    "publish_policy",
    "reject",
    "resolve_policy",
    "status",
    "submit",
    "versions",
]

META = "govhub:"
MIN_JUSTIFICATION = 20
APPROVER_ROLES = (v.APPROVER,)
PROMOTER_ROLES = (v.APPROVER, v.PLATFORM_ADMIN)
PUBLISHER_ROLES = (v.CI_DEPLOYER, v.PLATFORM_ADMIN)


class WorkflowError(RuntimeError):
    """A refused or impossible step: bad input, a missing role, self-approval. Exit code 2."""


class Blocked(WorkflowError):
    """Promotion is refused by the rules; every reason is listed. Exit code 1."""

    def __init__(self, ref: str, stage: str, reasons: Sequence[str]):
        self.reasons = list(reasons)
        super().__init__(f"promotion of {ref} to {stage} is blocked:\n" + "\n".join(f"  - {r}" for r in reasons))


def _sha(data: bytes) -> str:
    return sha256_hex(data)


def _require_role(svc: Services, roles: Sequence[str], doing: str) -> None:
    actor = svc.actor
    if actor.account != svc.account or actor.role not in roles:
        raise WorkflowError(
            f"{actor} may not {doing}: that needs role {' or '.join(roles)} in the hub account "
            f"{svc.account}. Assume it (govhub ... --as YOUR-NAME assumes it for you) and retry"
        )


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


# --------------------------------------------------------------------------- policy distribution


def publish_policy(svc: Services, path: str | Path) -> tuple[PolicyPack, bool]:
    """Upload a pack version to the hub; versions are immutable. Returns (pack, newly published)."""
    _require_role(svc, PUBLISHER_ROLES, "publish policy packs")
    pack = load_pack(path)
    data = Path(path).read_bytes()
    try:
        svc.artifacts.put(
            keys.policy_key(pack.name, pack.version), data, if_absent=True, content_type="application/yaml"
        )
    except Conflict:
        key = keys.policy_key(pack.name, pack.version)
        existing = parse_pack(svc.artifacts.get(key), svc.artifacts.uri_of(key))
        if existing.digest == pack.digest:
            return pack, False
        raise WorkflowError(
            f"{pack.name} {pack.version} is already published with other content (digest "
            f"{existing.digest[:12]}…, yours {pack.digest[:12]}…); published versions never change: "
            f"raise `version:` in {path} and publish again"
        ) from None
    svc.artifacts.put(
        keys.policy_key(pack.name, pack.version, "sha256"),
        pack.digest.encode(),
        if_absent=True,
        content_type="text/plain",
    )
    svc.audit.append(
        "policy_publish",
        svc.actor.arn,
        f"policy:{pack.name}@{pack.version}",
        {
            "digest": pack.digest,
            "risk_tier": pack.risk_tier,
            "uri": svc.artifacts.uri_of(keys.policy_key(pack.name, pack.version)),
        },
    )
    return pack, True


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def published_versions(svc: Services, name: str) -> list[str]:
    prefix = f"{keys.POLICY_PREFIX}{name}/"
    versions = [k.removeprefix(prefix).removesuffix(".yaml") for k in svc.artifacts.keys(prefix) if k.endswith(".yaml")]
    return sorted((v for v in versions if all(p.isdigit() for p in v.split("."))), key=_semver)


def resolve_policy(svc: Services, name: str, version: str | None = None) -> PolicyPack:
    """A pack from the hub by name and version (default: the current one), digest-verified and cached."""
    versions = published_versions(svc, name)
    if not versions:
        raise WorkflowError(
            f"policy pack {name} is not published in the hub; the platform team publishes it with "
            f"`govhub policy publish govhub/policies/<tier>.yaml`"
        )
    version = version or versions[-1]
    if version not in versions:
        raise WorkflowError(f"policy pack {name} has no version {version} in the hub; published: {', '.join(versions)}")
    recorded = svc.artifacts.get(keys.policy_key(name, version, "sha256")).decode().strip()
    cached = svc.cache_dir / name / f"{version}.yaml"
    if cached.is_file():
        try:
            pack = load_pack(cached)
            if pack.digest == recorded:
                return pack
        except PolicyError:
            pass  # a damaged cache is fetched again
    data = svc.artifacts.get(keys.policy_key(name, version))
    pack = parse_pack(data, svc.artifacts.uri_of(keys.policy_key(name, version)))
    if pack.digest != recorded:
        raise WorkflowError(
            f"policy pack {name} {version} in the hub does not match its recorded digest "
            f"({pack.digest[:12]}… vs {recorded[:12]}…); do not use it, and tell the platform team"
        )
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    return pack


# --------------------------------------------------------------------------- submit


@dataclass(frozen=True)
class SubmitResult:
    version: ModelVersion
    decision: Decision
    event_id: str
    ticket: bool
    card_arn: str | None


def _store(svc: Services, team: str, data: bytes) -> tuple[str, str]:
    digest = _sha(data)
    key = keys.artifact_key(team, digest)
    try:
        svc.artifacts.put(key, data, if_absent=True)
    except Conflict:
        pass  # content-addressed: the same bytes are already there
    return key, digest


def submit(
    svc: Services,
    *,
    team: str,
    use_case: str,
    risk_tier: str,
    decision: Decision,
    evidence: Evidence,
    card: Mapping[str, Any],
    today: date | None = None,
) -> SubmitResult:
    """Register a model version in the team's hub group with its decision, evidence and lineage."""
    _require_role(svc, (v.team_submitter(team),), f"submit model versions for team {team}")
    group = keys.model_group(team, use_case)
    evidence_bytes = evidence.to_json().encode()
    if _sha(evidence_bytes) != decision.evidence_digest:
        raise WorkflowError(
            f"the decision was not made from this evidence (evidence digest {_sha(evidence_bytes)[:12]}… "
            f"but the decision records {decision.evidence_digest[:12]}…); submit the decision and the "
            "evidence that one `govhub evaluate` run wrote"
        )
    if decision.risk_tier != risk_tier:
        raise WorkflowError(
            f"use case {use_case} is risk tier {risk_tier} in the platform config, but the decision "
            f"was made for tier {decision.risk_tier}; evaluate again with --tier {risk_tier}"
        )
    pack = resolve_policy(svc, decision.policy.name, decision.policy.version)
    if pack.digest != decision.policy.digest:
        raise WorkflowError(
            f"the decision records {decision.policy.name} {decision.policy.version} with digest "
            f"{decision.policy.digest[:12]}…, but the hub's published pack has {pack.digest[:12]}…; "
            "evaluate with the hub's pack (`govhub policy fetch`)"
        )
    lineage = {k: str(v) for k, v in (card.get("lineage") or {}).items()}
    waivers = [g.waiver for g in decision.gates if g.waiver]
    rejudged = decide(
        evidence,
        pack,
        ctx=GateContext(risk_tier=pack.risk_tier, model_card=card, lineage=lineage),
        waivers=waivers,
        today=decision.decided_on,
    )
    mismatch = [
        f"{a.id} is {a.status} in the file but {b.status} when the hub judges the evidence"
        for a, b in zip(decision.gates, rejudged.gates, strict=False)
        if a.status != b.status
    ]
    if mismatch or rejudged.outcome != decision.outcome or len(rejudged.gates) != len(decision.gates):
        raise WorkflowError(
            "the decision does not follow from its evidence, model card and pack: "
            + ("; ".join(mismatch) or f"outcome {decision.outcome} vs {rejudged.outcome}")
        )
    author = _author(card)
    decision_bytes = decision.model_dump_json(indent=2).encode()
    card_bytes = json.dumps(card, sort_keys=True, default=str).encode()
    stored = {
        kind: _store(svc, team, data)
        for kind, data in (("decision", decision_bytes), ("evidence", evidence_bytes), ("card", card_bytes))
    }
    metadata = {
        "stage": REGISTERED,
        "team": team,
        "use-case": use_case,
        "risk-tier": risk_tier,
        "decision": decision.outcome,
        "decision-sha256": stored["decision"][1],
        "evidence-sha256": stored["evidence"][1],
        "card-sha256": stored["card"][1],
        "policy": f"{pack.name}@{pack.version}",
        "policy-digest": pack.digest,
        "author": author,
        "submitter": svc.actor.name,
        **{k.replace("_", "-"): v for k, v in lineage.items() if k in ("data_version", "code_commit", "training_job")},
    }
    mv = svc.registry.register(
        group,
        description=f"{group}: {card.get('intended_use', '')}",
        metadata={META + k: str(v)[:256] for k, v in metadata.items() if v},
        artifacts={k: svc.artifacts.uri_of(key) for k, (key, _) in stored.items()},
        lineage=lineage,
    )
    failed = decision.failures()
    svc.audit.append(
        "registration",
        svc.actor.arn,
        mv.ref,
        {
            "model_package_arn": mv.arn,
            "author": author,
            "lineage": lineage,
            "artifacts": {
                k: {"uri": svc.artifacts.uri_of(key), "sha256": digest} for k, (key, digest) in stored.items()
            },
        },
    )
    svc.audit.append(
        "decision",
        svc.actor.arn,
        mv.ref,
        {
            "outcome": decision.outcome,
            "policy": decision.policy.model_dump(),
            "evidence_sha256": stored["evidence"][1],
            "decision_sha256": stored["decision"][1],
            "failed_gates": [g.id for g in failed],
        },
    )
    for gate in decision.gates:
        if gate.waiver:
            svc.audit.append("waiver", svc.actor.arn, mv.ref, {"gate": gate.id, **gate.waiver.model_dump(mode="json")})
    ticket = decision.outcome in v.TICKET_OUTCOMES
    event_id = svc.events.publish(
        v.GATE_DECISION_EVENT,
        _decision_event(team, use_case, mv, decision, svc.artifacts.uri_of(stored["decision"][0])),
    )
    card_arn = _publish_card(svc, team, mv, card, decision, evidence, approvals=[])
    return SubmitResult(version=mv, decision=decision, event_id=event_id, ticket=ticket, card_arn=card_arn)


def _author(card: Mapping[str, Any]) -> str:
    """The model's author: the card's ``author``, else its first owner."""
    if card.get("author"):
        return str(card["author"])
    owners = card.get("owners") or ""
    if isinstance(owners, (list, tuple)):
        return str(owners[0]) if owners else ""
    return str(owners).split(",")[0].strip()


def _decision_event(team: str, use_case: str, mv: ModelVersion, decision: Decision, decision_uri: str) -> dict:
    failed = decision.failures()
    body = "\n".join(f"{g.id} {g.status}: " + ("; ".join(f.message for f in g.findings) or "no detail") for g in failed)
    return {
        "outcome": decision.outcome,
        "team": team,
        "use_case": use_case,
        "model_version": mv.ref,
        "model_package_arn": mv.arn,
        "risk_tier": decision.risk_tier,
        "policy": decision.policy.model_dump(),
        "decision_uri": decision_uri,
        "failed_gates": [
            {"id": g.id, "status": g.status, "findings": [f.model_dump() for f in g.findings]} for g in failed
        ],
        "ticket": {
            "title": f"[govhub] {mv.ref} blocked: {decision.outcome} on {', '.join(g.id for g in failed)}",
            "severity": "high" if decision.risk_tier in ("high", "prohibited") else "medium",
            "assignee_team": team,
            "body": body,
        }
        if failed
        else None,
    }


def _publish_card(
    svc: Services,
    team: str,
    mv: ModelVersion,
    card: Mapping[str, Any],
    decision: Decision,
    evidence: Evidence,
    approvals: Sequence[Mapping[str, Any]],
) -> str | None:
    from govhub.core import model_card

    ctx = model_card.context(card, decision, evidence, model_ref=mv.ref, approvals=approvals)
    base = keys.card_prefix(team, mv.group, mv.version)
    svc.artifacts.put(f"{base}model_card.md", model_card.render_markdown(ctx).encode(), content_type="text/markdown")
    svc.artifacts.put(f"{base}model_card.html", model_card.render_html(ctx).encode(), content_type="text/html")
    if svc.cards is None:
        return None
    status = "Approved" if mv.metadata.get(META + "stage") == "prod" else "Draft"
    return svc.cards.upsert(
        model_card.card_name(mv.ref), model_card.sagemaker_content_json(ctx, model_package_arn=mv.arn), status
    )


# --------------------------------------------------------------------------- reading a version back


def _load_version(svc: Services, ref: str) -> ModelVersion:
    try:
        group, version = parse_ref(ref)
        return svc.registry.get(group, version)
    except RegistryError as exc:
        raise WorkflowError(str(exc)) from None


def _artifact(svc: Services, mv: ModelVersion, kind: str) -> bytes:
    team, digest = mv.metadata.get(META + "team", ""), mv.metadata.get(f"{META}{kind}-sha256", "")
    try:
        data = svc.artifacts.get(keys.artifact_key(team, digest))
    except Missing:
        raise WorkflowError(f"{mv.ref}: its {kind} document is missing from the hub's artifact store") from None
    if _sha(data) != digest:
        raise WorkflowError(f"{mv.ref}: its {kind} document no longer matches the digest in the registry")
    return data


def decision_of(svc: Services, mv: ModelVersion) -> Decision:
    return Decision.model_validate_json(_artifact(svc, mv, "decision"))


def approvals_of(entries: Sequence[AuditEntry], stage: str | None = None) -> list[dict[str, str]]:
    out = []
    for e in entries:
        if e.type in ("approval", "rejection") and (stage is None or e.details.get("stage") == stage):
            out.append(
                {
                    "type": e.type,
                    "stage": e.details.get("stage", ""),
                    "who": e.details.get("approver", ""),
                    "when": e.time,
                    "justification": e.details.get("justification", ""),
                }
            )
    return out


# --------------------------------------------------------------------------- approve / reject


def _check_justification(text: str) -> str:
    if not substantial(text, MIN_JUSTIFICATION):
        raise WorkflowError(
            f"write a justification of at least {MIN_JUSTIFICATION} characters, mostly words, that an auditor can "
            'read later (--justification "...")'
        )
    return text.strip()


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise WorkflowError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")


def approve(svc: Services, ref: str, stage: str, justification: str) -> tuple[int, int]:
    """Record one approval for ``stage``. Returns (distinct approvals so far, approvals required)."""
    _require_role(svc, APPROVER_ROLES, "approve model versions")
    _check_stage(stage)
    justification = _check_justification(justification)
    mv = _load_version(svc, ref)
    if mv.status == REJECTED:
        raise WorkflowError(f"{ref} was rejected; a rejected version cannot be approved. Submit a new version")
    me = svc.actor.name
    for role, who in (
        ("author", mv.metadata.get(META + "author", "")),
        ("submitter", mv.metadata.get(META + "submitter", "")),
    ):
        if who and _same(who, me):
            raise WorkflowError(
                f"separation of duties: {me} is the {role} of {ref} and may not approve it; ask another "
                f"holder of the {v.APPROVER} role"
            )
    entries = svc.audit.for_subject(mv.ref)
    earlier = {a["who"].lower() for a in approvals_of(entries, stage) if a["type"] == "approval"}
    if me.lower() in earlier:
        raise WorkflowError(f"{me} already approved {ref} for {stage}; a second approval must come from someone else")
    svc.audit.append(
        "approval", svc.actor.arn, mv.ref, {"stage": stage, "approver": me, "justification": justification}
    )
    pack = resolve_policy(svc, *mv.metadata[META + "policy"].split("@"))
    return len(earlier) + 1, pack.approvals.get(stage, 0)  # type: ignore[call-overload]


def reject(svc: Services, ref: str, stage: str, justification: str) -> ModelVersion:
    _require_role(svc, APPROVER_ROLES, "reject model versions")
    _check_stage(stage)
    justification = _check_justification(justification)
    mv = _load_version(svc, ref)
    svc.audit.append(
        "rejection", svc.actor.arn, mv.ref, {"stage": stage, "approver": svc.actor.name, "justification": justification}
    )
    return svc.registry.update(
        mv,
        status=REJECTED,
        description=f"rejected by {svc.actor.name}: {justification}",
        metadata={META + "rejected-by": svc.actor.name[:256]},
    )


# --------------------------------------------------------------------------- monitoring plan


def attach_monitoring_plan(svc: Services, ref: str, plan_path: str | Path) -> str:
    from govhub.core.monitoring import PlanError, load_plan

    mv = _load_version(svc, ref)
    team = mv.metadata.get(META + "team", "")
    _require_role(svc, (v.team_submitter(team), *PROMOTER_ROLES), f"attach monitoring plans to {ref}")
    try:
        plan = load_plan(plan_path)
    except PlanError as exc:
        raise WorkflowError(str(exc)) from None
    key, digest = _store(svc, team, plan.canonical())
    svc.audit.append(
        "monitoring_plan",
        svc.actor.arn,
        mv.ref,
        {
            "sha256": digest,
            "uri": svc.artifacts.uri_of(key),
            "schedule": plan.schedule,
            "checks": [f"{c.kind}: {c.metric} {c.describe()}" for c in plan.checks],
        },
    )
    return digest


def monitoring_plan_of(entries: Sequence[AuditEntry]) -> dict[str, Any] | None:
    plans = [e for e in entries if e.type == "monitoring_plan"]
    return dict(plans[-1].details) if plans else None


# --------------------------------------------------------------------------- promote


def promote(svc: Services, ref: str, stage: str, today: date | None = None) -> ModelVersion:
    _require_role(svc, PROMOTER_ROLES, "promote model versions")
    _check_stage(stage)
    today = today or date.today()
    mv = _load_version(svc, ref)
    reasons = []
    current = mv.metadata.get(META + "stage", REGISTERED)
    order = (REGISTERED, *STAGES)
    if mv.status == REJECTED:
        reasons.append(f"{ref} was rejected by {mv.metadata.get(META + 'rejected-by', 'an approver')}")
    position = order.index(current) if current in order else -1
    if order.index(stage) != position + 1:
        nxt = order[position + 1] if 0 <= position < len(order) - 1 else None
        reasons.append(f"{ref} is at {current}; " + (f"promote it to {nxt} next" if nxt else "it is already in prod"))
    decision = decision_of(svc, mv)
    if decision.outcome != "pass":
        failing = ", ".join(g.id for g in decision.failures())
        reasons.append(
            f"its gate decision is {decision.outcome.upper()} ({failing}); fix the model, evaluate and "
            "submit a new version"
        )
    versions = published_versions(svc, decision.policy.name)
    if versions:
        latest = resolve_policy(svc, decision.policy.name, versions[-1])
        if latest.digest != decision.policy.digest:
            reasons.append(
                f"stale decision: made under {decision.policy.name} {decision.policy.version}, but the hub's "
                f"current pack is {latest.version} (digest {latest.digest[:12]}…); evaluate again under "
                "the current pack and submit the new decision"
            )
    for gate in decision.gates:
        if gate.waiver and gate.waiver.expires < today:
            reasons.append(
                f"the waiver for {gate.id} expired on {gate.waiver.expires}; renew the waiver (an approver "
                "signs a new one) and evaluate again"
            )
    entries = svc.audit.for_subject(mv.ref)
    pack = resolve_policy(svc, decision.policy.name, decision.policy.version)
    needed = pack.approvals.get(stage, 0)  # type: ignore[call-overload]
    excluded = {mv.metadata.get(META + "author", "").lower(), mv.metadata.get(META + "submitter", "").lower()}
    approvers = sorted(
        {a["who"] for a in approvals_of(entries, stage) if a["type"] == "approval" and a["who"].lower() not in excluded}
    )
    if len(approvers) < needed:
        reasons.append(
            f"{stage} needs {needed} approval(s) from distinct approvers for risk tier {pack.risk_tier}; "
            f"it has {len(approvers)}"
            + (f" ({', '.join(approvers)})" if approvers else "")
            + f": `govhub approve {ref} --stage {stage}`"
        )
    plan = monitoring_plan_of(entries)
    if stage == "prod" and plan is None:
        reasons.append(f"prod needs a monitoring plan attached: `govhub monitoring attach {ref} --plan PLAN.yaml`")
    if reasons:
        raise Blocked(ref, stage, reasons)
    metadata = {META + "stage": stage}
    if plan:
        metadata[META + "monitoring-plan-sha256"] = plan["sha256"]
    updated = svc.registry.update(
        mv,
        status=APPROVED if stage == "prod" else None,
        description=f"promoted to {stage} by {svc.actor.name}",
        metadata=metadata,
    )
    svc.audit.append(
        "promotion",
        svc.actor.arn,
        mv.ref,
        {
            "from": current,
            "to": stage,
            "approvers": approvers,
            "policy": decision.policy.model_dump(),
            "monitoring_plan": plan["sha256"] if plan else None,
        },
    )
    if stage == "prod":
        card = json.loads(_artifact(svc, updated, "card"))
        evidence = Evidence.from_json(_artifact(svc, updated, "evidence").decode())
        _publish_card(
            svc, updated.metadata.get(META + "team", ""), updated, card, decision, evidence, approvals_of(entries)
        )  # the promotion entry adds no approval
    return updated


# --------------------------------------------------------------------------- status and export


def status(svc: Services, ref: str) -> dict[str, Any]:
    mv = _load_version(svc, ref)
    entries = svc.audit.for_subject(mv.ref)
    decision = decision_of(svc, mv)
    pack = resolve_policy(svc, decision.policy.name, decision.policy.version)
    versions = published_versions(svc, decision.policy.name)
    return {
        "model_version": mv.ref,
        "arn": mv.arn,
        "approval_status": mv.status,
        "stage": mv.metadata.get(META + "stage", REGISTERED),
        "decision": decision.outcome,
        "policy": f"{decision.policy.name} {decision.policy.version}",
        "stale": bool(versions) and versions[-1] != decision.policy.version,
        "approvals": {
            s: {
                "have": sorted({a["who"] for a in approvals_of(entries, s) if a["type"] == "approval"}),
                "need": pack.approvals.get(s, 0),  # type: ignore[call-overload]
            }
            for s in STAGES
        },
        "monitoring_plan": (monitoring_plan_of(entries) or {}).get("sha256"),
        "author": mv.metadata.get(META + "author", ""),
        "submitter": mv.metadata.get(META + "submitter", ""),
        "history": [f"{e.seq} {e.time} {e.type} by {Actor.from_arn(e.actor).name}" for e in entries],
    }


def versions(svc: Services, group: str) -> list[dict[str, str]]:
    """Every version in a model package group, newest last, with its stage and decision."""
    try:
        found = svc.registry.versions(group)
    except RegistryError as exc:
        raise WorkflowError(str(exc)) from None
    return [
        {
            "model_version": mv.ref,
            "approval_status": mv.status,
            "stage": mv.metadata.get(META + "stage", REGISTERED),
            "decision": mv.metadata.get(META + "decision", "?"),
            "policy": mv.metadata.get(META + "policy", "?"),
        }
        for mv in found
    ]


def export(svc: Services, ref: str) -> dict[str, Any]:
    """The evidence pack an auditor asks for: registry record, decision, evidence digest, policy,
    monitoring plan, approvals, every audit entry about the version and the chain's verification."""
    from govhub.core import model_card

    mv = _load_version(svc, ref)
    decision = decision_of(svc, mv)
    evidence = Evidence.from_json(_artifact(svc, mv, "evidence").decode())
    card = json.loads(_artifact(svc, mv, "card"))
    entries = svc.audit.entries()
    mine = [e for e in entries if e.subject == mv.ref]
    policy_subject = f"policy:{decision.policy.name}@{decision.policy.version}"
    report = svc.audit.verify()
    approvals = approvals_of(mine)
    return {
        "model_version": mv.ref,
        "registry": {"arn": mv.arn, "approval_status": mv.status, "metadata": dict(mv.metadata)},
        "decision": json.loads(decision.model_dump_json()),
        "evidence_sha256": mv.metadata.get(META + "evidence-sha256"),
        "policy_publication": [e.model_dump() for e in entries if e.subject == policy_subject],
        "monitoring_plan": monitoring_plan_of(mine),
        "approvals": approvals,
        "audit_entries": [e.model_dump() for e in mine],
        "audit_chain": {
            "ok": report.ok,
            "entries": report.entries,
            "head": report.head_seq,
            "last_hash": report.last_hash,
            "problems": [p.message for p in report.problems],
        },
        "model_card": model_card.context(card, decision, evidence, model_ref=mv.ref, approvals=approvals),
    }


def render_export_html(pack: Mapping[str, Any]) -> str:
    from govhub.rendering import environment

    env = environment("audit")
    return env.get_template("export.html.j2").render(pack=pack)
