"""``govhub submit | approve | reject | promote | status | monitoring | audit | policy publish/fetch``.

These commands act on the hub account. Each assumes the hub role the step needs (``--as NAME`` is
the person or pipeline, recorded as the role session name and in the audit log); ``--no-assume``
uses the credentials you already hold. Only the standard library is imported at load time.

Exit codes: 0 done, 1 refused by the rules (blocked promotion, failed decision, broken audit
chain), 2 bad input, a missing role or an unreachable hub (one message says what to do).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from govhub.cli.common import fail, guarded, load_card, read_json_model
from govhub.vocabulary import STAGES

ROLE_HELP = "assume this hub role instead of the command's default"


def _hub(args: argparse.Namespace, role: str):
    import boto3

    from govhub.backends.aws.hub import AwsHubCoordinates, assume, services
    from govhub.config import load_config

    config = load_config(args.platform)
    coords = AwsHubCoordinates.from_config(config)
    base = boto3.Session(region_name=coords.region)
    session = base if args.no_assume else assume(base, coords, args.role or role, args.as_)
    svc = services(session, coords)
    svc.cache_dir = Path(os.environ.get("GOVHUB_CACHE_DIR", Path(".cache") / "govhub")) / "policies"
    return config, svc


def _team_role(team: str) -> str:
    from govhub.vocabulary import team_submitter

    return team_submitter(team)


@guarded
def _submit(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.decision import Decision
    from govhub.core.evidence import Evidence
    from govhub.core.policy import PolicyError
    from govhub.core.workflow import WorkflowError, submit

    config, svc = _hub(args, _team_role(args.team))
    try:
        team, _, tier = config.use_case(args.team, args.use_case)
    except KeyError as exc:
        raise WorkflowError(f"{args.platform}: {exc.args[0]}") from None
    decision = read_json_model(args.decision, Decision, "decision")
    evidence = read_json_model(args.evidence, Evidence, "evidence document")
    try:
        card = load_card(args.model_card)
    except PolicyError as exc:
        raise WorkflowError(str(exc)) from None
    result = submit(
        svc, team=team.name, use_case=args.use_case, risk_tier=tier, decision=decision, evidence=evidence, card=card
    )
    mv = result.version
    print(f"registered {mv.ref} in the hub registry ({mv.arn}), status {mv.status}")
    print(
        f"decision {decision.outcome.upper()} under {decision.policy.name} {decision.policy.version}; "
        f"event {result.event_id} on {names.EVENT_BUS}"
    )
    if result.ticket:
        print(f"BLOCKED: promotion is refused; a ticket event went to the {names.TICKET_QUEUE} queue:")
        for gate in decision.failures():
            for finding in gate.findings or []:
                print(f"  - {gate.id}: {finding.message}")
        return 1
    return 0


@guarded
def _approve(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.workflow import approve

    _, svc = _hub(args, names.HUB_APPROVER_ROLE)
    have, need = approve(svc, args.model, args.stage, args.justification)
    print(f"approved {args.model} for {args.stage} as {svc.actor.name}: {have} of {need} required approval(s)")
    return 0


@guarded
def _reject(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.workflow import reject

    _, svc = _hub(args, names.HUB_APPROVER_ROLE)
    mv = reject(svc, args.model, args.stage, args.justification)
    print(f"rejected {mv.ref} ({mv.status}) as {svc.actor.name}")
    return 0


@guarded
def _promote(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.workflow import promote

    _, svc = _hub(args, names.HUB_APPROVER_ROLE)
    mv = promote(svc, args.model, args.to)
    print(f"promoted {mv.ref} to {args.to} (registry status {mv.status})")
    return 0


@guarded
def _status(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.workflow import status

    _, svc = _hub(args, names.HUB_AUDITOR_ROLE)
    if "/" not in args.model:
        from govhub.core.workflow import versions

        rows = versions(svc, args.model)
        if args.json:
            print(json.dumps(rows, indent=2))
        for row in rows:
            print(
                f"{row['model_version']:<32} {row['stage']:<10} {row['approval_status']:<22} decision "
                f"{row['decision']:<5} {row['policy']}"
            )
        if not rows:
            print(f"{args.model}: no versions registered yet")
        return 0
    st = status(svc, args.model)
    if args.json:
        print(json.dumps(st, indent=2))
        return 0
    print(
        f"{st['model_version']}: stage {st['stage']}, registry {st['approval_status']}, decision "
        f"{st['decision'].upper()} under {st['policy']}{' (STALE: a newer pack is current)' if st['stale'] else ''}"
    )
    for stage, a in st["approvals"].items():
        print(f"  {stage:<8} approvals {len(a['have'])}/{a['need']} {', '.join(a['have'])}")
    print(f"  monitoring plan: {st['monitoring_plan'] or 'none attached'}")
    print(f"  author {st['author'] or '?'}, submitter {st['submitter'] or '?'}")
    for line in st["history"]:
        print(f"  | {line}")
    return 0


@guarded
def _monitoring_attach(args: argparse.Namespace) -> int:
    from govhub.core.workflow import attach_monitoring_plan

    _, svc = _hub(args, _team_role(args.team))
    digest = attach_monitoring_plan(svc, args.model, args.plan)
    print(f"attached monitoring plan {args.plan} to {args.model} (sha256 {digest[:12]}…)")
    return 0


@guarded
def _policy_publish(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.policy import PolicyError
    from govhub.core.workflow import WorkflowError, publish_policy

    _, svc = _hub(args, names.HUB_CI_DEPLOYER_ROLE)
    for path in args.files:
        try:
            pack, new = publish_policy(svc, path)
        except PolicyError as exc:
            raise WorkflowError(str(exc)) from None
        print(f"{'published' if new else 'already published'} {pack.name} {pack.version} (digest {pack.digest[:12]}…)")
    return 0


@guarded
def _policy_fetch(args: argparse.Namespace) -> int:
    from govhub.core.workflow import resolve_policy

    _, svc = _hub(args, _team_role(args.team))
    pack = resolve_policy(svc, args.name, args.version)
    path = svc.cache_dir / pack.name / f"{pack.version}.yaml"
    print(f"{pack.name} {pack.version} verified (digest {pack.digest[:12]}…); cached at {path}")
    return 0


def _audit_log(args: argparse.Namespace):
    from govhub.backends import open_store
    from govhub.core.audit import AuditLog

    if args.source:
        return AuditLog(open_store(args.source))
    from govhub.backends.aws import names

    _, svc = _hub(args, names.HUB_AUDITOR_ROLE)
    return svc.audit


@guarded
def _audit_verify(args: argparse.Namespace) -> int:
    from govhub.core.workflow import WorkflowError

    anchor = None
    if args.anchor:
        seq, _, digest = args.anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise WorkflowError(
                f"--anchor {args.anchor!r}: write SEQ:SHA256, e.g. 42:<64 hex digits> from an earlier verification"
            )
        anchor = (int(seq), digest)
    log = _audit_log(args)
    checkpoints, key = _checkpoints(args)
    report = log.verify(anchor, checkpoints=checkpoints, public_key=key)
    where = log.store.uri
    if report.ok:
        signed = f"; every signed checkpoint in {checkpoints.uri} verified" if checkpoints is not None else ""
        print(
            f"audit log {where}: verified {report.entries} entries; head {report.head_seq}{signed}; "
            f"anchor for next time: {report.entries}:{report.last_hash}"
        )
        return 0
    print(f"audit log {where}: {len(report.problems)} problem(s) in {report.entries} entries:", file=sys.stderr)
    for p in report.problems:
        print(f"  - [{p.kind}] {p.message}", file=sys.stderr)
    return 1


def _checkpoints(args: argparse.Namespace) -> tuple[Any, Any]:
    """The signed checkpoints and the hub's public key, when both are given."""
    from govhub import inputs
    from govhub.backends import open_store
    from govhub.core.checkpoint import CheckpointError, public_key
    from govhub.core.workflow import WorkflowError

    if bool(args.checkpoints) != bool(args.public_key):
        raise WorkflowError("give --checkpoints and --public-key together: the checkpoints are checked with the key")
    if not args.checkpoints:
        return None, None
    try:
        return open_store(args.checkpoints), public_key(inputs.read_bytes(args.public_key, "public key"))
    except (inputs.InputError, CheckpointError) as exc:
        raise WorkflowError(f"{args.public_key}: {exc}") from None


