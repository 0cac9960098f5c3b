"""The hub service's request handling, the same on every cloud.

A request is one JSON object: ``{"action": ..., ...fields}``. The caller is never part of it: the
platform adapter passes the authenticated :class:`~govhub.core.ports.Actor`, and the workflow checks
that actor's role and person. Every answer is a :class:`Response` whose body carries ``exit_code``
(0 done, 1 refused by the rules, 2 bad input or not allowed), one ``message`` that says what to do
next, and the action's ``result``.

Actions: ``submit`` (reads the submission the team uploaded to its inbox), ``approve``, ``reject``,
``waiver_grant``, ``waiver_request``, ``monitoring_attach``, ``promote``, ``policy_publish``, ``status`` and ``versions``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govhub.core import keys
from govhub.core.ports import Actor, Services
from govhub.problems import describe

log = logging.getLogger("govhub.service")
MAX_BODY = 1_000_000
"""Requests carry references and short texts (plans, packs); evidence travels through the inbox."""
SUBMISSION_FILES = ("evidence.json", "card.json", "submission.json")
ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return int(self.body.get("exit_code", 2))


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Submit(_Request):
    action: str = "submit"
    team: str = Field(pattern=r"^[a-z][a-z0-9-]{0,23}$")
    use_case: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,31}$")
    submission: str = Field(pattern=ID, description="the folder under inbox/<team>/ that holds the upload")


class Review(_Request):
    action: str
    ref: str = Field(max_length=200, description="GROUP/VERSION")
    stage: str
    justification: str = Field(max_length=4000)


class WaiverGrant(_Request):
    action: str = "waiver_grant"
    ref: str = Field(max_length=200, description="GROUP/VERSION")
    gate: str = Field(max_length=64)
    reason: str = Field(max_length=4000)
    expires: date


class WaiverRequest(WaiverGrant):
    action: str = "waiver_request"


class MonitoringAttach(_Request):
    action: str = "monitoring_attach"
    ref: str = Field(max_length=200, description="GROUP/VERSION")
    plan: str = Field(max_length=200_000, description="the plan's YAML text")
    source: str = Field(default="plan.yaml", max_length=256)


class Promote(_Request):
    action: str = "promote"
    ref: str = Field(max_length=200, description="GROUP/VERSION")
    stage: str


class PolicyPublish(_Request):
    action: str = "policy_publish"
    pack: str = Field(max_length=200_000, description="the pack's YAML text")
    source: str = Field(default="pack.yaml", max_length=256)


class Status(_Request):
    action: str = "status"
    ref: str = Field(max_length=200, description="GROUP/VERSION")


class Versions(_Request):
    action: str = "versions"
    group: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")


READS = (Status, Versions)  # requests that change nothing: neither recorded as refusals nor sealed

REQUESTS: Mapping[str, type[_Request]] = {
    "submit": Submit,
    "approve": Review,
    "reject": Review,
    "waiver_grant": WaiverGrant,
    "waiver_request": WaiverRequest,
    "monitoring_attach": MonitoringAttach,
    "promote": Promote,
    "policy_publish": PolicyPublish,
    "status": Status,
    "versions": Versions,
}


def _ok(message: str, result: Any = None) -> Response:
    return Response(200, {"ok": True, "exit_code": 0, "message": message, "result": result})


def _refused(status: int, message: str, exit_code: int = 2, **extra: Any) -> Response:
    return Response(status, {"ok": False, "exit_code": exit_code, "message": message, **extra})


class HubService:
    """The enforcement point. ``services_for(actor)`` returns the hub's services under the service's own
    credentials, with ``actor`` (from authentication) as the caller."""

    def __init__(self, services_for: Callable[[Actor], Services]):
        self.services_for = services_for

    def handle(self, body: bytes | str | None, caller: Actor) -> Response:
        from govhub.core.workflow import Blocked, WorkflowError

        try:
            request = self._parse(body)
        except _BadRequest as exc:
            return _refused(400, str(exc))
        try:
            svc = self.services_for(caller)
            try:
                response = self._dispatch(svc, request)
            except WorkflowError as exc:
                self._record_refusal(svc, request, exc)
                raise
            finally:
                checkpoint = self._seal(svc, request)
            if checkpoint is not None:
                response.body["checkpoint"] = {"size": checkpoint.size, "root": checkpoint.root.hex()}
            return response
        except Blocked as exc:
            return _refused(409, str(exc), exit_code=1, reasons=exc.reasons)
        except _BadRequest as exc:
            return _refused(400, str(exc))
        except WorkflowError as exc:
            return _refused(403, str(exc))
        except Exception as exc:  # noqa: BLE001 - the caller gets an id to quote, the log gets the detail
            incident = uuid.uuid4().hex[:12]
            log.exception("govhub service: incident %s on %s by %s", incident, type(request).__name__, caller.arn)
            return _refused(
                500, f"the hub service failed ({type(exc).__name__}); quote incident {incident} to the platform team"
            )

    @staticmethod
    def _record_refusal(svc: Services, request: _Request, exc: Exception) -> None:
        """A refused change is an audit event too (a self-approval, a blocked promotion, a rejected
        submission): who asked, for what, and every reason, in the same tamper-evident log. Reads
        are not recorded. A failure to record never changes the answer the caller gets."""
        from govhub.core.workflow import Blocked

        if isinstance(request, READS):
            return
        action = str(getattr(request, "action", type(request).__name__))
        subject = getattr(request, "ref", None)
        if subject is None and isinstance(request, Submit):
            subject = keys.model_group(request.team, request.use_case)
        details: dict[str, Any] = {"action": action, "reason": str(exc)[:2000]}
        if isinstance(exc, Blocked):
            details["reasons"] = [r[:1000] for r in exc.reasons]
        for name in ("stage", "gate", "team"):
            if getattr(request, name, None) is not None:
                details[name] = str(getattr(request, name))
        try:
            svc.audit.append("refusal", svc.actor.arn, str(subject or action), details)
        except Exception:  # noqa: BLE001 - logged; the refusal itself stands
            log.exception("govhub service: could not record a refused %s", action)

    @staticmethod
    def _seal(svc: Services, request: _Request) -> Any:
        """After a request that may have appended, sign a checkpoint of the log. A signing failure
        never undoes the request: the next request's checkpoint covers these entries too."""
        from govhub.core import workflow as wf

        if isinstance(request, READS):
            return None
        try:
            return wf.seal(svc)
        except Exception:  # noqa: BLE001 - logged with the detail; the entries stay and are signed next time
            log.exception("govhub service: could not sign a checkpoint of the audit log")
            return None

    # ----------------------------------------------------------------- parsing

    @staticmethod
    def _parse(body: bytes | str | None) -> _Request:
        if not body:
            raise _BadRequest('the request has no body; send a JSON object such as {"action": "status", "ref": "G/1"}')
        if len(body) > MAX_BODY:
            raise _BadRequest(f"the request body is over {MAX_BODY} bytes; large documents go through the inbox")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest(f"the request body is not JSON ({exc}); send one JSON object") from None
        if not isinstance(data, dict):
            raise _BadRequest("the request body must be a JSON object with an action")
        action = data.get("action")
        model = REQUESTS.get(action) if isinstance(action, str) else None
        if model is None:
            raise _BadRequest(f"unknown action {action!r}; actions: {', '.join(REQUESTS)}")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {describe(e)}" for e in exc.errors())
            raise _BadRequest(f"{action}: {problems}") from None

    # ----------------------------------------------------------------- actions

    def _dispatch(self, svc: Services, request: _Request) -> Response:
        from govhub.core import workflow as wf

        if isinstance(request, Submit):
            return self._submit(svc, request)
        if isinstance(request, Review) and request.action == "approve":
            have, need = wf.approve(svc, request.ref, request.stage, request.justification)
            return _ok(f"approved {request.ref} for {request.stage} ({have} of {need})", {"have": have, "need": need})
        if isinstance(request, Review):
            mv = wf.reject(svc, request.ref, request.stage, request.justification)
            return _ok(f"rejected {mv.ref}", {"model_version": mv.ref, "status": mv.status})
        if isinstance(request, WaiverRequest):
            asked = wf.request_waiver(svc, request.ref, request.gate, request.reason, request.expires)
            return _ok(
                f"asked the approvers to waive {request.gate} for {request.ref} until {request.expires} (audit entry "
                f"{asked['seq']}); it shows in `govhub inbox`, and an approver answers with `govhub waiver grant`",
                asked,
            )
        if isinstance(request, WaiverGrant):
            decision = wf.grant_waiver(svc, request.ref, request.gate, request.reason, request.expires)
            return _ok(
                f"waived {request.gate} for {request.ref} until {request.expires}; the hub's decision is now "
                f"{decision.outcome}",
                {"outcome": decision.outcome},
            )
        if isinstance(request, MonitoringAttach):
            digest = wf.attach_monitoring_plan(svc, request.ref, request.plan, request.source)
            return _ok(f"monitoring plan {digest[:12]}… attached to {request.ref}", {"sha256": digest})
        if isinstance(request, Promote):
            mv = wf.promote(svc, request.ref, request.stage)
            return _ok(
                f"promoted {mv.ref} to {request.stage}", {"model_version": mv.ref, "status": mv.status, "arn": mv.arn}
            )
        if isinstance(request, PolicyPublish):
            pack, new = wf.publish_policy(svc, request.source, request.pack.encode())
            verb = "published" if new else "already published (same digest)"
            return _ok(
                f"{pack.name} {pack.version} {verb}",
                {"name": pack.name, "version": pack.version, "digest": pack.digest, "new": new},
            )
        if isinstance(request, Status):
            return _ok(f"status of {request.ref}", wf.status(svc, request.ref))
        if isinstance(request, Versions):
            return _ok(f"versions of {request.group}", wf.versions(svc, request.group))
        raise _BadRequest(f"unknown action {getattr(request, 'action', '?')!r}")

    def _submit(self, svc: Services, request: Submit) -> Response:
        from govhub.core import workflow as wf

        wf._require_role(svc, (wf.v.team_submitter(request.team),), f"submit model versions for team {request.team}")
        files = read_submission(svc, request.team, request.submission, request.use_case)
        result = wf.submit(svc, files)
        d = result.decision
        return _ok(
            f"registered {result.version.ref}: the hub's decision is {d.outcome.upper()}"
            + (" (a ticket was raised)" if result.ticket else ""),
            {
                "model_version": result.version.ref,
                "arn": result.version.arn,
                "outcome": d.outcome,
                "failed_gates": [g.id for g in d.failures()],
                "findings": [f.message for g in d.failures() for f in g.findings],
                "ticket": result.ticket,
                "event_id": result.event_id,
                "notes": list(result.notes),
                "decision": json.loads(d.model_dump_json()),
            },
        )


