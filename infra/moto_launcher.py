"""moto_server with one correction, so that the emulator follows AWS's policy semantics for TLS.

AWS S3 is reached over TLS, so the standard TLS-only bucket statement (Deny s3:* when
aws:SecureTransport is false) never applies to SDK and Terraform calls. moto (5.2.5) does not
evaluate the ``Bool`` condition operator: it applies the Deny unconditionally, and every bucket that
carries the statement refuses all object reads and writes through the plain-HTTP emulator endpoint.
Here each request is treated as having arrived over TLS: a statement conditioned on
aws:SecureTransport being false does not apply. Nothing else about moto changes.

    python -m infra.moto_launcher -H 127.0.0.1 -p 5000     # the same arguments as moto_server
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
    statement_class.is_action_permitted = is_action_permitted


def main() -> None:
    patch()
    from moto.server import main as server_main

    server_main()


if __name__ == "__main__":
    main()
