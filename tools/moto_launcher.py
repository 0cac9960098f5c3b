"""moto_server with two corrections, so that the emulator behaves as AWS does where the estate relies on it.

1. TLS-only bucket policies.

AWS S3 is reached over TLS, so the standard TLS-only bucket statement (Deny s3:* when
aws:SecureTransport is false) never applies to SDK and Terraform calls. moto (5.2.5) does not
evaluate the ``Bool`` condition operator: it applies the Deny unconditionally, and every bucket that
carries the statement refuses all object reads and writes through the plain-HTTP emulator endpoint.
Here each request is treated as having arrived over TLS: a statement conditioned on
aws:SecureTransport being false does not apply.

2. EventBridge rules with SNS targets. moto delivers rule matches to SQS, logs and buses but raises
NotImplementedError (an HTTP 500 for the whole PutEvents call) for an SNS target; here the matched
event is published to the topic, as EventBridge does.

3. Bucket-policy conditions. moto applies a bucket policy's statements to every object request, but
evaluates no condition operator other than StringEquals (any other condition counts as met) and
passes no principal, so a Deny "for everyone but the hub service" denies the hub service too. Here
the object request's caller is known (the assumed role behind its access key, as ``aws:PrincipalArn``
is for a role session) and the statements the estate writes are evaluated as AWS does: the ``Arn*``
operators on ``aws:PrincipalArn``, ``Null`` on ``s3:if-none-match`` (the request's If-None-Match
header), and ``Bool`` on ``aws:SecureTransport`` (every request counts as TLS, see 1). A statement
with any other condition keeps moto's own behaviour.

Nothing else about moto changes.

    python -m tools.moto_launcher -H 127.0.0.1 -p 5000     # the same arguments as moto_server
"""

from __future__ import annotations

import threading
from typing import Any


def insecure_only(statement: dict[str, Any]) -> bool:
    """True for a statement that applies only to requests made without TLS."""
    condition = statement.get("Condition") or {}
    values = (condition.get("Bool") or {}).get("aws:SecureTransport")
    values = values if isinstance(values, list) else [values]
    return bool(values) and all(str(v).lower() == "false" for v in values)


def patch() -> None:
    from moto.iam import access_control

    statement_class = access_control.IAMPolicyStatement
    original = statement_class.is_action_permitted
    if getattr(original, "__govhub_patched__", False):
        return

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        if insecure_only(self._statement):
            return access_control.PermissionResult.NEUTRAL  # the request came over TLS (as it does to AWS)
        return original(self, action, resource, principal, incoming_condition_values)

    is_action_permitted.__govhub_patched__ = True  # type: ignore[attr-defined]
    statement_class.is_action_permitted = is_action_permitted  # type: ignore[method-assign]


def patch_sns_targets() -> None:
    import json

    from moto.events import models as events
    from moto.sns import sns_backends

    rule = events.Rule
    original = rule.send_to_targets
    if getattr(original, "__govhub_patched__", False):
        return

    def send_to_targets(self, original_event, transform_input=True):
        sns = [t for t in self.targets if events.parse_arn(t["Arn"]).service == "sns"]
        if not sns or not self.event_pattern.matches_event(original_event):
            return original(self, original_event, transform_input)
        for target in sns:
            arn = events.parse_arn(target["Arn"])
            sns_backends[arn.account][arn.region].get_topic(target["Arn"]).publish(json.dumps(original_event))
        kept = self.targets
        self.targets = [t for t in kept if t not in sns]
        try:
            return original(self, original_event, transform_input)
        finally:
            self.targets = kept

    send_to_targets.__govhub_patched__ = True  # type: ignore[attr-defined]
    rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


_REQUEST = threading.local()


def caller_role_arn(headers: Any) -> str | None:
    """The role ARN behind a SigV4 request's access key (None for keys that are not role sessions)."""
    from moto.sts.models import sts_backends

    auth = headers.get("Authorization") or ""
    if "Credential=" not in auth:
        return None
    key = auth.split("Credential=", 1)[1].split("/", 1)[0]
    for account in list(sts_backends):
        for partition in list(sts_backends[account]):
            for role in sts_backends[account][partition].assumed_roles:
                if role.access_key_id == key:
                    return str(role.role_arn)
    return None


def statement_applies(statement: dict[str, Any], context: dict[str, Any]) -> bool | None:
    """Whether a statement's conditions hold for this request; None when they use anything else."""
    import fnmatch

    for operator, body in (statement.get("Condition") or {}).items():
        for key, expected in body.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key.lower())
            if operator == "Null":
                if all(v.lower() == "true" for v in values) != (actual is None):
                    return False
            elif operator == "Bool" and key.lower() == "aws:securetransport":
                if str(actual).lower() not in (v.lower() for v in values):
                    return False
            elif (
                operator in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike") and key.lower() == "aws:principalarn"
            ):
                match = actual is not None and any(fnmatch.fnmatchcase(str(actual), v) for v in values)
                if match == operator.startswith("ArnNot"):
                    return False
            else:
                return None
    return True


def patch_bucket_policy_conditions() -> None:
    import fnmatch
    import json

    from moto.iam.access_control import PermissionResult
    from moto.s3 import models, responses

    original_permission = models.FakeBucket.get_permission
    if getattr(original_permission, "__govhub_patched__", False):
        return
    original_key_response = responses.S3Response.key_response

    def key_response(self, request, full_url, headers):
        _REQUEST.headers = request.headers
        try:
            return original_key_response(self, request, full_url, headers)
        finally:
            _REQUEST.headers = None

    def get_permission(self, action, resource):
        headers = getattr(_REQUEST, "headers", None)
        if self.policy is None or headers is None:
            return original_permission(self, action, resource)
        context = {
            "aws:principalarn": caller_role_arn(headers),
            "s3:if-none-match": headers.get("If-None-Match"),
            "aws:securetransport": "true",
        }
        result = PermissionResult.NEUTRAL
        for st in json.loads(self.policy)["Statement"]:
            actions = st.get("Action", [])
            actions = actions if isinstance(actions, list) else [actions]
            targets = st.get("Resource", [])
            targets = targets if isinstance(targets, list) else [targets]
            principal = st.get("Principal")
            if principal not in ("*", {"AWS": "*"}):
                continue  # a named principal: moto leaves these to IAM, and so do we
            if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
                continue
            if not any(fnmatch.fnmatchcase(resource, r) for r in targets):
                continue
            applies = statement_applies(st, context)
            if applies is None:
                return original_permission(self, action, resource)
            if applies and st["Effect"] == "Deny":
                return PermissionResult.DENIED
            if applies:
                result = PermissionResult.PERMITTED
        return result

    get_permission.__govhub_patched__ = True  # type: ignore[attr-defined]
    models.FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    responses.S3Response.key_response = key_response  # type: ignore[method-assign]


def main() -> None:
    patch()
    patch_sns_targets()
    patch_bucket_policy_conditions()
    from moto.server import main as server_main

    server_main()


if __name__ == "__main__":
    main()
