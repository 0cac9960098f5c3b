"""The hub's governance bus on Azure: an Event Grid topic in the CloudEvents 1.0 schema.

The event is the envelope every cloud carries (:mod:`govhub.core.events`), sent through the real
``azure-eventgrid`` publisher client; the hub stack's subscription routes failed decisions
(``data.outcome`` fail or error) to the Service Bus ticket queue.
"""

from __future__ import annotations

import json
from typing import Any

from govhub.core import events


class EventGridPublisher:
    def __init__(self, client: Any, subscription_id: str):
        """``client``: an ``azure.eventgrid.EventGridPublisherClient`` for the hub's topic endpoint."""
        self.client = client
        self.source = events.source_of("azure", subscription_id)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> str:
        from azure.core.exceptions import AzureError
        from azure.core.messaging import CloudEvent

        body = json.loads(events.envelope(detail_type, detail, source=self.source))
        try:
            self.client.send([CloudEvent.from_dict(body)])
        except AzureError as exc:
            raise events.EventError(
                f"the governance topic refused the {detail_type!r} event ({type(exc).__name__}: {exc.message}); "
                "the hub service's identity needs the EventGrid Data Sender role on the topic"
            ) from None
        return str(body["id"])
