"""The governance workflow's main story, told to any hub service: the demo's MLflow, Azure and GCP acts, and
the tests of each cloud's services builder, run exactly this.

Every step is a request to :class:`govhub.service.app.HubService` as an authenticated caller, as the
cloud adapters deliver them: the platform CI publishes the packs; the team uploads two versions to its
inbox and asks the hub to register them (the biased one is blocked and ticketed); the author's
self-approval is refused; two other approvers approve, the team attaches the monitoring plan, and the
fair one goes dev → staging → prod; promoting the biased one is refused; the audit log verifies.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from govhub.core import keys
from govhub.core.policy import PACKS_DIR
from govhub.core.ports import Actor
from govhub.core.store import ObjectStore
from govhub.service.app import HubService

JUSTIFICATION = "Gate report, model card and evidence reviewed; fit for the stated use."


@dataclass(frozen=True)
class Upload:
    """What `govhub submit` uploads to the team's inbox."""

    evidence: Mapping[str, Any]
    card: Mapping[str, Any]
    model_sha256: str
    model_uri: str = ""


@dataclass(frozen=True)
class Cast:
    """The callers, as the cloud's authentication names them."""

    deployer: Actor
    team: Actor
    author: Actor  # the fair model's author, also an approver
    approvers: tuple[Actor, Actor]


def tour(
    service: HubService,
    inbox: ObjectStore,
    cast: Cast,
    uploads: Mapping[str, Upload],
    plan: str,
    *,
    team: str = "fraud",
    use_case: str = "credit-scoring",
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the story; returns what happened (refs, outcomes, refusals, the final status)."""
    result: dict[str, Any] = {"refs": {}, "outcomes": {}, "tickets": [], "refused": {}}

    def ask(actor: Actor, request: dict[str, Any], expect: int = 0) -> dict[str, Any]:
        response = service.handle(json.dumps(request), actor)
        body = response.body
        say(f"      {actor.name} ({actor.role}) {request['action']}: {body.get('message')}")
        if response.exit_code != expect:
            raise RuntimeError(f"{request['action']} exited {response.exit_code}, expected {expect}: {body}")
        return body

    for pack in sorted(PACKS_DIR.glob("*.yaml")):
        ask(cast.deployer, {"action": "policy_publish", "source": pack.name, "pack": pack.read_text()})
    for variant in ("biased", "fair"):
        upload = uploads[variant]
        folder = f"{variant}-{uuid.uuid4().hex[:8]}"
        prefix = f"{keys.inbox_prefix(team)}{folder}/"
        meta = {"model_sha256": upload.model_sha256, "model_uri": upload.model_uri, "use_case": use_case}
        for name, doc in (("evidence.json", upload.evidence), ("card.json", upload.card), ("submission.json", meta)):
            inbox.put(prefix + name, json.dumps(doc, default=str).encode())
        body = ask(cast.team, {"action": "submit", "team": team, "use_case": use_case, "submission": folder})
        registered = body["result"]
        result["refs"][variant] = registered["model_version"]
        result["outcomes"][variant] = registered["outcome"]
        if registered.get("ticket"):
            result["tickets"].append(registered["ticket"])
    ref = result["refs"]["fair"]
    review = {"action": "approve", "ref": ref, "justification": JUSTIFICATION}
    result["refused"]["self_approval"] = ask(cast.author, {**review, "stage": "staging"}, expect=2)["message"]
    erin, grace = cast.approvers
    ask(erin, {"action": "promote", "ref": ref, "stage": "dev"})
    ask(erin, {**review, "stage": "staging"})
    ask(erin, {"action": "promote", "ref": ref, "stage": "staging"})
    for person in (erin, grace):
        ask(person, {**review, "stage": "prod"})
    ask(cast.team, {"action": "monitoring_attach", "ref": ref, "plan": plan})
    ask(grace, {"action": "promote", "ref": ref, "stage": "prod"})
    result["refused"]["biased_promotion"] = ask(
        erin, {"action": "promote", "ref": result["refs"]["biased"], "stage": "dev"}, expect=1
    )["message"]
    result["status"] = ask(erin, {"action": "status", "ref": ref})["result"]
    return result
