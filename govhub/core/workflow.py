"""The promotion workflow: submit, approve, reject, waive, attach a monitoring plan, promote, publish policy.

These functions are the hub service's rules (:mod:`govhub.service`): they run in the hub, under the
service's own credentials, with the caller's identity taken from authentication
(:class:`govhub.core.ports.Actor`). Every step checks who is calling, refuses with one clear message
when the rules say no, and appends what it did to the audit log. The rules:

- the hub decides: the risk tier comes from platform.yaml, the pack is the hub's current one for that
  tier, and the hub judges the stored evidence itself; a submitted decision is advisory, and waivers
  inside it are ignored and reported;
- evidence is bound to one model artifact (its sha256), and must cover every group of every protected
  attribute the use case declares;
- a version is registered at stage ``registered`` and moves dev -> staging -> prod, one stage at a time;
- each promotion is derived again from the verified audit chain and the digest-checked evidence: a
  passing decision under the hub's current pack (waivers count only when an approver granted them
  through the hub, for this evidence, and they have not expired), and the approvals the pack sets for
  that stage from distinct declared approvers who are neither the model's author nor its submitter;
- the author may not promote; prod needs a monitoring plan when the pack requires one;
- people are compared in one canonical form (:mod:`govhub.core.identity`);
- a failing or erroring decision blocks promotion and publishes a ticket-ready event at submission.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from govhub import vocabulary as v
from govhub.canonical import sha256_hex
from govhub.core import keys
from govhub.core.audit import AuditEntry
from govhub.core.checkpoint import fingerprint
from govhub.core.decision import MIN_WAIVER_REASON, Decision, Waiver, decide
from govhub.core.evidence import Evidence
from govhub.core.gates import GateContext
from govhub.core.identity import Directory, IdentityError
from govhub.core.policy import PolicyError, PolicyPack, load_pack, parse_pack
from govhub.core.ports import Actor, Services
from govhub.core.registry import APPROVED, REJECTED, ModelVersion, RegistryError, parse_ref
from govhub.core.store import Conflict, Missing
from govhub.text import substantial
from govhub.vocabulary import REGISTERED, STAGES

if TYPE_CHECKING:
    from govhub.config import PlatformConfig

__all__ = [
    "Blocked",
    "Services",
    "Submission",
    "WorkflowError",
    "approve",
    "attach_monitoring_plan",
    "export",
    "grant_waiver",
    "request_waiver",
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
MAX_WAIVER_DAYS = 180
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
            f"{svc.account}. Sign in to that role through the identity provider and retry"
        )


# --------------------------------------------------------------------------- policy distribution


def publish_policy(svc: Services, path: str | Path, data: bytes | None = None) -> tuple[PolicyPack, bool]:
    """Upload a pack version to the hub (``data``: the pack's bytes, ``path`` then only names it); versions
    are immutable. Returns (pack, newly published)."""
    _require_role(svc, PUBLISHER_ROLES, "publish policy packs")
    if data is None:
        data = Path(path).read_bytes()
    try:
        pack = parse_pack(data, str(path))
    except PolicyError as exc:
        raise WorkflowError(str(exc)) from None
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


# --------------------------------------------------------------------------- who is calling


def _platform(svc: Services) -> PlatformConfig:
    if svc.platform is None:
        raise WorkflowError(
            "the hub has no platform config, so it cannot know tiers, attributes or people; the hub service "
            "is deployed with one (hub-aws bundles platform.yaml)"
        )
    return svc.platform


def _directory(svc: Services) -> Directory:
    return _platform(svc).directory


def _caller(svc: Services) -> str:
    """The authenticated caller's person id (canonical; declared aliases resolve to the one id)."""
    try:
        return _directory(svc).person_id(svc.actor.name)
    except IdentityError as exc:
        raise WorkflowError(f"{svc.actor.arn}: {exc}") from None


def _declared(svc: Services, doing: str, *, approver: bool = False, admin: bool = False) -> str:
    """The caller's id, who must be declared in platform.yaml as an approver (or a platform admin)."""
    me = _caller(svc)
    person = _directory(svc).resolve(me)
    if person is None or not ((approver and person.approver) or (admin and person.platform_admin)):
        kinds = " or ".join(
            k for k, on in (("governance.approvers", approver), ("governance.platform_admins", admin)) if on
        )
        raise WorkflowError(
            f"{me} may not {doing}: the platform config does not list them under {kinds}; the platform team adds "
            "them there (by the id the identity provider sends) and redeploys the hub"
        )
    return me


def _not_party(svc: Services, me: str, record: Record, doing: str) -> None:
    """The author and submitter may not review a version; nor may any member of the owning team, since
    the author is whom the team's own model card names and the hub cannot check that claim."""
    directory = _directory(svc)
    for role, who in (("author", record.author), ("submitter", record.submitter)):
        if who and directory.same(who, me):
            raise WorkflowError(
                f"separation of duties: {me} is the {role} of {record.ref} and may not {doing}; ask another "
                f"holder of the {v.APPROVER} role"
            )
    person = directory.resolve(me)
    if person is not None and record.team in person.teams:
        raise WorkflowError(
            f"separation of duties: {me} is a member of team {record.team}, which owns {record.ref}, and may not "
            f"{doing}; ask a holder of the {v.APPROVER} role outside the team"
        )


# --------------------------------------------------------------------------- submit


@dataclass(frozen=True)
class Submission:
    """What a team hands the hub: evidence, model card and the model artifact's digest. The team's own
    decision, when given, is advisory: the hub judges the evidence itself."""

    team: str
    use_case: str | None
    evidence: Evidence
    card: Mapping[str, Any]
    model_sha256: str
    model_uri: str = ""
    decision: Decision | None = None


@dataclass(frozen=True)
class SubmitResult:
    version: ModelVersion
    decision: Decision
    event_id: str
    ticket: bool
    card_arn: str | None
    notes: tuple[str, ...] = ()


def _store(svc: Services, team: str, data: bytes) -> tuple[str, str]:
    digest = _sha(data)
    key = keys.artifact_key(team, digest)
    try:
        svc.artifacts.put(key, data, if_absent=True)
    except Conflict:
        pass  # content-addressed: the same bytes are already there
    return key, digest


def current_pack(svc: Services, tier: str) -> PolicyPack:
    """The hub's current pack for a risk tier: the newest published version of the one pack name whose
    packs carry that tier."""
    names_ = sorted(
        {k.removeprefix(keys.POLICY_PREFIX).split("/", 1)[0] for k in svc.artifacts.keys(keys.POLICY_PREFIX)}
    )
    found = []
    for name in names_:
        versions_ = published_versions(svc, name)
        if versions_:
            pack = resolve_policy(svc, name, versions_[-1])
            if pack.risk_tier == tier:
                found.append(pack)
    if not found:
        raise WorkflowError(
            f"no policy pack for risk tier {tier} is published in the hub; the platform team publishes it with "
            f"`govhub policy publish govhub/policies/{tier}.yaml`"
        )
    if len(found) > 1:
        raise WorkflowError(
            f"more than one pack is published for risk tier {tier} ({', '.join(p.name for p in found)}); the hub "
            "cannot tell which applies: the platform team keeps one pack name per tier"
        )
    return found[0]


# Lineage that each registry version carries as its own metadata, recorded as the team's claim (nothing on
# the hub decides by it); baseline_profile is the sha256 that names the training data's baseline profile
# (`govhub profile`), so drift monitoring can be traced to the profile the model was trained against.
LINEAGE_METADATA = ("data_version", "code_commit", "training_job", "baseline_profile")


def _context(svc: Services, team: str, use_case: str | None, card: Mapping[str, Any], tier: str) -> GateContext:
    _, case, _ = _platform(svc).use_case(team, use_case)
    lineage = {k: str(x) for k, x in (card.get("lineage") or {}).items()}
    protected = dict(case.protected_attributes) if case else {}
    outcome = case.positive_outcome if case else ""
    return GateContext(
        risk_tier=tier, model_card=card, lineage=lineage, protected_attributes=protected, positive_outcome=outcome
    )


def _check_model_digest(sub: Submission) -> str:
    digest = (sub.model_sha256 or "").strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise WorkflowError(
            "the submission needs the model artifact's sha256 (64 hex digits): the hub binds the evidence to "
            "that model; `govhub submit --model-artifact model.tar.gz` computes it"
        )
    claimed = str(sub.evidence.model.get("artifact_sha256", "") or "").lower()
    if claimed and claimed != digest:
        raise WorkflowError(
            f"the evidence was computed for model {claimed[:12]}…, but the submission names model {digest[:12]}…; "
            "evaluate the model you submit"
        )
    return digest


def _bind_evidence(svc: Services, team: str, evidence_digest: str, model_digest: str) -> None:
    """Evidence belongs to one model: the first submission claims it (a create-only index entry), and the
    same evidence under any other model is refused."""
    key = keys.evidence_index_key(team, evidence_digest)
    claim = json.dumps({"evidence_sha256": evidence_digest, "model_sha256": model_digest}, sort_keys=True).encode()
    try:
        svc.artifacts.put(key, claim, if_absent=True, content_type="application/json")
    except Conflict:
        owner = json.loads(svc.artifacts.get(key)).get("model_sha256", "")
        if owner != model_digest:
            raise WorkflowError(
                f"this evidence ({evidence_digest[:12]}…) was already submitted for model {owner[:12]}…; evidence "
                f"belongs to the model it was computed on: evaluate model {model_digest[:12]}… and submit its own"
            ) from None


def _advisory(submitted: Decision | None, decision: Decision) -> tuple[list[str], dict[str, Any]]:
    """What the team's own decision claimed and where the hub disagrees (recorded, never trusted)."""
    if submitted is None:
        return [], {}
    notes = []
    ignored = [
        {"gate": g.id, "approver": g.waiver.approver, "expires": str(g.waiver.expires)}
        for g in submitted.gates
        if g.waiver
    ]
    for w in ignored:
        notes.append(
            f"the submitted decision carries a waiver for {w['gate']} (approver {w['approver']!r}); waivers in a "
            "submission are ignored: an approver grants them with `govhub waiver grant`"
        )
    if submitted.policy.digest != decision.policy.digest:
        notes.append(
            f"the submitted decision was made under {submitted.policy.name} {submitted.policy.version}; the hub judged "
            f"under {decision.policy.name} {decision.policy.version}, the current pack for risk tier {decision.risk_tier}"
        )
    theirs = {g.id: g.status for g in submitted.gates}
    for g in decision.gates:
        if g.id in theirs and theirs[g.id] != g.status:
            notes.append(
                f"{g.id} is {theirs[g.id]} in the submitted decision but {g.status} when the hub judges the evidence"
            )
    if submitted.outcome != decision.outcome:
        notes.append(f"the submitted decision says {submitted.outcome}; the hub's decision is {decision.outcome}")
    return notes, {
        "outcome": submitted.outcome,
        "risk_tier": submitted.risk_tier,
        "policy": submitted.policy.model_dump(),
        "ignored_waivers": ignored,
        "differences": notes,
    }


def submit(svc: Services, sub: Submission, today: date | None = None) -> SubmitResult:
    """Register a model version in the team's hub group. The hub takes the risk tier from platform.yaml
    and the pack from its own publications, judges the evidence itself and records that decision."""
    team = sub.team
    _require_role(svc, (v.team_submitter(team),), f"submit model versions for team {team}")
    config = _platform(svc)
    try:
        team_cfg, case, tier = config.use_case(team, sub.use_case)
    except KeyError as exc:
        raise WorkflowError(str(exc.args[0])) from None
    use_case = case.name if case else None
    if tier == "prohibited":
        raise WorkflowError(
            f"{keys.model_group(team, use_case)} is a prohibited use case: no model version is registered"
        )
    model_digest = _check_model_digest(sub)
    directory = config.directory
    author_raw = _author(sub.card)
    try:
        author = directory.person_id(author_raw)
    except IdentityError as exc:
        raise WorkflowError(f"model card author: {exc}") from None
    person = directory.resolve(author)
    if person is None or team not in person.teams:
        members = ", ".join(p.id for p in team_cfg.members) or "none declared"
        raise WorkflowError(
            f"the model card names {author_raw!r} as author, who is not a member of team {team} (members: {members}); "
            f"set `author:` in the card to a member, or add them to teams[{team}].members in platform.yaml"
        )
    submitter = _caller(svc)
    pack = current_pack(svc, tier)
    evidence_bytes = sub.evidence.to_json().encode()
    ctx = _context(svc, team, use_case, sub.card, tier)
    decision = decide(sub.evidence, pack, ctx=ctx, today=today)
    notes, advisory = _advisory(sub.decision, decision)
    group = keys.model_group(team, use_case)
    decision_bytes = decision.model_dump_json(indent=2).encode()
    card_bytes = json.dumps(sub.card, sort_keys=True, default=str).encode()
    _bind_evidence(svc, team, _sha(evidence_bytes), model_digest)
    stored = {
        kind: _store(svc, team, data)
        for kind, data in (("decision", decision_bytes), ("evidence", evidence_bytes), ("card", card_bytes))
    }
    lineage = dict(ctx.lineage)
    metadata = {
        "stage": REGISTERED,
        "team": team,
        "use-case": use_case or "",
        "risk-tier": tier,
        "decision": decision.outcome,
        "decision-sha256": stored["decision"][1],
        "evidence-sha256": stored["evidence"][1],
        "card-sha256": stored["card"][1],
        "model-sha256": model_digest,
        "policy": f"{pack.name}@{pack.version}",
        "policy-digest": pack.digest,
        "author": author,
        "submitter": submitter,
        **{k.replace("_", "-"): x for k, x in lineage.items() if k in LINEAGE_METADATA},
    }
    mv = svc.registry.register(
        group,
        description=f"{group}: {sub.card.get('intended_use', '')}",
        metadata={META + k: str(x)[:256] for k, x in metadata.items() if x},
        artifacts={k: svc.artifacts.uri_of(key) for k, (key, _) in stored.items()},
        lineage=lineage,
    )
    svc.audit.append(
        "registration",
        svc.actor.arn,
        mv.ref,
        {
            "model_package_arn": mv.arn,
            "team": team,
            "use_case": use_case,
            "risk_tier": tier,
            "author": author,
            "submitter": submitter,
            "model": {"sha256": model_digest, "uri": sub.model_uri},
            "lineage": lineage,
            "artifacts": {
                k: {"uri": svc.artifacts.uri_of(key), "sha256": digest} for k, (key, digest) in stored.items()
            },
        },
    )
    entry = _record_decision(svc, mv.ref, decision, stored["decision"][1], advisory=advisory)
    _attest(svc, team, mv.ref, model_digest, entry, decision, stored["decision"][1], REGISTERED, [], 0)
    ticket = decision.outcome in v.TICKET_OUTCOMES
    event_id = svc.events.publish(
        v.GATE_DECISION_EVENT,
        _decision_event(team, use_case or "", mv, decision, svc.artifacts.uri_of(stored["decision"][0])),
    )
    card_arn = _publish_card(svc, team, mv, sub.card, decision, sub.evidence, approvals=[])
    return SubmitResult(
        version=mv, decision=decision, event_id=event_id, ticket=ticket, card_arn=card_arn, notes=tuple(notes)
    )


def _record_decision(
    svc: Services, ref: str, decision: Decision, decision_sha256: str, advisory: Mapping[str, Any] | None = None
) -> AuditEntry:
    details: dict[str, Any] = {
        "outcome": decision.outcome,
        "risk_tier": decision.risk_tier,
        "policy": decision.policy.model_dump(),
        "evidence_sha256": decision.evidence_digest,
        "decision_sha256": decision_sha256,
        "failed_gates": [g.id for g in decision.failures()],
        "waived_gates": [g.id for g in decision.gates if g.waiver],
    }
    if advisory:
        details["advisory"] = dict(advisory)
    return svc.audit.append("decision", svc.actor.arn, ref, details)


def _attest(
    svc: Services,
    team: str,
    ref: str,
    model_sha256: str,
    entry: AuditEntry,
    decision: Decision,
    decision_sha256: str,
    stage: str,
    approvals: Sequence[Mapping[str, Any]],
    required: int,
) -> str | None:
    """Issue the decision just recorded as an in-toto statement in a DSSE envelope, signed with the hub
    key, its subject the model artifact's digest; stored create-only next to the version's records."""
    if svc.signer is None:
        return None
    from govhub.core import attestation

    group, version = parse_ref(ref)
    stmt = attestation.statement(
        model_name=ref,
        artifact_sha256=model_sha256,
        model_version=ref,
        decision={"outcome": decision.outcome, "risk_tier": decision.risk_tier, "policy": decision.policy.model_dump()},
        decision_sha256=decision_sha256,
        evidence_sha256=decision.evidence_digest,
        stage=stage,
        approvals=approvals,
        approvals_required=required,
        issued_at=entry.time,
        audit_entry={"seq": entry.seq, "hash": entry.hash, "type": entry.type, "log": svc.audit.origin()},
    )
    key = keys.attestation_key(team, group, version, entry.seq, stage)
    svc.artifacts.put(key, attestation.envelope(stmt, svc.signer), if_absent=True, content_type="application/json")
    return svc.artifacts.uri_of(key)


def seal(svc: Services) -> Any:
    """Sign a checkpoint of the audit log as it stands (the service does after every request that
    appends). Returns the checkpoint, or None for a hub without a signing key."""
    if svc.signer is None or svc.checkpoints is None:
        return None
    return svc.audit.sign_checkpoint(svc.signer, svc.checkpoints)


def latest_attestation(svc: Services, team: str, ref: str, stage: str | None = None) -> tuple[str, bytes]:
    """(URI, envelope) of the newest attestation of ``ref`` (at ``stage``, when given)."""
    group, version = parse_ref(_canonical_ref(ref))
    prefix = keys.attestation_prefix(team, group, version)
    found = [k for k in svc.artifacts.keys(prefix) if stage is None or k.endswith(f"-{stage}.intoto.json")]
    if not found:
        raise WorkflowError(
            f"the hub has issued no attestation for {group}/{version}"
            + (f" at stage {stage}" if stage else "")
            + f" under {svc.artifacts.uri_of(prefix)}; check the version and team (`govhub status {group}/{version}`)"
        )
    return svc.artifacts.uri_of(found[-1]), svc.artifacts.get(found[-1])


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
    prod: bool = False,
) -> str | None:
    from govhub.core import model_card

    ctx = model_card.context(card, decision, evidence, model_ref=mv.ref, approvals=approvals)
    base = keys.card_prefix(team, mv.group, mv.version)
    svc.artifacts.put(f"{base}model_card.md", model_card.render_markdown(ctx).encode(), content_type="text/markdown")
    svc.artifacts.put(f"{base}model_card.html", model_card.render_html(ctx).encode(), content_type="text/html")
    if svc.cards is None:
        return None
    return svc.cards.upsert(
        model_card.card_name(mv.ref),
        model_card.sagemaker_content_json(ctx, model_package_arn=mv.arn),
        "Approved" if prod else "Draft",
    )


