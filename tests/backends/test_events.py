"""The ticket event as a CloudEvents 1.0 envelope, the same body on every cloud's bus.

EventBridge runs on moto (and the ticket rule routes on the envelope's ``data.outcome``). Event Grid and
Pub/Sub have no emulator here, so their real SDK clients run over FAKE transports: azure-core's
transport for ``azure-eventgrid`` (tests/fakes/azure_arm.py) and a recording REST server for
``google-cloud-pubsub`` with ``transport="rest"`` (tests/fakes/http.py). The fakes record the exact
requests and answer with the published REST formats (Event Grid: 200 and an empty body; Pub/Sub:
``{"messageIds": [...]}``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from govhub import vocabulary as v
from govhub.core import events
from tools.fakes.azure_arm import FakeArm, FakeCredential
from tools.fakes.http import FakeRest, fake_rest

DETAIL = {
    "outcome": "fail",
    "team": "fraud",
    "model_version": "fraud-credit-scoring/3",
    "failed_gates": [{"id": "gate.fairness", "status": "fail", "findings": [{"metric": "clarify.DI", "value": 0.62}]}],
    "ticket": {"title": "[govhub] fraud-credit-scoring/3 blocked: fail on gate.fairness", "body": "DI 0.62 <b>"},
}
TOPIC = "https://govhub-governance.westeurope-1.eventgrid.azure.net/api/events"
PUBSUB_TOPIC = "projects/acme-gov/topics/govhub-governance"


def test_the_envelope_is_a_valid_cloudevent() -> None:
    body = events.envelope(v.GATE_DECISION_EVENT, DETAIL, source=events.source_of("aws", "123456789012"))
    event = events.parse(body)
    assert event["specversion"] == "1.0" and event["type"] == "govhub.gate.decision"
    assert event["source"] == "urn:govhub:hub:aws:123456789012" and event["subject"] == "fraud-credit-scoring/3"
    assert event["datacontenttype"] == "application/json" and event["data"] == DETAIL
    assert len(event["id"]) == 36 and event["time"].tzinfo is not None
    assert events.parse(events.envelope(v.GATE_DECISION_EVENT, DETAIL, source="s"))["id"] != event["id"]


def test_a_malformed_envelope_is_refused() -> None:
    with pytest.raises(events.EventError, match="not a CloudEvents 1.0 structured event"):
        events.parse(b'{"type": "x", "data": {}}')  # no id, source or specversion


def _event_grid(status: int = 200) -> tuple[Any, FakeArm]:
    # azure-eventgrid 4.22.1's public client builds its basic-topic client without passing **kwargs on,
    # so a transport cannot reach it; the basic-topic client it wraps (same send) takes one.
    from azure.eventgrid._legacy import EventGridPublisherClient

    from govhub.backends.azure.events import EventGridPublisher

    arm = FakeArm()
    arm.route(
        "POST",
        r"/api/events$",
        lambda m, body: (status, None if status == 200 else {"error": {"code": "Unauthorized"}}),
    )
    client = EventGridPublisherClient(TOPIC, FakeCredential(), transport=arm)
    return EventGridPublisher(client, "11111111-2222-3333-4444-555555555555"), arm


@pytest.fixture()
def pubsub() -> Iterator[tuple[Any, FakeRest]]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import pubsub_v1

    from govhub.backends.gcp.events import PubSubPublisher

    with fake_rest() as fake:
        fake.route("POST", r"^/v1/(projects/[^/]+/topics/[^/:]+):publish$",
                   lambda m, body: (200, {"messageIds": [str(1000 + i) for i, _ in enumerate(body["messages"])]}))  # fmt: skip
        client = pubsub_v1.PublisherClient(
            credentials=AnonymousCredentials(), transport="rest", client_options={"api_endpoint": fake.url}
        )
        yield PubSubPublisher(client, PUBSUB_TOPIC, "acme-gov"), fake


def test_event_grid_gets_the_envelope_in_the_cloudevents_schema() -> None:
    """FAKE transport: azure-eventgrid posts a CloudEvents batch to the topic endpoint."""
    publisher, arm = _event_grid()
    event_id = publisher.publish(v.GATE_DECISION_EVENT, DETAIL)
    ((method, path, body),) = arm.requests
    assert method == "POST" and arm.hosts == {TOPIC.split("/")[2]} and path == "/api/events"
    (sent,) = body
    assert sent["id"] == event_id and sent["specversion"] == "1.0" and sent["type"] == "govhub.gate.decision"
    assert sent["source"] == "urn:govhub:hub:azure:11111111-2222-3333-4444-555555555555"
    assert sent["subject"] == "fraud-credit-scoring/3" and sent["data"] == DETAIL


def test_pubsub_gets_the_envelope_as_structured_data(pubsub: tuple[Any, FakeRest]) -> None:
    """FAKE transport: google-cloud-pubsub's REST transport posts topics.publish."""
    publisher, fake = pubsub
    message_id = publisher.publish(v.GATE_DECISION_EVENT, DETAIL)
    (request,) = fake.requests
    assert request.path == f"/v1/{PUBSUB_TOPIC}:publish" and message_id == "1000"
    (message,) = request.body["messages"]
    # the ticket subscription's filter: attributes.type = "govhub.gate.decision" AND attributes.outcome = "fail"
    assert message["attributes"] == {
        "content-type": "application/cloudevents+json",
        "type": "govhub.gate.decision",
        "outcome": "fail",
    }
    sent = events.parse(base64.b64decode(message["data"]))
    assert sent["source"] == "urn:govhub:hub:gcp:acme-gov" and sent["data"] == DETAIL


