"""``govhub attest verify``: the check a deployment pipeline runs before it serves a model."""

from __future__ import annotations

import argparse
from typing import Any

from govhub.cli.common import fail
from govhub.vocabulary import STAGES


def _verify(args: argparse.Namespace) -> int:
    from govhub import inputs
    from govhub.adapters.base import AdapterError, fetch
    from govhub.canonical import sha256_hex
    from govhub.core.attestation import AttestationError, check_deployable, open_envelope
    from govhub.core.checkpoint import CheckpointError, public_key

    try:
        key = public_key(inputs.read_bytes(args.public_key, "public key"))
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


def add_commands(sub: Any) -> None:
    att = sub.add_parser("attest", help="signed attestations of the hub's decisions")
    att_sub = att.add_subparsers(dest="action", metavar="ACTION")
    p = att_sub.add_parser("verify", help="check a model artifact against its signed attestation before deploying")
    p.add_argument("--model-artifact", required=True, help="the model file, or s3://BUCKET/KEY")
    p.add_argument("--attestation", required=True, help="the DSSE envelope the hub issued for the version")
    p.add_argument("--public-key", required=True, help="the hub's public key (PEM)")
    p.add_argument("--stage", default="prod", choices=STAGES, help="the stage being deployed to (default: prod)")
    p.set_defaults(func=_verify)