# --------------------------------------------------------------------------- what the audit chain says


@dataclass(frozen=True)
class Record:
    """One model version as the audit chain records it: the only source promotion trusts."""

    ref: str
    registration: AuditEntry
    entries: tuple[AuditEntry, ...]

    def _d(self, key: str) -> Any:
        return self.registration.details.get(key)

    @property
    def team(self) -> str:
        return str(self._d("team") or "")

    @property
    def use_case(self) -> str | None:
        return self._d("use_case") or None

    @property
    def risk_tier(self) -> str:
        return str(self._d("risk_tier") or "")

    @property
    def author(self) -> str:
        return str(self._d("author") or "")

    @property
    def submitter(self) -> str:
        return str(self._d("submitter") or "")

    @property
    def model_sha256(self) -> str:
        return str((self._d("model") or {}).get("sha256", ""))

    def digest(self, kind: str) -> str:
        return str(((self._d("artifacts") or {}).get(kind) or {}).get("sha256", ""))

    def of(self, *types: str) -> list[AuditEntry]:
        return [e for e in self.entries if e.type in types]

    @property
    def stage(self) -> str:
        promotions = self.of("promotion")
        return str(promotions[-1].details.get("to")) if promotions else REGISTERED

    @property
    def decision_entry(self) -> AuditEntry:
        return self.of("decision")[-1]

    @property
    def rejected_by(self) -> str | None:
        rejections = self.of("rejection")
        return str(rejections[-1].details.get("approver")) if rejections else None


