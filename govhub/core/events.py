"""The governance bus's events as CloudEvents 1.0 (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md).

Every cloud's bus carries the same structured JSON body: EventBridge as the event's ``Detail`` (the
rules still match on ``source`` and ``detail-type``), Event Grid natively (its CloudEvents schema), and
Pub/Sub as the message data with ``content-type: application/cloudevents+json``. A ticketing
integration written once reads the model version, the failed gates and the ticket text from ``data``.
Built with the CloudEvents SDK (``cloudevents``), which validates the attributes.
"""

from __future__ import annotations

import json
from typing import Any

from govhub import vocabulary as v

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
TYPES = {v.GATE_DECISION_EVENT: v.GATE_DECISION_TYPE}
"""The CloudEvents ``type`` of each bus event."""


class EventError(RuntimeError):
    """The bus refused an event, or an event is not a valid CloudEvent; the message says what to do."""


def type_of(detail_type: str) -> str:
    return TYPES.get(detail_type, "govhub." + detail_type.lower().replace(" ", "-"))


def source_of(cloud: str, hub_id: str) -> str:
    """The ``source`` attribute: which hub emitted the event, e.g. ``urn:govhub:hub:aws:123456789012``."""
    return f"urn:govhub:hub:{cloud}:{hub_id}"


def envelope(detail_type: str, detail: dict[str, Any], *, source: str) -> bytes:
    """The structured-mode JSON of one event: attributes, and the detail as ``data``."""
    from cloudevents.core.exceptions import BaseCloudEventException
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    attributes: dict[str, Any] = {
        "type": type_of(detail_type),
        "source": source,
        "datacontenttype": "application/json",
    }
    if detail.get("model_version"):
        attributes["subject"] = str(detail["model_version"])
    try:
        event = CloudEvent(attributes, json.loads(json.dumps(detail, default=str)))
    except BaseCloudEventException as exc:
        raise EventError(f"the {detail_type!r} event is not a valid CloudEvent: {exc}") from None
    return JSONFormat().write(event)


def parse(body: bytes | str) -> dict[str, Any]:
    """A structured CloudEvent back into its attributes and ``data`` (validated by the SDK)."""
    from cloudevents.core.exceptions import BaseCloudEventException
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    try:
        event = JSONFormat().read(CloudEvent, body if isinstance(body, bytes) else body.encode())
    except (BaseCloudEventException, ValueError) as exc:
        raise EventError(f"not a CloudEvents 1.0 structured event: {exc}") from None
    return {**event.get_attributes(), "data": event.get_data()}