@guarded
def _audit_sign(args: argparse.Namespace) -> int:
    from govhub import inputs
    from govhub.backends import open_store
    from govhub.core.audit import AuditLog
    from govhub.core.checkpoint import CheckpointError, LocalSigner

    try:
        signer = LocalSigner(inputs.read_bytes(args.signing_key, "signing key"), key_id=Path(args.signing_key).name)
    except (inputs.InputError, CheckpointError, ValueError) as exc:
        return fail(f"{args.signing_key}: not a usable ECDSA P-256 private key in PEM ({exc})")
    log, store = AuditLog(open_store(args.source)), open_store(args.checkpoints)
    cp = log.sign_checkpoint(signer, store)
    print(f"signed checkpoint of {log.store.uri}: size {cp.size}, root {cp.root.hex()}, at {cp.time}, in {store.uri}")
    return 0


@guarded
def _audit_copy(args: argparse.Namespace) -> int:
    from govhub.core.audit import copy_log
    from govhub.core.store import LocalStore

    log = _audit_log(args)
    target = Path(args.to)
    if target.exists() and any(target.iterdir()):
        from govhub.core.workflow import WorkflowError

        raise WorkflowError(f"{target} is not empty; copy the audit log into a new folder")
    n = copy_log(log.store, LocalStore(target))
    print(f"copied {n} objects from {log.store.uri} to {target}; verify it with `govhub audit verify --from {target}`")
    return 0