def _record(svc: Services, ref: str, entries: Sequence[AuditEntry] | None = None) -> Record:
    mv_ref = _canonical_ref(ref)
    mine = [e for e in (entries if entries is not None else svc.audit.entries()) if e.subject == mv_ref]
    registrations = [e for e in mine if e.type == "registration"]
    if len(registrations) != 1 or not [e for e in mine if e.type == "decision"]:
        raise WorkflowError(
            f"{mv_ref} has {'no' if not registrations else len(registrations)} registration entr"
            f"{'y' if len(registrations) == 1 else 'ies'} in the hub's audit log; only versions the hub "
            "registered can be approved or promoted"
        )
    return Record(ref=mv_ref, registration=registrations[0], entries=tuple(mine))


def _canonical_ref(ref: str) -> str:
    try:
        group, version = parse_ref(ref)
    except RegistryError as exc:
        raise WorkflowError(str(exc)) from None
    return f"{group}/{version}"


def _document(svc: Services, record: Record, kind: str, digest: str | None = None) -> bytes:
    """A stored document of the version, checked against its digest in the audit log (default: the
    registration entry's digest of ``kind``)."""
    digest = record.digest(kind) if digest is None else digest
    try:
        data = svc.artifacts.get(keys.artifact_key(record.team, digest))
    except Missing:
        raise WorkflowError(f"{record.ref}: its {kind} document is missing from the hub's artifact store") from None
    if not digest or _sha(data) != digest:
        raise WorkflowError(f"{record.ref}: its {kind} document no longer matches the digest in the audit log")
    return data


