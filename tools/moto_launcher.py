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

Nothing else about moto changes.

    python -m tools.moto_launcher -H 127.0.0.1 -p 5000     # the same arguments as moto_server
"""

from __future__ import annotations

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


def main() -> None:
    patch()
    patch_sns_targets()
    from moto.server import main as server_main

    server_main()


if __name__ == "__main__":
    main()