@guarded
def _audit_export(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.workflow import export, render_export_html

    _, svc = _hub(args, names.HUB_AUDITOR_ROLE)
    pack = export(svc, args.model)
    text = render_export_html(pack) if args.format == "html" else json.dumps(pack, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(
            f"wrote the evidence pack for {args.model} to {args.out} (audit chain "
            f"{'verified' if pack['audit_chain']['ok'] else 'BROKEN'})"
        )
    else:
        print(text)
    return 0 if pack["audit_chain"]["ok"] else 1


def _common(parser: argparse.ArgumentParser, *, role: bool = True) -> None:
    parser.add_argument(
        "--platform",
        default=os.environ.get("PLATFORM_CONFIG", "platform.yaml"),
        help="the platform config (default: $PLATFORM_CONFIG or platform.yaml)",
    )
    parser.add_argument(
        "--as",
        dest="as_",
        default=os.environ.get("GOVHUB_USER") or getpass.getuser(),
        help="who you are (recorded as the role session name; default $GOVHUB_USER or your login)",
    )
    if role:
        parser.add_argument("--role", help=ROLE_HELP)
    parser.add_argument("--no-assume", action="store_true", help="use the credentials you hold, already in the role")


def add_commands(sub: Any) -> None:
    p = sub.add_parser("submit", help="register a model version in the hub with its decision and evidence")
    p.add_argument("--team", required=True)
    p.add_argument("--use-case", help="the use case (its model package group); default: the team's own group")
    p.add_argument("--decision", required=True, help="decision.json from `govhub evaluate`")
    p.add_argument("--evidence", required=True, help="evidence.json from `govhub evaluate --evidence-out`")
    p.add_argument("--model-card", required=True, help="the model card source (YAML or JSON) with lineage")
    _common(p)
    p.set_defaults(func=_submit)

    for name, func, help_ in (
        ("approve", _approve, "approve a model version for a stage"),
        ("reject", _reject, "reject a model version"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("model", help="GROUP/VERSION, e.g. fraud-credit-scoring/3")
        p.add_argument("--stage", required=True, choices=STAGES)
        p.add_argument("--justification", required=True, help="why (at least 20 characters; kept in the audit log)")
        _common(p)
        p.set_defaults(func=func)

    p = sub.add_parser("promote", help="promote a model version to the next stage")
    p.add_argument("model")
    p.add_argument("--to", required=True, choices=STAGES)
    _common(p)
    p.set_defaults(func=_promote)

    p = sub.add_parser("status", help="a model version's stage, decision, approvals and history")
    p.add_argument("model", help="GROUP/VERSION for one version, or GROUP to list its versions")
    p.add_argument("--json", action="store_true")
    _common(p)
    p.set_defaults(func=_status)

    mon = sub.add_parser("monitoring", help="monitoring plans")
    mon_sub = mon.add_subparsers(dest="action", metavar="ACTION")
    p = mon_sub.add_parser("attach", help="attach a monitoring plan (required for prod) to a model version")
    p.add_argument("model")
    p.add_argument("--plan", required=True, help="plan YAML, or a project's governance.yaml (monitoring_plan:)")
    p.add_argument("--team", required=True, help="the team that owns the model")
    _common(p)
    p.set_defaults(func=_monitoring_attach)

    audit = sub.add_parser("audit", help="verify, copy and export the audit log")
    audit_sub = audit.add_subparsers(dest="action", metavar="ACTION")
    p = audit_sub.add_parser(
        "verify", help="walk the hash chain; name every modified, removed, reordered or inserted entry (exit 1)"
    )
    p.add_argument("--from", dest="source", help="a copied log folder or s3://BUCKET (default: the hub's audit bucket)")
    p.add_argument("--anchor", help="SEQ:SHA256 printed by an earlier verification; catches a rewritten tail")
    p.add_argument("--checkpoints", help="where the signed checkpoints are (a folder or s3://BUCKET)")
    p.add_argument("--public-key", help="the hub's checkpoint public key (PEM); needs --checkpoints")
    _common(p)
    p.set_defaults(func=_audit_verify)
    p = audit_sub.add_parser("sign", help="sign a checkpoint of a folder-store log with a local key (offline hubs)")
    p.add_argument("--from", dest="source", required=True, help="the log folder")
    p.add_argument("--checkpoints", required=True, help="the checkpoint folder (not writable by the log's writers)")
    p.add_argument("--signing-key", required=True, help="ECDSA P-256 private key (PEM)")
    p.set_defaults(func=_audit_sign)
    p = audit_sub.add_parser("copy", help="copy the audit log into a folder (for an auditor, or offline checks)")
    p.add_argument("to")
    p.add_argument("--from", dest="source", help="source log (default: the hub's audit bucket)")
    _common(p)
    p.set_defaults(func=_audit_copy)
    p = audit_sub.add_parser("export", help="the evidence pack for one model version")
    p.add_argument("--model", required=True)
    p.add_argument("--format", choices=["json", "html"], default="json")
    p.add_argument("--out", help="write here instead of standard output")
    _common(p)
    p.set_defaults(func=_audit_export)


def add_policy_commands(pol_sub: Any) -> None:
    p = pol_sub.add_parser("publish", help="publish policy pack versions to the hub (immutable)")
    p.add_argument("files", nargs="+")
    _common(p)
    p.set_defaults(func=_policy_publish)
    p = pol_sub.add_parser("fetch", help="fetch a pack from the hub, verify its digest, cache it")
    p.add_argument("name", help="e.g. govhub-high")
    p.add_argument("--version", help="default: the hub's current version")
    p.add_argument("--team", required=True, help="your team (its hub role reads the packs)")
    _common(p)
    p.set_defaults(func=_policy_fetch)