def granted_waivers(svc: Services, record: Record) -> list[Waiver]:
    """Waivers an approver granted through the hub for this version's evidence (never the team's own)."""
    directory = _directory(svc)
    out = []
    for e in record.of("waiver"):
        d = e.details
        who = str(d.get("approver", ""))
        if d.get("evidence_sha256") != record.digest("evidence") or not who:
            continue
        if any(directory.same(who, p) for p in (record.author, record.submitter) if p):
            continue
        out.append(Waiver(gate=d["gate"], reason=d["reason"], approver=who, expires=date.fromisoformat(d["expires"])))
    return out


def rejudge(svc: Services, record: Record, today: date, pack: PolicyPack | None = None) -> tuple[Decision, PolicyPack]:
    """The decision the hub makes now from the stored, digest-checked evidence and card, under the pack the
    version was judged under (or ``pack``), with the waivers granted through the hub."""
    if pack is None:
        ref = record.decision_entry.details.get("policy") or {}
        pack = resolve_policy(svc, str(ref.get("name", "")), str(ref.get("version", "")))
        if pack.digest != ref.get("digest"):
            raise WorkflowError(f"{record.ref}: the pack it was judged under no longer matches the recorded digest")
    evidence = Evidence.from_json(_document(svc, record, "evidence").decode())
    card = json.loads(_document(svc, record, "card"))
    ctx = _context(svc, record.team, record.use_case, card, record.risk_tier)
    return decide(evidence, pack, ctx=ctx, waivers=granted_waivers(svc, record), today=today), pack


