"""The hub's governance bus on Google Cloud: a Pub/Sub topic.

The message data is the CloudEvents envelope every cloud carries (:mod:`govhub.core.events`), in
structured mode (``content-type: application/cloudevents+json``). The ``type`` and ``outcome``
attributes repeat what the hub stack's ticket subscription filters on, so Pub/Sub can route without
reading the data.
"""

from __future__ import annotations

from typing import Any

from govhub.core import events


class PubSubPublisher:
    def __init__(self, client: Any, topic: str, project: str):
        """``client``: a ``google.cloud.pubsub_v1.PublisherClient``; ``topic``: its full name
        (``projects/P/topics/govhub-governance``)."""
        self.client, self.topic = client, topic
        self.source = events.source_of("gcp", project)

    def publish(self, detail_type: str, detail: dict[str, Any], timeout: float = 60.0) -> str:
        from google.api_core.exceptions import GoogleAPIError

        body = events.envelope(detail_type, detail, source=self.source)
        attributes = {"content-type": events.CONTENT_TYPE, "type": events.type_of(detail_type)}
        if detail.get("outcome"):
            attributes["outcome"] = str(detail["outcome"])
        try:
            return str(self.client.publish(self.topic, body, **attributes).result(timeout=timeout))
        except (GoogleAPIError, TimeoutError) as exc:
            raise events.EventError(
                f"the governance topic {self.topic} refused the {detail_type!r} event ({exc}); the hub "
                "service's account needs roles/pubsub.publisher on the topic"
            ) from None
