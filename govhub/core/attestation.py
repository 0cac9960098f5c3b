"""Signed attestations of the hub's decisions: an in-toto Statement in a DSSE envelope.

The statement's subject is the model artifact (its sha256), so the attestation travels with the model
and nothing else can borrow it. Its predicate holds what a deployment must know: the decision and its
digests (decision, evidence, policy pack), the stage the version reached and the approvals behind it.
The envelope is signed over DSSE's pre-authentication encoding (PAE) with the hub's key (ECDSA P-256,
the same key as the audit checkpoints); a deployment pipeline checks it with the public key alone:
``govhub attest verify --model-artifact model.tar.gz --attestation model.intoto.json --public-key hub.pem``.

Formats: in-toto Statement v1 (https://in-toto.io/Statement/v1) and DSSE v1 (the envelope's
``payloadType``, ``payload`` and ``signatures[].keyid/sig``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from govhub.core.checkpoint import Signer, signature_valid

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://govhub.dev/attestations/promotion-decision/v1"


class AttestationError(ValueError):
    """An attestation that does not verify, or does not allow the deployment; the message says why."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(
    *,
    model_name: str,
    artifact_sha256: str,
    model_version: str,
    decision: Mapping[str, Any],
    decision_sha256: str,
    evidence_sha256: str,
    stage: str,
    approvals: Sequence[Mapping[str, Any]],
    approvals_required: int,
    issued_at: str,
    audit_entry: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": model_name, "digest": {"sha256": artifact_sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "model_version": model_version,
            "outcome": decision.get("outcome"),
            "risk_tier": decision.get("risk_tier"),
            "policy": dict(decision.get("policy") or {}),
            "decision_sha256": decision_sha256,
            "evidence_sha256": evidence_sha256,
            "stage": stage,
            "approvals": [dict(a) for a in approvals],
            "approvals_required": approvals_required,
            "issued_at": issued_at,
            "audit_entry": dict(audit_entry or {}),
        },
    }


def envelope(stmt: Mapping[str, Any], signer: Signer) -> bytes:
    payload = json.dumps(stmt, sort_keys=True, separators=(",", ":")).encode()
    sig = signer.sign(pae(PAYLOAD_TYPE, payload))
    doc = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
           "signatures": [{"keyid": signer.key_id, "sig": base64.b64encode(sig).decode()}]}  # fmt: skip
    return json.dumps(doc, indent=2).encode()


def open_envelope(data: bytes, key: Any) -> dict[str, Any]:
    """The statement, once one signature verifies with ``key``; else :class:`AttestationError`."""
    try:
        doc = json.loads(data)
        payload = base64.b64decode(doc["payload"], validate=True)
        sigs = [base64.b64decode(s["sig"], validate=True) for s in doc["signatures"]]
        kind = str(doc["payloadType"])
    except (ValueError, KeyError, TypeError):
        raise AttestationError("not a DSSE envelope (payloadType, payload, signatures)") from None
    if kind != PAYLOAD_TYPE:
        raise AttestationError(f"the envelope carries {kind!r}, not an in-toto statement")
    if not any(signature_valid(key, sig, pae(kind, payload)) for sig in sigs):
        raise AttestationError("no signature of the attestation verifies with the hub's public key")
    try:
        stmt = json.loads(payload)
    except ValueError:
        raise AttestationError("the signed payload is not JSON") from None
    if stmt.get("_type") != STATEMENT_TYPE or stmt.get("predicateType") != PREDICATE_TYPE:
        raise AttestationError("the signed statement is not a govhub promotion decision")
    return stmt


def check_deployable(stmt: Mapping[str, Any], artifact_sha256: str, stage: str = "prod") -> list[str]:
    """Why this artifact may not be deployed at ``stage`` under this statement (empty: it may)."""
    reasons = []
    digests = [s.get("digest", {}).get("sha256") for s in stmt.get("subject", [])]
    if artifact_sha256 not in digests:
        reasons.append(f"the attestation is for another artifact (sha256 {', '.join(map(str, digests))[:80]}), "
                       f"not this one ({artifact_sha256})")  # fmt: skip
    p = stmt.get("predicate", {})
    if p.get("outcome") != "pass":
        reasons.append(f"the hub's decision is {str(p.get('outcome')).upper()}, not PASS")
    if p.get("stage") != stage:
        reasons.append(f"the version reached stage {p.get('stage')!r}, not {stage!r}")
    approvers = {
        a.get("who") for a in p.get("approvals", []) if a.get("stage") == stage and a.get("type") == "approval"
    }
    if len(approvers) < int(p.get("approvals_required") or 0):
        reasons.append(f"{len(approvers)} approval(s) for {stage}, {p.get('approvals_required')} required")
    return reasons