def decision_of(svc: Services, record: Record) -> Decision:
    """The hub's latest recorded decision for the version (the newest decision entry's document)."""
    digest = str(record.decision_entry.details.get("decision_sha256", ""))
    return Decision.model_validate_json(_document(svc, record, "decision", digest))


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


def _approvers(svc: Services, record: Record, stage: str) -> list[str]:
    """Distinct declared approvers (by person id) who approved ``stage``, neither author nor submitter."""
    directory = _directory(svc)
    out: set[str] = set()
    for a in approvals_of(record.entries, stage):
        if a["type"] != "approval":
            continue
        try:
            pid = directory.person_id(a["who"])
        except IdentityError:
            continue
        person = directory.resolve(pid)
        if person is None or not person.approver:
            continue
        if any(directory.same(pid, p) for p in (record.author, record.submitter) if p) or record.team in person.teams:
            continue
        out.add(pid)
    return sorted(out)


# --------------------------------------------------------------------------- approve / reject / waive


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
    ref = _canonical_ref(ref)
    me = _declared(svc, "approve model versions", approver=True)
    record = _record(svc, ref)
    if record.rejected_by:
        raise WorkflowError(f"{record.ref} was rejected; a rejected version cannot be approved. Submit a new version")
    _not_party(svc, me, record, "approve it")
    earlier = _approvers(svc, record, stage)
    if me in earlier:
        raise WorkflowError(
            f"{me} already approved {record.ref} for {stage}; a second approval must come from someone else"
        )
    svc.audit.append(
        "approval", svc.actor.arn, record.ref, {"stage": stage, "approver": me, "justification": justification}
    )
    ref_ = record.decision_entry.details.get("policy") or {}
    pack = resolve_policy(svc, str(ref_.get("name")), str(ref_.get("version")))
    return len(earlier) + 1, pack.approvals.get(stage, 0)  # type: ignore[call-overload]


def reject(svc: Services, ref: str, stage: str, justification: str) -> ModelVersion:
    _require_role(svc, APPROVER_ROLES, "reject model versions")
    _check_stage(stage)
    justification = _check_justification(justification)
    ref = _canonical_ref(ref)
    me = _declared(svc, "reject model versions", approver=True)
    record = _record(svc, ref)
    mv = _load_version(svc, record.ref)
    svc.audit.append(
        "rejection", svc.actor.arn, record.ref, {"stage": stage, "approver": me, "justification": justification}
    )
    return svc.registry.update(
        mv, status=REJECTED, description=f"rejected by {me}: {justification}", metadata={META + "rejected-by": me[:256]}
    )


def _waivable(svc: Services, record: Record, gate: str, expires: date, today: date) -> tuple[Decision, PolicyPack]:
    """The checks a waiver and a request for one share: the version stands, the expiry is in the window,
    and the gate fails under the current pack. Returns the current decision and its pack."""
    if record.rejected_by:
        raise WorkflowError(f"{record.ref} was rejected; nothing about it can be waived. Submit a new version")
    if expires <= today or expires > today + timedelta(days=MAX_WAIVER_DAYS):
        raise WorkflowError(
            f"a waiver expires after today and within {MAX_WAIVER_DAYS} days (by {today + timedelta(days=MAX_WAIVER_DAYS)}); "
            f"{expires} is not: give --expires YYYY-MM-DD in that window"
        )
    current, pack = rejudge(svc, record, today)
    failing = {g.id for g in current.gates if g.status == "fail"}
    if gate not in failing:
        raise WorkflowError(
            f"{gate} does not fail for {record.ref} (failing gates: {', '.join(sorted(failing)) or 'none'}); a waiver "
            "covers one failing gate"
        )
    return current, pack


def open_waiver_requests(record: Record) -> list[AuditEntry]:
    """Requests for a waiver that no waiver for the same gate has answered since."""
    out: list[AuditEntry] = []
    for e in record.of("waiver_request", "waiver"):
        if e.type == "waiver":
            out = [r for r in out if r.details.get("gate") != e.details.get("gate")]
        else:
            out.append(e)
    return out


def request_waiver(
    svc: Services, ref: str, gate: str, reason: str, expires: date, today: date | None = None
) -> dict[str, Any]:
    """A member of the owning team asks the approvers to waive one failing gate until ``expires``. The
    request is recorded in the audit log and shown in the approvers' inbox; it changes no decision: only
    an approver's ``waiver grant`` does."""
    ref = _canonical_ref(ref)
    record = _record(svc, ref)
    _require_role(svc, (v.team_submitter(record.team),), f"ask for waivers of team {record.team}'s models")
    me = _caller(svc)
    person = _directory(svc).resolve(me)
    if person is None or record.team not in person.teams:
        raise WorkflowError(
            f"{me} may not ask for a waiver of {record.ref}: only a member of team {record.team} may (teams[].members "
            "in the platform config); the platform team adds them there and redeploys the hub"
        )
    today = today or date.today()
    _waivable(svc, record, gate, expires, today)
    if not substantial(reason, MIN_WAIVER_REASON):
        raise WorkflowError(
            f"the reason must be at least {MIN_WAIVER_REASON} characters that an approver can weigh: say why the "
            "failure is acceptable for now and what will fix it"
        )
    details = {
        "gate": gate,
        "reason": reason.strip(),
        "requested_by": me,
        "expires": str(expires),
        "evidence_sha256": record.digest("evidence"),
    }
    entry = svc.audit.append("waiver_request", svc.actor.arn, record.ref, details)
    return {"model_version": record.ref, "seq": entry.seq, **details}


