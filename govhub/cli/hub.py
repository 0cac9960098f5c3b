"""``govhub submit | approve | reject | promote | status | monitoring | audit | policy publish/fetch``.

Every change to the hub (submit, approve, reject, waiver grant, monitoring attach, promote, policy
publish) is a request to the hub service, which alone may write the registry and the audit log; it
reads who you are from authentication. Reads (status, export, audit) use the hub's read roles. On
the emulator, ``--as NAME`` names the person and the service runs in-process (the command says so);
on AWS your sign-in names you. Only the standard library is imported at load time.

Exit codes: 0 done, 1 refused by the rules (blocked promotion, failed decision, broken audit
chain), 2 bad input, a missing role or an unreachable hub (one message says what to do).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

from govhub.cli.common import fail, guarded, load_card, read_json_model
from govhub.vocabulary import STAGES

ROLE_HELP = "assume this hub role instead of the command's default"


EMULATOR_NOTE = (
    "emulator: the hub service runs in this process under the {role} role's emulator credentials, on the "
    "event its function URL would deliver (moto stores the Lambda function but cannot execute it)"
)


def _emulated() -> bool:
    """The emulator profile: ``GOVHUB_PROFILE=emulator``, or every AWS call going to a local endpoint."""
    from urllib.parse import urlparse

    if os.environ.get("GOVHUB_PROFILE") == "emulator":
        return True
    host = urlparse(os.environ.get("AWS_ENDPOINT_URL", "")).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


def _session(args: argparse.Namespace, role: str, coords: Any) -> Any:
    """Credentials in the hub role a command needs. On the emulator, ``--as`` names the person (the
    session name moto's STS then authenticates). On AWS the identity provider has named you already:
    ``--as`` is refused, and your own session name (and its sts:SourceIdentity) carries over."""
    import boto3

    from govhub.backends.aws.hub import assume, caller

    base = boto3.Session(region_name=coords.region)
    if args.no_assume:
        return base
    if _emulated():
        return assume(base, coords, args.role or role, args.as_ or os.environ.get("GOVHUB_USER") or getpass.getuser())
    if args.as_:
        from govhub.core.workflow import WorkflowError

        raise WorkflowError(
            "--as is for the emulator only: on AWS the hub reads who you are from your sign-in. Sign in through "
            "the identity provider (aws sso login) and run the command without --as"
        )
    me = caller(base, coords.region)
    if me.role == (args.role or role) and me.account == coords.account:
        return base
    return assume(base, coords, args.role or role, me.name)


def _hub(args: argparse.Namespace, role: str):
    """Read access to the hub (status, export, audit): the role's own credentials."""
    from govhub.backends.aws.hub import AwsHubCoordinates, services
    from govhub.config import load_config

    config = load_config(args.platform)
    coords = AwsHubCoordinates.from_config(config)
    svc = services(_session(args, role, coords), coords)
    svc.cache_dir = _cache_dir()
    return config, svc


def _cache_dir() -> Path:
    return Path(os.environ.get("GOVHUB_CACHE_DIR", Path(".cache") / "govhub")) / "policies"


def _service(args: argparse.Namespace, role: str) -> tuple[Any, Any, Any]:
    """(config, the caller's session, a client of the hub service)."""
    from govhub.backends.aws import names
    from govhub.backends.aws.hub import AwsHubCoordinates, assume
    from govhub.config import load_config
    from govhub.service.client import FunctionUrlClient, InProcessClient

    config = load_config(args.platform)
    coords = AwsHubCoordinates.from_config(config)
    session = _session(args, role, coords)
    if _emulated() and not getattr(args, "service_url", None):
        import boto3

        from govhub.service.aws_lambda import build_service

        print(EMULATOR_NOTE.format(role=names.HUB_SERVICE_ROLE), file=sys.stderr)  # on every call: never hidden
        service_session = assume(
            boto3.Session(region_name=coords.region), coords, names.HUB_SERVICE_ROLE, names.HUB_SERVICE_FUNCTION
        )
        service = build_service(service_session, config, _cache_dir())
        return config, session, InProcessClient(session, service, coords.account, coords.region)
    url = getattr(args, "service_url", None) or os.environ.get("GOVHUB_SERVICE_URL")
    if not url:
        url = session.client("lambda", region_name=coords.region).get_function_url_config(
            FunctionName=f"arn:aws:lambda:{coords.region}:{coords.account}:function:{names.HUB_SERVICE_FUNCTION}"
        )["FunctionUrl"]
    return config, session, FunctionUrlClient(url, session, coords.region)


def _call(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """One request to the hub service; a refusal becomes the same exception the workflow raises."""
    from govhub.core.workflow import Blocked, WorkflowError

    status, body = client.call(request)
    if body.get("exit_code") == 1:
        raise Blocked(
            str(request.get("ref", "?")),
            str(request.get("stage", "?")),
            body.get("reasons") or [body.get("message", "")],
        )
    if status >= 300 or not body.get("ok"):
        raise WorkflowError(f"the hub service refused ({status}): {body.get('message', 'no message')}")
    return body


def _team_role(team: str) -> str:
    from govhub.vocabulary import team_submitter

    return team_submitter(team)


def _model_digest(args: argparse.Namespace) -> str:
    import hashlib

    from govhub import inputs
    from govhub.core.workflow import WorkflowError

    if args.model_sha256:
        return args.model_sha256.strip().lower()
    if not args.model_artifact:
        raise WorkflowError(
            "give --model-artifact FILE (the model you submit; its sha256 binds the evidence to it) or --model-sha256"
        )
    try:
        return hashlib.sha256(inputs.read_bytes(args.model_artifact, "model artifact")).hexdigest()
    except inputs.InputError as exc:
        raise WorkflowError(str(exc)) from None


@guarded
def _submit(args: argparse.Namespace) -> int:
    import uuid

    from govhub.backends.aws import names
    from govhub.backends.aws.hub import AwsHubCoordinates
    from govhub.backends.aws.store import S3Store
    from govhub.config import load_config
    from govhub.core import keys
    from govhub.core.decision import Decision
    from govhub.core.evidence import Evidence
    from govhub.core.policy import PolicyError
    from govhub.core.workflow import WorkflowError

    try:
        load_config(args.platform).use_case(args.team, args.use_case)
    except KeyError as exc:
        raise WorkflowError(f"{args.platform}: {exc.args[0]}") from None
    decision = read_json_model(args.decision, Decision, "decision") if args.decision else None
    evidence = read_json_model(args.evidence, Evidence, "evidence document")
    try:
        card = load_card(args.model_card)
    except PolicyError as exc:
        raise WorkflowError(str(exc)) from None
    digest = _model_digest(args)
    config, session, client = _service(args, _team_role(args.team))
    coords = AwsHubCoordinates.from_config(config)
    inbox = S3Store(session.client("s3", region_name=coords.region), coords.artifact_bucket)
    submission = uuid.uuid4().hex
    prefix = f"{keys.inbox_prefix(args.team)}{submission}/"
    docs = {
        "evidence.json": evidence.to_json().encode(),
        "card.json": json.dumps(card, sort_keys=True, default=str).encode(),
        "submission.json": json.dumps(
            {"model_sha256": digest, "model_uri": args.model_artifact or "", "use_case": args.use_case}
        ).encode(),
    }
    if decision is not None:
        docs["decision.json"] = decision.model_dump_json(indent=2).encode()
    for name, data in docs.items():
        inbox.put(prefix + name, data, content_type="application/json")
    body = _call(client, {"action": "submit", "team": args.team, "use_case": args.use_case, "submission": submission})
    r = body["result"]
    print(f"registered {r['model_version']} in the hub registry ({r['arn']})")
    print(
        f"the hub's decision: {r['outcome'].upper()} under {r['decision']['policy']['name']} "
        f"{r['decision']['policy']['version']}; event {r['event_id']} on {names.EVENT_BUS}"
    )
    for note in r.get("notes") or []:
        print(f"  note: {note}")
    if r["ticket"]:
        print(f"BLOCKED: promotion is refused; a ticket event went to the {names.TICKET_QUEUE} queue:")
        for gate in r["decision"]["gates"]:
            if gate["status"] in ("fail", "error"):
                for finding in gate.get("findings") or []:
                    print(f"  - {gate['id']}: {finding['message']}")
        return 1
    return 0


@guarded
def _approve(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names

    _, _, client = _service(args, names.HUB_APPROVER_ROLE)
    body = _call(
        client, {"action": "approve", "ref": args.model, "stage": args.stage, "justification": args.justification}
    )
    print(
        f"approved {args.model} for {args.stage}: {body['result']['have']} of {body['result']['need']} required approval(s)"
    )
    return 0


@guarded
def _reject(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names

    _, _, client = _service(args, names.HUB_APPROVER_ROLE)
    body = _call(
        client, {"action": "reject", "ref": args.model, "stage": args.stage, "justification": args.justification}
    )
    print(f"rejected {body['result']['model_version']} ({body['result']['status']})")
    return 0


@guarded
def _waiver_grant(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names

    _, _, client = _service(args, names.HUB_APPROVER_ROLE)
    body = _call(
        client,
        {
            "action": "waiver_grant",
            "ref": args.model,
            "gate": args.gate,
            "reason": args.reason,
            "expires": args.expires,
        },
    )
    print(body["message"])
    return 0


@guarded
def _waiver_request(args: argparse.Namespace) -> int:
    from govhub.config import load_config
    from govhub.core.workflow import WorkflowError

    group = args.model.split("/", 1)[0]
    teams = [t.name for t in load_config(args.platform).teams if group.startswith(f"{t.name}-") or group == t.name]
    if not teams:
        raise WorkflowError(f"{args.model}: no team in {args.platform} owns registry group {group!r}")
    team = max(teams, key=len)
    _, _, client = _service(args, _team_role(team))
    request = {"action": "waiver_request", "ref": args.model, "gate": args.gate, "reason": args.reason}
    body = _call(client, {**request, "expires": args.expires})
    print(body["message"])
    return 0


@guarded
def _promote(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names

    _, _, client = _service(args, names.HUB_APPROVER_ROLE)
    body = _call(client, {"action": "promote", "ref": args.model, "stage": args.to})
    print(f"promoted {body['result']['model_version']} to {args.to} (registry status {body['result']['status']})")
    return 0


@guarded
def _inbox(args: argparse.Namespace) -> int:
    """What waits for an approval (or for the team) across every group, newest registrations last."""
    from govhub.backends.aws import names
    from govhub.core.workflow import inbox

    config, svc = _hub(args, args.role or names.HUB_AUDITOR_ROLE)
    svc.platform = config  # a read-only view: who counts as an approver, as the service will judge it
    rows = inbox(svc, args.team, args.stage)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if args.html:
        from datetime import datetime

        from govhub.core.workflow import render_inbox_html

        scope = ", ".join(f"{k} {v}" for k, v in (("team", args.team), ("next stage", args.stage)) if v)
        generated = datetime.now(UTC).isoformat(timespec="seconds")
        Path(args.html).write_text(render_inbox_html(rows, config.organization, generated, scope))
        print(f"wrote the inbox of {len(rows)} version(s) to {args.html}")
        return 0
    if not rows:
        scope = " ".join(f"{k} {v}" for k, v in (("team", args.team), ("stage", args.stage)) if v)
        print(f"nothing waits{' for ' + scope if scope else ''}: every registered version is in prod, rejected or none")
        return 0
    from govhub.core.workflow import INBOX_STATES as waiting

    print(f"{'version':<34} {'tier':<8} {'stage':<10} {'next':<8} state")
    for row in rows:
        print(
            f"{row['model_version']:<34} {row['risk_tier']:<8} {row['stage']:<10} {row['next']:<8} "
            f"{waiting[row['state']]}" + (f": {'; '.join(row['missing'])}" if row["missing"] else "")
        )
    approvals = sum(r["state"] == "approval" for r in rows)
    print(f"{len(rows)} version(s); {approvals} wait for an approval: `govhub approve GROUP/VERSION --stage STAGE`")
    waivers = sum(r["state"] == "waiver" for r in rows)
    if waivers:
        print(f"{waivers} ask for a waiver: `govhub waiver grant GROUP/VERSION --gate GATE --reason … --expires …`")
    return 0


@guarded
def _inventory(args: argparse.Namespace) -> int:
    """Every use case with its versions by state and its prod version, as text, JSON or one HTML page."""
    from datetime import datetime

    from govhub.backends.aws import names
    from govhub.core.workflow import inventory, render_inventory_html

    config, svc = _hub(args, args.role or names.HUB_AUDITOR_ROLE)
    rows = inventory(svc)
    if args.html:
        generated = datetime.now(UTC).isoformat(timespec="seconds")
        Path(args.html).write_text(render_inventory_html(rows, config.organization, generated))
        print(f"wrote the inventory of {len(rows)} use case(s) to {args.html}")
        return 0
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'registry group':<32} {'tier':<8} blocked rejected registered dev staging prod  in production")
    for r in rows:
        c = r["counts"]
        prod = f"{r['prod']['model_version']} since {r['prod']['since']}" if r["prod"] else "-"
        print(
            f"{r['group']:<32} {r['risk_tier']:<8} {c['blocked']:>7} {c['rejected']:>8} {c['registered']:>10} "
            f"{c['dev']:>3} {c['staging']:>7} {c['prod']:>4}  {prod}"
        )
    if not rows:
        print("no model versions are registered in the hub yet")
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
    from govhub import inputs
    from govhub.core.workflow import WorkflowError

    try:
        text = inputs.read_text(args.plan, "monitoring plan")
    except inputs.InputError as exc:
        raise WorkflowError(str(exc)) from None
    _, _, client = _service(args, _team_role(args.team))
    body = _call(client, {"action": "monitoring_attach", "ref": args.model, "plan": text, "source": args.plan})
    print(f"attached monitoring plan {args.plan} to {args.model} (sha256 {body['result']['sha256'][:12]}…)")
    return 0


@guarded
def _policy_publish(args: argparse.Namespace) -> int:
    from govhub import inputs
    from govhub.backends.aws import names
    from govhub.core.workflow import WorkflowError

    texts = []
    for path in args.files:
        try:
            texts.append((path, inputs.read_text(path, "policy pack")))
        except inputs.InputError as exc:
            raise WorkflowError(str(exc)) from None
    _, _, client = _service(args, names.HUB_CI_DEPLOYER_ROLE)
    for path, text in texts:
        r = _call(client, {"action": "policy_publish", "pack": text, "source": path})["result"]
        print(
            f"{'published' if r['new'] else 'already published'} {r['name']} {r['version']} (digest {r['digest'][:12]}…)"
        )
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
    return _audit_target(args)[0]


def _audit_target(args: argparse.Namespace) -> tuple[Any, Any, Any, str]:
    """(log, checkpoint store, public key, where the key came from). A copied log is checked against
    --checkpoints/--public-key when given; the hub's own log against its checkpoint bucket and its KMS
    key's public half, unless --public-key names a pinned PEM."""
    from govhub import inputs
    from govhub.backends import open_store
    from govhub.core.audit import AuditLog
    from govhub.core.checkpoint import CheckpointError, fingerprint, public_key
    from govhub.core.workflow import WorkflowError

    def pinned(pem: bytes, source: str) -> tuple[Any, str]:
        try:
            key, print_ = public_key(pem), fingerprint(pem)
        except CheckpointError as exc:
            raise WorkflowError(f"{source}: {exc}") from None
        wanted = getattr(args, "public_key_sha256", None)
        if wanted and wanted.lower() != print_:
            raise WorkflowError(
                f"the hub's public key from {source} has fingerprint {print_}, not the pinned {wanted}: do not "
                "trust this log or attestation; ask the platform team which key the hub signs with"
            )
        return key, f"{source} (sha256 {print_[:16]}…)"

    pem = None
    if getattr(args, "public_key", None):
        try:
            pem = inputs.read_bytes(args.public_key, "public key")
        except inputs.InputError as exc:
            raise WorkflowError(str(exc)) from None
    if args.source:
        if bool(getattr(args, "checkpoints", None)) != bool(pem):
            raise WorkflowError(
                "give --checkpoints and --public-key together: the checkpoints are checked with the key"
            )
        log = AuditLog(open_store(args.source))
        if pem is None:
            return log, None, None, ""
        key, described = pinned(pem, args.public_key)
        return log, open_store(args.checkpoints), key, described
    from govhub.backends.aws import names

    _, svc = _hub(args, names.HUB_AUDITOR_ROLE)
    checkpoints = open_store(args.checkpoints) if getattr(args, "checkpoints", None) else svc.checkpoints
    if pem is None and svc.signer is not None:
        pem, source = svc.signer.public_key_pem(), f"KMS {svc.signer.key_id}"
    else:
        source = str(getattr(args, "public_key", ""))
    if pem is None:
        return svc.audit, None, None, ""
    key, described = pinned(pem, source)
    return svc.audit, checkpoints, key, described


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
    log, checkpoints, key, described = _audit_target(args)
    report = log.verify(anchor, checkpoints=checkpoints, public_key=key)
    where = log.store.uri
    since = _since(args, log, checkpoints, key) if args.since and report.ok else None
    if report.ok:
        signed = ""
        if checkpoints is not None:
            signed = f"; signed checkpoints in {checkpoints.uri} verified with {described}"
            if report.signed_size is not None and report.signed_size < report.entries:
                signed += (
                    f"; entries {report.signed_size + 1}..{report.entries} are newer than the newest checkpoint "
                    "(not yet signed)"
                )
        print(
            f"audit log {where}: verified {report.entries} entries; head {report.head_seq}{signed}; "
            f"anchor for next time: {report.entries}:{report.last_hash}"
        )
        if since:
            print(since)
        if checkpoints is None:
            print(
                "note: the hash chain alone was checked; a writer who rewrites and re-chains the log passes it. "
                "Check the signed checkpoints too: --checkpoints FOLDER --public-key hub.pem",
                file=sys.stderr,
            )
        return 0
    print(f"audit log {where}: {len(report.problems)} problem(s) in {report.entries} entries:", file=sys.stderr)
    for p in report.problems:
        print(f"  - [{p.kind}] {p.message}", file=sys.stderr)
    return 1


def _since(args: argparse.Namespace, log: Any, checkpoints: Any, key: Any) -> str:
    """Prove that the checkpoint an auditor kept is a prefix of the newest one (the log only grew)."""
    from govhub import inputs
    from govhub.core.checkpoint import CheckpointError
    from govhub.core.checkpoint import verify as verify_checkpoint
    from govhub.core.merkle import ProofError
    from govhub.core.workflow import Blocked, WorkflowError

    if checkpoints is None or key is None:
        raise WorkflowError("--since needs the signed checkpoints and the public key (--checkpoints, --public-key)")
    try:
        old = verify_checkpoint(inputs.read_bytes(args.since, "checkpoint"), key, log.origin())
    except (inputs.InputError, CheckpointError) as exc:
        raise WorkflowError(f"{args.since}: {exc}") from None
    try:
        new, proof = log.consistency(old, checkpoints, key)
    except ProofError as exc:
        reason = f"since your checkpoint of {old.size} entries ({old.time}): {exc}"
        raise Blocked("audit log", "consistency", [reason]) from None
    return (
        f"consistent with your checkpoint {args.since}: the {old.size} entries signed at {old.time} are a prefix of "
        f"the {new.size} signed at {new.time} (RFC 9162 consistency proof of {len(proof)} hashes verified)"
    )


@guarded
def _audit_checkpoint(args: argparse.Namespace) -> int:
    """The newest signed checkpoint, to keep: next time, `audit verify --since FILE` proves the log only grew."""
    from govhub.core.workflow import WorkflowError

    log, checkpoints, key, described = _audit_target(args)
    found = log.newest_checkpoint(checkpoints, key) if checkpoints is not None and key is not None else None
    if found is None:
        raise WorkflowError(f"no signed checkpoint of {log.store.uri} verifies with {described or 'a public key'}")
    cp, raw = found
    if args.out:
        Path(args.out).write_bytes(raw)
    print(
        f"checkpoint of {log.store.uri}: {cp.size} entries, root {cp.root.hex()}, signed {cp.time}, verified with "
        f"{described}"
        + (f"; kept in {args.out}: check later with `govhub audit verify --since {args.out}`" if args.out else "")
    )
    return 0


@guarded
def _audit_public_key(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.checkpoint import fingerprint
    from govhub.core.workflow import WorkflowError

    _, svc = _hub(args, names.HUB_AUDITOR_ROLE)
    if svc.signer is None:
        raise WorkflowError("this hub has no signing key")
    pem = svc.signer.public_key_pem()
    if args.out:
        Path(args.out).write_bytes(pem)
    print(
        f"the hub's public key ({svc.signer.key_id}), sha256 {fingerprint(pem)}"
        + (f", written to {args.out}" if args.out else "")
    )
    if not args.out:
        print(pem.decode(), end="")
    return 0


@guarded
def _audit_verify_export(args: argparse.Namespace) -> int:
    """Offline: an evidence pack's entries against the hub's signed checkpoint, with the public key only."""
    from govhub import inputs
    from govhub.canonical import sha256_hex
    from govhub.core.audit import check_inclusion
    from govhub.core.checkpoint import CheckpointError, fingerprint, public_key
    from govhub.core.workflow import WorkflowError

    try:
        pack = json.loads(inputs.read_bytes(args.pack, "evidence pack"))
        pem = inputs.read_bytes(args.public_key, "public key")
        key = public_key(pem)
    except (inputs.InputError, CheckpointError) as exc:
        raise WorkflowError(str(exc)) from None
    except ValueError as exc:
        raise WorkflowError(f"{args.pack} is not JSON ({exc}): give the file `govhub audit export` wrote") from None
    if not isinstance(pack, dict) or "audit_entries" not in pack:
        raise WorkflowError(f"{args.pack} is not an evidence pack: give the JSON `govhub audit export --model` wrote")
    if args.public_key_sha256 and args.public_key_sha256.lower() != fingerprint(pem):
        raise WorkflowError(
            f"{args.public_key} has fingerprint {fingerprint(pem)}, not the pinned {args.public_key_sha256}"
        )
    problems = check_inclusion(pack.get("transparency") or {}, pack["audit_entries"], key)
    doc = pack.get("decision_document") or {}
    decisions = [e for e in pack["audit_entries"] if e.get("type") == "decision"]
    if not decisions or doc.get("sha256") != decisions[-1].get("details", {}).get("decision_sha256"):
        problems.append("the pack's decision document is not the one the newest decision entry records")
    elif sha256_hex(str(doc.get("text", "")).encode()) != doc.get("sha256"):
        problems.append("the pack's decision document was edited: it no longer matches its digest in the log")
    if problems:
        print(f"{args.pack}: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    t = pack["transparency"]
    print(
        f"{args.pack}: all {len(pack['audit_entries'])} entries of {pack.get('model_version')} are in the log the hub "
        f"signed ({len(t['proofs'])} inclusion proofs"
        + (f"; entries {', '.join(map(str, t['not_yet_signed']))} not yet signed" if t.get("not_yet_signed") else "")
        + "), and the decision document matches its entry"
    )
    return 0


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

    log, checkpoints, _, _ = _audit_target(args)
    target = Path(args.to)
    if target.exists() and any(target.iterdir()):
        from govhub.core.workflow import WorkflowError

        raise WorkflowError(f"{target} is not empty; copy the audit log into a new folder")
    n = copy_log(log.store, LocalStore(target), checkpoints=checkpoints)
    check = f" --checkpoints {target} --public-key hub.pem" if checkpoints is not None else ""
    print(
        f"copied {n} objects from {log.store.uri} to {target}; verify it with `govhub audit verify --from {target}{check}`"
    )
    return 0


@guarded
def _audit_export(args: argparse.Namespace) -> int:
    from govhub.backends.aws import names
    from govhub.core.workflow import export, render_export_html

    config, svc = _hub(args, names.HUB_AUDITOR_ROLE)
    pack = export(svc, args.model)
    if args.format == "annex-iv":
        return _annex_iv(args, pack, config.guardrails.audit_retention_days)
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


def _annex_iv(args: argparse.Namespace, pack: dict[str, Any], retention_days: int) -> int:
    """The EU AI Act technical documentation for one version, as markdown and HTML side by side."""
    from datetime import datetime

    from govhub.core import annex_iv

    generated = datetime.now(UTC).isoformat(timespec="seconds")
    base = Path(args.out or f"annex-iv-{args.model.replace('/', '-v')}")
    base = base.with_suffix("") if base.suffix in (".md", ".html") else base
    md, html = base.with_name(base.name + ".md"), base.with_name(base.name + ".html")
    md.write_text(annex_iv.render_markdown(pack, retention_days, generated), encoding="utf-8")
    html.write_text(annex_iv.render_html(pack, retention_days, generated), encoding="utf-8")
    missing = annex_iv.missing_fields(pack)
    print(
        f"wrote the Annex IV technical documentation for {args.model} to {md} and {html}"
        + (f"; the model card does not state: {', '.join(missing)}" if missing else "")
    )
    return 0 if pack["audit_chain"]["ok"] else 1


def _key_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--checkpoints", help="where the signed checkpoints are (a folder or s3://BUCKET; default: the hub's)"
    )
    p.add_argument("--public-key", help="the hub's public key (PEM; default for the hub's log: its KMS key)")
    p.add_argument("--public-key-sha256", help="the key's pinned fingerprint: refuse any other key")


def _common(parser: argparse.ArgumentParser, *, role: bool = True) -> None:
    parser.add_argument(
        "--platform",
        default=os.environ.get("PLATFORM_CONFIG", "platform.yaml"),
        help="the platform config (default: $PLATFORM_CONFIG or platform.yaml)",
    )
    parser.add_argument(
        "--as",
        dest="as_",
        help="emulator only: who you are (the role session name the emulator's STS authenticates; default "
        "$GOVHUB_USER or your login). On AWS your sign-in says who you are",
    )
    if role:
        parser.add_argument("--role", help=ROLE_HELP)
    parser.add_argument("--no-assume", action="store_true", help="use the credentials you hold, already in the role")
    parser.add_argument(
        "--service-url", help="the hub service's function URL (default: $GOVHUB_SERVICE_URL, else looked up)"
    )


def add_commands(sub: Any) -> None:
    p = sub.add_parser("submit", help="register a model version in the hub with its decision and evidence")
    p.add_argument("--team", required=True)
    p.add_argument("--use-case", help="the use case (its model package group); default: the team's own group")
    p.add_argument(
        "--decision", help="decision.json from `govhub evaluate` (advisory: the hub judges the evidence itself)"
    )
    p.add_argument("--evidence", required=True, help="evidence.json from `govhub evaluate --evidence-out`")
    p.add_argument("--model-card", required=True, help="the model card source (YAML or JSON) with lineage")
    p.add_argument("--model-artifact", help="the model artifact file; its sha256 binds the evidence to this model")
    p.add_argument("--model-sha256", help="the model artifact's sha256, when the file is not at hand")
    _common(p)
    p.set_defaults(func=_submit)

    waiver = sub.add_parser("waiver", help="waivers: an approver's time-limited exception to one failing gate")
    waiver_sub = waiver.add_subparsers(dest="action", metavar="ACTION")
    p = waiver_sub.add_parser("grant", help="waive one failing gate of one model version until a date")
    p.add_argument("model", help="GROUP/VERSION")
    p.add_argument("--gate", required=True, help="e.g. gate.fairness")
    p.add_argument("--reason", required=True, help="why (at least 20 characters; kept in the audit log)")
    p.add_argument("--expires", required=True, help="YYYY-MM-DD, within 180 days")
    _common(p)
    p.set_defaults(func=_waiver_grant)
    p = waiver_sub.add_parser(
        "request", help="a team member asks the approvers to waive one failing gate (answered by `waiver grant`)"
    )
    p.add_argument("model", help="GROUP/VERSION")
    p.add_argument("--gate", required=True, help="the failing gate, e.g. gate.fairness")
    p.add_argument("--reason", required=True, help="why the failure is acceptable for now and what will fix it")
    p.add_argument("--expires", required=True, help="YYYY-MM-DD until which the waiver is asked, within 180 days")
    _common(p)
    p.set_defaults(func=_waiver_request)

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

    p = sub.add_parser("inbox", help="what waits for an approval: every version below prod, and what it lacks")
    p.add_argument("--team", help="only this team's versions")
    p.add_argument("--stage", choices=STAGES, help="only versions whose next stage is this one")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--html", metavar="FILE", help="write the inbox as one HTML page")
    _common(p)
    p.set_defaults(func=_inbox)
    p = sub.add_parser("inventory", help="every use case: its tier, versions by state and its prod version")
    p.add_argument("--html", metavar="FILE", help="write one HTML page for the organisation")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _common(p)
    p.set_defaults(func=_inventory)
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
    _key_options(p)
    p.add_argument("--since", help="a checkpoint you kept (`govhub audit checkpoint --out`): prove the log only grew")
    _common(p)
    p.set_defaults(func=_audit_verify)
    p = audit_sub.add_parser("checkpoint", help="the newest signed checkpoint, verified; --out keeps it for --since")
    p.add_argument("--from", dest="source", help="a copied log folder (default: the hub's audit bucket)")
    _key_options(p)
    p.add_argument("--out", help="write the signed checkpoint here")
    _common(p)
    p.set_defaults(func=_audit_checkpoint)
    p = audit_sub.add_parser("public-key", help="the hub's signing public key (PEM) and its fingerprint, from KMS")
    p.add_argument("--out", help="write the PEM here")
    _common(p)
    p.set_defaults(func=_audit_public_key)
    p = audit_sub.add_parser(
        "verify-export", help="offline: check an evidence pack's inclusion proofs against the signed checkpoint"
    )
    p.add_argument("pack", help="the JSON written by `govhub audit export --model`")
    p.add_argument("--public-key", required=True, help="the hub's public key (PEM)")
    p.add_argument("--public-key-sha256", help="the key's pinned fingerprint")
    p.set_defaults(func=_audit_verify_export)
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
    p.add_argument(
        "--format",
        choices=["json", "html", "annex-iv"],
        default="json",
        help="annex-iv: the EU AI Act technical documentation (markdown and HTML, FILE.md and FILE.html)",
    )
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
