"""``govhub attest verify``: the check a deployment pipeline runs before it serves a model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from govhub.cli.common import fail, guarded
from govhub.cli.hub import _common
from govhub.vocabulary import STAGES


def _verify(args: argparse.Namespace) -> int:
    from govhub import inputs
    from govhub.adapters.base import AdapterError, fetch
    from govhub.canonical import sha256_hex
    from govhub.core.attestation import AttestationError, check_deployable, open_envelope
    from govhub.core.checkpoint import CheckpointError, fingerprint, public_key

    try:
        pem = inputs.read_bytes(args.public_key, "public key")
        key = public_key(pem)
        if args.public_key_sha256 and args.public_key_sha256.lower() != fingerprint(pem):
            return fail(
                f"{args.public_key} has fingerprint {fingerprint(pem)}, not the pinned {args.public_key_sha256}: "
                "this is not the hub's key; do not deploy"
            )
        envelope = inputs.read_bytes(args.attestation, "attestation")
        artifact = fetch(args.model_artifact)
        stmt = open_envelope(envelope, key)
    except (inputs.InputError, CheckpointError, AdapterError) as exc:
        return fail(str(exc))
    except AttestationError as exc:
        return fail(f"{args.attestation}: {exc}", 1)
    digest = sha256_hex(artifact.data)
    reasons = check_deployable(stmt, digest, args.stage)
    version = stmt.get("predicate", {}).get("model_version", "?")
    if reasons:
        print(f"NOT deployable: {args.model_artifact} (sha256 {digest[:12]}…) under {args.attestation}:")
        for reason in reasons:
            print(f"  - {reason}")
        return 1
    print(f"deployable at {args.stage}: {args.model_artifact} is {version} (sha256 {digest[:12]}…), signed by the hub, "
          "decision PASS, approvals complete")  # fmt: skip
    return 0


@guarded
def _fetch(args: argparse.Namespace) -> int:
    from govhub.cli.hub import _hub, _team_role
    from govhub.core.workflow import WorkflowError, latest_attestation

    _, svc = _hub(args, _team_role(args.team))
    uri, envelope = latest_attestation(svc, args.team, args.model, args.stage)
    Path(args.out).write_bytes(envelope)
    print(f"fetched {uri} to {args.out}; check it with `govhub attest verify --attestation {args.out} ...`")
    if args.public_key_out:
        from govhub.core.checkpoint import fingerprint

        if svc.signer is None:
            raise WorkflowError("this hub has no signing key: nothing can be verified; ask the platform team")
        pem = svc.signer.public_key_pem()
        Path(args.public_key_out).write_bytes(pem)
        print(f"the hub's public key ({svc.signer.key_id}) to {args.public_key_out}, sha256 {fingerprint(pem)}")
    return 0


def add_commands(sub: Any) -> None:
    att = sub.add_parser("attest", help="signed attestations of the hub's decisions")
    att_sub = att.add_subparsers(dest="action", metavar="ACTION")
    p = att_sub.add_parser("verify", help="check a model artifact against its signed attestation before deploying")
    p.add_argument("--model-artifact", required=True, help="the model file, or s3://BUCKET/KEY")
    p.add_argument("--attestation", required=True, help="the DSSE envelope the hub issued for the version")
    p.add_argument("--public-key", required=True, help="the hub's public key (PEM)")
    p.add_argument("--public-key-sha256", help="the key's pinned fingerprint (`govhub audit public-key` prints it)")
    p.add_argument("--stage", default="prod", choices=STAGES, help="the stage being deployed to (default: prod)")
    p.set_defaults(func=_verify)
    p = att_sub.add_parser("fetch", help="download the hub's newest attestation of a model version")
    p.add_argument("--model", required=True, help="GROUP/VERSION")
    p.add_argument("--team", required=True, help="the team that owns the model (its hub role reads the record)")
    p.add_argument("--stage", default="prod", choices=STAGES, help="the stage attested (default: prod)")
    p.add_argument("--out", required=True, help="where to write the DSSE envelope")
    p.add_argument(
        "--public-key-out",
        help="also write the hub's public key (PEM, from KMS); pin it on verify with --public-key-sha256",
    )
    _common(p)
    p.set_defaults(func=_fetch)