def grant_waiver(svc: Services, ref: str, gate: str, reason: str, expires: date, today: date | None = None) -> Decision:
    """An approver who is neither author nor submitter waives one failing gate of one version, for its
    evidence, until ``expires``. The hub judges again with the waiver and records the new decision. A
    grant answers the team's open request for that gate, when there is one."""
    _require_role(svc, APPROVER_ROLES, "grant waivers")
    ref = _canonical_ref(ref)
    me = _declared(svc, "grant waivers", approver=True)
    today = today or date.today()
    record = _record(svc, ref)
    _not_party(svc, me, record, "waive its gates")
    _, pack = _waivable(svc, record, gate, expires, today)
    try:
        waiver = Waiver(gate=gate, reason=reason, approver=me, expires=expires)
    except ValidationError as exc:
        raise WorkflowError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    answers = [e.seq for e in open_waiver_requests(record) if e.details.get("gate") == gate]
    svc.audit.append(
        "waiver",
        svc.actor.arn,
        record.ref,
        {
            "gate": waiver.gate,
            "reason": waiver.reason,
            "approver": me,
            "expires": str(expires),
            "evidence_sha256": record.digest("evidence"),
            "granted_on": str(today),
            **({"answers": answers} if answers else {}),
        },
    )
    decision, _ = rejudge(svc, _record(svc, record.ref), today, pack)
    key, digest = _store(svc, record.team, decision.model_dump_json(indent=2).encode())
    entry = _record_decision(svc, record.ref, decision, digest)
    _attest(svc, record.team, record.ref, record.model_sha256, entry, decision, digest, record.stage, [], 0)
    return decision


# --------------------------------------------------------------------------- monitoring plan


def attach_monitoring_plan(svc: Services, ref: str, plan_text: str | bytes, source: str = "<plan>") -> str:
    from govhub.core.monitoring import PlanError, parse_plan

    record = _record(svc, ref)
    _require_role(svc, (v.team_submitter(record.team), *PROMOTER_ROLES), f"attach monitoring plans to {record.ref}")
    try:
        plan = parse_plan(plan_text, source)
    except PlanError as exc:
        raise WorkflowError(str(exc)) from None
    key, digest = _store(svc, record.team, plan.canonical())
    svc.audit.append(
        "monitoring_plan",
        svc.actor.arn,
        record.ref,
        {
            "sha256": digest,
            "uri": svc.artifacts.uri_of(key),
            "attached_by": _caller(svc),
            "schedule": plan.schedule,
            "checks": [f"{c.kind}: {c.metric} {c.describe()}" for c in plan.checks],
        },
    )
    return digest


def monitoring_plan_of(entries: Sequence[AuditEntry]) -> dict[str, Any] | None:
    plans = [e for e in entries if e.type == "monitoring_plan"]
    return dict(plans[-1].details) if plans else None


# --------------------------------------------------------------------------- promote


def _load_version(svc: Services, ref: str) -> ModelVersion:
    try:
        group, version = parse_ref(ref)
        return svc.registry.get(group, version)
    except RegistryError as exc:
        raise WorkflowError(str(exc)) from None


def promote(svc: Services, ref: str, stage: str, today: date | None = None) -> ModelVersion:
    """Move a version one stage on. Everything is derived again from the verified audit chain and the
    stored, digest-checked evidence: the registry's metadata and tags are never trusted."""
    _require_role(svc, PROMOTER_ROLES, "promote model versions")
    _check_stage(stage)
    ref = _canonical_ref(ref)
    me = _declared(svc, "promote model versions", approver=True, admin=True)
    today = today or date.today()
    report = svc.audit.verify()
    if not report.ok:
        raise WorkflowError(
            "the hub's audit log does not verify, so nothing is promoted: "
            + "; ".join(p.message for p in report.problems[:3])
            + " (`govhub audit verify` lists every problem)"
        )
    record = _record(svc, ref)
    ref = record.ref
    directory = _directory(svc)
    if record.author and directory.same(record.author, me):
        raise WorkflowError(f"separation of duties: {me} is the author of {ref} and may not promote it")
    mv = _load_version(svc, ref)
    reasons = []
    if mv.metadata.get(META + "model-sha256") != record.model_sha256 or mv.metadata.get(
        META + "evidence-sha256"
    ) != record.digest("evidence"):
        reasons.append(
            f"the registry entry of {ref} no longer names the model and evidence the hub registered (model "
            f"{record.model_sha256[:12]}…); it was changed outside the hub: tell the platform team"
        )
    current = record.stage
    order = (REGISTERED, *STAGES)
    if record.rejected_by:
        reasons.append(f"{ref} was rejected by {record.rejected_by}")
    position = order.index(current) if current in order else -1
    if order.index(stage) != position + 1:
        nxt = order[position + 1] if 0 <= position < len(order) - 1 else None
        reasons.append(f"{ref} is at {current}; " + (f"promote it to {nxt} next" if nxt else "it is already in prod"))
    decision, pack = rejudge(svc, record, today)
    if decision.outcome != "pass":
        failing = ", ".join(g.id for g in decision.failures())
        expired = [w for w in granted_waivers(svc, record) if w.expires < today and w.gate in failing]
        reasons.append(
            f"its gate decision is {decision.outcome.upper()} ({failing}); fix the model, evaluate and "
            "submit a new version"
            + "".join(
                f"; the waiver for {w.gate} expired on {w.expires}: an approver grants a new one" for w in expired
            )
        )
    latest = current_pack(svc, record.risk_tier)
    if latest.digest != pack.digest:
        reasons.append(
            f"stale decision: made under {pack.name} {pack.version}, but the hub's current pack is {latest.version} "
            f"(digest {latest.digest[:12]}…); evaluate again under the current pack and submit the new decision"
        )
    needed = pack.approvals.get(stage, 0)  # type: ignore[call-overload]
    approvers = _approvers(svc, record, stage)
    if len(approvers) < needed:
        reasons.append(
            f"{stage} needs {needed} approval(s) from distinct approvers for risk tier {pack.risk_tier}; "
            f"it has {len(approvers)}"
            + (f" ({', '.join(approvers)})" if approvers else "")
            + f": `govhub approve {ref} --stage {stage}`"
        )
    plan = monitoring_plan_of(record.entries)
    if stage == "prod" and pack.monitoring_plan_required and plan is None:
        reasons.append(
            f"the {pack.name} pack requires a monitoring plan for prod: `govhub monitoring attach {ref} --plan PLAN.yaml`"
        )
    if reasons:
        raise Blocked(ref, stage, reasons)
    metadata = {META + "stage": stage}
    if plan:
        metadata[META + "monitoring-plan-sha256"] = plan["sha256"]
    updated = svc.registry.update(
        mv,
        status=APPROVED if stage == "prod" else None,
        description=f"promoted to {stage} by {me}",
        metadata=metadata,
    )
    entry = svc.audit.append(
        "promotion",
        svc.actor.arn,
        ref,
        {
            "from": current,
            "to": stage,
            "promoter": me,
            "approvers": approvers,
            "policy": decision.policy.model_dump(),
            "outcome": decision.outcome,
            "waived_gates": [g.id for g in decision.gates if g.waiver],
            "model_sha256": record.model_sha256,
            "evidence_sha256": record.digest("evidence"),
            "monitoring_plan": plan["sha256"] if plan else None,
        },
    )
    approvals = [  # who, which stage, when: the justifications stay in the audit log
        {k: a[k] for k in ("type", "stage", "who", "when")}
        for a in approvals_of(record.entries)
        if a["type"] == "approval"
    ]
    decision_sha = str(record.decision_entry.details.get("decision_sha256", ""))
    _attest(svc, record.team, ref, record.model_sha256, entry, decision, decision_sha, stage, approvals, needed)
    if stage == "prod":
        card = json.loads(_document(svc, record, "card"))
        evidence = Evidence.from_json(_document(svc, record, "evidence").decode())
        _publish_card(svc, record.team, updated, card, decision, evidence, approvals_of(record.entries), prod=True)
    return updated