class _BadRequest(ValueError):
    pass


def read_submission(svc: Services, team: str, submission: str, use_case: str | None) -> Any:
    """The upload under ``inbox/<team>/<submission>/``: evidence, card, the model digest and, optionally,
    the team's own (advisory) decision. Each file is checked; one message names the file and the fix."""
    from govhub.core.decision import Decision
    from govhub.core.evidence import Evidence
    from govhub.core.store import Missing
    from govhub.core.workflow import Submission

    prefix = f"{keys.inbox_prefix(team)}{submission}/"
    docs: dict[str, Any] = {}
    for name in (*SUBMISSION_FILES, "decision.json"):
        try:
            raw = svc.artifacts.get(prefix + name)
        except Missing:
            if name == "decision.json":
                continue
            raise _BadRequest(
                f"{svc.artifacts.uri_of(prefix + name)} is missing: `govhub submit` uploads {', '.join(SUBMISSION_FILES)} "
                "there before it asks the hub to register them"
            ) from None
        try:
            docs[name] = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest(f"{svc.artifacts.uri_of(prefix + name)} is not JSON ({exc}); upload it again") from None
    try:
        evidence = Evidence.model_validate(docs["evidence.json"])
        decision = Decision.model_validate(docs["decision.json"]) if "decision.json" in docs else None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _BadRequest(
            f"{prefix}: {'.'.join(map(str, first['loc']))}: {describe(first)}; upload the files `govhub evaluate` wrote"
        ) from None
    meta, card = docs["submission.json"], docs["card.json"]
    if not isinstance(meta, dict) or not isinstance(card, dict):
        raise _BadRequest(f"{prefix}: submission.json and card.json must be JSON objects")
    return Submission(
        team=team,
        use_case=use_case,
        evidence=evidence,
        card=card,
        model_sha256=str(meta.get("model_sha256", "")),
        model_uri=str(meta.get("model_uri", "")),
        decision=decision,
    )