def test_the_same_body_on_every_cloud(pubsub: tuple[Any, FakeRest], monkeypatch: pytest.MonkeyPatch) -> None:
    """EventBridge (moto), Event Grid and Pub/Sub carry one envelope: only id, time and source differ."""
    import boto3
    from moto import mock_aws

    from govhub.backends.aws.hub import EventBridgePublisher
    from tests.mothub import offline_aws

    offline_aws(monkeypatch)
    bodies = []
    with mock_aws():
        eb = boto3.client("events", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        eb.create_event_bus(Name="govhub-governance")
        from govhub.backends.aws import names

        queue = sqs.create_queue(QueueName="tickets")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        eb.put_rule(Name="t", EventBusName="govhub-governance", EventPattern=json.dumps(names.TICKET_EVENT_PATTERN))
        eb.put_targets(Rule="t", EventBusName="govhub-governance", Targets=[{"Id": "q", "Arn": arn}])
        EventBridgePublisher(eb, "govhub-governance", "123456789012").publish(v.GATE_DECISION_EVENT, DETAIL)
        # a passing decision is not routed to the ticket queue
        EventBridgePublisher(eb, "govhub-governance", "123456789012").publish(
            v.GATE_DECISION_EVENT, {**DETAIL, "outcome": "pass"}
        )
        (msg,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        bodies.append(json.loads(msg["Body"])["detail"])
    publisher, arm = _event_grid()
    publisher.publish(v.GATE_DECISION_EVENT, DETAIL)
    bodies.append(arm.requests[0][2][0])
    pubsub[0].publish(v.GATE_DECISION_EVENT, DETAIL)
    bodies.append(json.loads(base64.b64decode(pubsub[1].requests[0].body["messages"][0]["data"])))
    same = [{k: x for k, x in b.items() if k not in ("id", "time", "source")} for b in bodies]
    assert same[0] == same[1] == same[2] and same[0]["data"] == DETAIL
    assert [b["source"].split(":")[3] for b in bodies] == ["aws", "azure", "gcp"]


def test_a_refused_event_says_which_role_is_missing(pubsub: tuple[Any, FakeRest]) -> None:
    publisher, _ = _event_grid(status=401)
    with pytest.raises(events.EventError, match="EventGrid Data Sender"):
        publisher.publish(v.GATE_DECISION_EVENT, DETAIL)
    gcp, fake = pubsub
    fake.route(
        "POST",
        r":publish$",
        lambda m, body: (403, {"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}),
    )
    with pytest.raises(events.EventError, match="roles/pubsub.publisher"):
        gcp.publish(v.GATE_DECISION_EVENT, DETAIL, timeout=20)