# --------------------------------------------------------------------------- status and export


def status(svc: Services, ref: str) -> dict[str, Any]:
    """Where a version stands, from the audit chain (the registry supplies only its ARN and status)."""
    mv = _load_version(svc, ref)
    record = _record(svc, mv.ref)
    decision = decision_of(svc, record)
    pack = resolve_policy(svc, decision.policy.name, decision.policy.version)
    versions = published_versions(svc, decision.policy.name)
    return {
        "model_version": mv.ref,
        "arn": mv.arn,
        "approval_status": mv.status,
        "stage": record.stage,
        "decision": decision.outcome,
        "policy": f"{decision.policy.name} {decision.policy.version}",
        "stale": bool(versions) and versions[-1] != decision.policy.version,
        "approvals": {
            s: {
                "have": sorted({a["who"] for a in approvals_of(record.entries, s) if a["type"] == "approval"}),
                "need": pack.approvals.get(s, 0),  # type: ignore[call-overload]
            }
            for s in STAGES
        },
        "monitoring_plan": (monitoring_plan_of(record.entries) or {}).get("sha256"),
        "monitoring_plan_required": pack.monitoring_plan_required,
        "model_sha256": record.model_sha256,
        "author": record.author,
        "submitter": record.submitter,
        "history": [f"{e.seq} {e.time} {e.type} by {Actor.from_arn(e.actor).name}" for e in record.entries],
    }


def inbox(svc: Services, team: str | None = None, stage: str | None = None) -> list[dict[str, Any]]:
    """What waits for the approvers: every registered version below prod (and not rejected), from the
    audit chain, with its next stage and what that stage still lacks: approvals (have/need), a
    monitoring plan, a decision under the current pack, a passing decision. ``state`` says who acts:
    ``approval`` (approvers), ``ready`` (anyone may promote), ``team`` (the team must act),
    ``blocked`` (a failing decision: a new version or a waiver), ``waiver`` (blocked, and the team asks
    the approvers for a waiver with ``govhub waiver request``)."""
    packs: dict[str, PolicyPack] = {}
    order = (REGISTERED, *STAGES)
    out = []
    for record in _registered_records(svc):
        if (team and record.team != team) or record.rejected_by or record.stage not in order[:-1]:
            continue
        nxt = order[order.index(record.stage) + 1]
        if stage and nxt != stage:
            continue
        tier = record.risk_tier
        if tier not in packs:
            packs[tier] = current_pack(svc, tier)
        pack, decided = packs[tier], record.decision_entry.details
        needed = int(pack.approvals.get(nxt, 0))  # type: ignore[call-overload]
        have = _approvers(svc, record, nxt)
        missing = []
        outcome = str(decided.get("outcome", "?"))
        if outcome != "pass":
            missing.append(f"decision {outcome.upper()} ({', '.join(decided.get('failed_gates') or []) or '?'})")
        version = str((decided.get("policy") or {}).get("version", ""))
        if version != pack.version:
            missing.append(f"stale pack: decided under {pack.name} {version or '?'}, current {pack.version}")
        if len(have) < needed:
            missing.append(f"approvals {len(have)}/{needed}")
        if nxt == "prod" and pack.monitoring_plan_required and monitoring_plan_of(record.entries) is None:
            missing.append("no monitoring plan")
        requests = open_waiver_requests(record)
        missing += [
            f"waiver requested for {r.details.get('gate')} by {r.details.get('requested_by')} until "
            f"{r.details.get('expires')}: {str(r.details.get('reason', ''))[:200]}"
            for r in requests
        ]
        if outcome != "pass":
            state = "waiver" if requests else "blocked"
        elif len(have) < needed:
            state = "approval"
        elif missing:
            state = "team"
        else:
            state = "ready"
        out.append(
            {
                "model_version": record.ref,
                "team": record.team,
                "use_case": record.use_case or "",
                "risk_tier": tier,
                "stage": record.stage,
                "next": nxt,
                "state": state,
                "approvals": {"have": have, "need": needed},
                "missing": missing,
                "registered": record.registration.time,
                "author": record.author,
            }
        )
    return out


def inventory(svc: Services) -> list[dict[str, Any]]:
    """The organisation's models on one page: per registry group (team and use case), its tier, its
    versions by where they stand (blocked, rejected, registered, dev, staging, prod), the current prod
    version and when each version was last decided, all read from the audit chain."""
    groups: dict[str, dict[str, Any]] = {}
    for record in _registered_records(svc):
        subject = record.ref
        group = subject.split("/", 1)[0]
        row = groups.setdefault(
            group,
            {"group": group, "team": record.team, "use_case": record.use_case or "", "risk_tier": record.risk_tier,
             "counts": {s: 0 for s in ("blocked", "rejected", REGISTERED, *STAGES)}, "prod": None, "versions": []},
        )  # fmt: skip
        decided = record.decision_entry
        outcome = str(decided.details.get("outcome", "?"))
        where = "rejected" if record.rejected_by else "blocked" if outcome != "pass" else record.stage
        row["counts"][where] += 1
        promoted = record.of("promotion")
        if record.stage == "prod" and not record.rejected_by:
            row["prod"] = {"model_version": subject, "since": promoted[-1].time if promoted else ""}
        row["versions"].append(
            {"model_version": subject, "state": where, "stage": record.stage, "decision": outcome,
             "decided": decided.time, "last_change": (promoted[-1].time if promoted else decided.time)}
        )  # fmt: skip
    return list(groups.values())


def _ref_order(ref: str) -> tuple[str, int]:
    group, _, version = ref.partition("/")
    return group, int(version) if version.isdigit() else 0


def _registered_records(svc: Services) -> list[Record]:
    """Every version the hub registered, as the audit chain records it, in group and version order
    (one read of the log). A malformed record is left out: `govhub audit verify` names it."""
    entries = svc.audit.entries()
    out = []
    for subject in sorted({e.subject for e in entries if e.type == "registration"}, key=_ref_order):
        try:
            out.append(_record(svc, subject, entries))
        except WorkflowError:
            continue
    return out


INBOX_STATES = {
    "approval": "waits for approvers",
    "ready": "ready to promote",
    "team": "waits for the team",
    "blocked": "blocked",
    "waiver": "blocked, waiver asked",
}


def render_inbox_html(rows: Sequence[Mapping[str, Any]], organization: str, generated: str, scope: str = "") -> str:
    from collections import Counter

    from govhub.rendering import environment

    counts = Counter(str(r["state"]) for r in rows)
    return (
        environment("audit")
        .get_template("inbox.html.j2")
        .render(
            rows=rows, organization=organization, generated=generated, scope=scope, counts=counts, states=INBOX_STATES
        )  # fmt: skip
    )


def render_inventory_html(rows: Sequence[Mapping[str, Any]], organization: str, generated: str) -> str:
    from govhub.rendering import environment

    env = environment("audit")
    total = sum(len(r["versions"]) for r in rows)
    return env.get_template("inventory.html.j2").render(
        rows=rows, organization=organization, generated=generated, total=total
    )


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
    entries = svc.audit.entries()
    record = _record(svc, mv.ref, entries)
    decision = decision_of(svc, record)
    evidence = Evidence.from_json(_document(svc, record, "evidence").decode())
    card = json.loads(_document(svc, record, "card"))
    mine = [e for e in entries if e.subject == mv.ref]
    policy_subject = f"policy:{decision.policy.name}@{decision.policy.version}"
    key = _public_key(svc)
    report = svc.audit.verify(checkpoints=svc.checkpoints, public_key=key) if key is not None else svc.audit.verify()
    approvals = approvals_of(mine)
    transparency = None
    if key is not None and svc.checkpoints is not None and svc.signer is not None:
        transparency = {
            **svc.audit.inclusion_proofs(mine, svc.checkpoints, key),
            "public_key_pem": svc.signer.public_key_pem().decode(),
            "public_key_sha256": fingerprint(svc.signer.public_key_pem()),
            "verify_with": "govhub audit verify-export PACK.json --public-key hub.pem",
        }
    digest = str(record.decision_entry.details.get("decision_sha256", ""))
    pack = resolve_policy(svc, decision.policy.name, decision.policy.version)
    return {
        "model_version": mv.ref,
        "stage": record.stage,
        "blocked": decision.outcome != "pass" or bool(record.rejected_by),
        "policy": {  # the pack's own bounds, so a reader sees what each gate required, not only its digest
            "name": pack.name,
            "version": pack.version,
            "digest": pack.digest,
            "gates": {name: json.loads(g.model_dump_json(exclude_defaults=True)) for name, g in pack.gates.items()},
            "approvals": dict(pack.approvals),
            "monitoring_plan_required": pack.monitoring_plan_required,
        },
        "registry": {"arn": mv.arn, "approval_status": mv.status, "metadata": dict(mv.metadata)},
        "decision": json.loads(decision.model_dump_json()),
        "evidence_sha256": record.digest("evidence"),
        "model_sha256": record.model_sha256,
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
            "signed_size": report.signed_size,
        },
        "transparency": transparency,
        "decision_document": {"sha256": digest, "text": _document(svc, record, "decision", digest).decode()},
        "model_card": model_card.context(card, decision, evidence, model_ref=mv.ref, approvals=approvals),
    }


def _public_key(svc: Services) -> Any:
    """The hub key's public half (None for a hub without one)."""
    if svc.signer is None:
        return None
    from govhub.core.checkpoint import public_key

    return public_key(svc.signer.public_key_pem())


def render_export_html(pack: Mapping[str, Any]) -> str:
    from govhub.rendering import environment

    env = environment("audit")
    return env.get_template("export.html.j2").render(pack=pack)
