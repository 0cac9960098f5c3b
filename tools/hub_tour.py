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

from govhub import vocabulary as v
from govhub.core import keys
from govhub.core.policy import PACKS_DIR
from govhub.core.ports import Actor
from govhub.core.store import ObjectStore
from govhub.service.app import HubService

TOPIC = "https://govhub-governance.westeurope-1.eventgrid.azure.net/api/events"
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


def azure_settings(config: Any) -> dict[str, str]:
    """The Function App's settings as hub/stacks/azure.py writes them, with the ARM ids resolved."""
    import json

    from infra.azure.names import identity_resource_id

    hub = config.hubs.azure
    sub, rg = hub.subscription_id, "/resourceGroups/acme-govhub-hub/providers"
    return {
        "GOVHUB_TENANT_ID": hub.tenant_id,
        "GOVHUB_HUB_SUBSCRIPTION_ID": sub,
        "GOVHUB_APPROVER_GROUP_ID": hub.approver_group_id,
        "GOVHUB_PLATFORM_ADMIN_GROUP_ID": hub.platform_admin_group_id,
        "GOVHUB_AZURE_DEPLOYER": identity_resource_id(sub, "acme-govhub-hub", "acme-govhub-ci-deployer"),
        "GOVHUB_AZURE_SUBMITTERS": json.dumps({identity_resource_id(sub, "govhub-fraud", "govhub-fraud-ci"): "fraud"}),
        "GOVHUB_AUDIT_CONTAINER_ID": f"/subscriptions/{sub}{rg}/Microsoft.Storage/storageAccounts/acmeaudit0d1e2f/"
        "blobServices/default/containers/govhub-audit-log",
        "GOVHUB_ARTIFACT_CONTAINER_ID": f"/subscriptions/{sub}{rg}/Microsoft.Storage/storageAccounts/acmeart0d1e2f/"
        "blobServices/default/containers/govhub-artifacts",
        "GOVHUB_GOVERNED_REGISTRY_ID": f"/subscriptions/{sub}{rg}/Microsoft.MachineLearningServices/registries/"
        "acme-govhub-governed",
        "GOVHUB_EVENT_TOPIC_ENDPOINT": TOPIC,
        "GOVHUB_REGISTRY": "azureml",
        "GOVHUB_MLFLOW_TRACKING_URI": "",
    }


def azure_cast(settings: dict[str, str]) -> Cast:
    """Each caller as App Service authentication hands it to the service, through the Azure adapter."""
    import json

    from govhub.service.azure_function import AzureAuthorities, caller, principal_header

    authorities = AzureAuthorities.from_settings(settings)
    tenant = settings["GOVHUB_TENANT_ID"]

    def identity(mirid: str) -> Actor:
        header = principal_header({"tid": tenant, "xms_mirid": mirid, "oid": str(uuid.uuid4())})
        found = caller({"X-MS-CLIENT-PRINCIPAL": header}, authorities)
        if found is None:
            raise RuntimeError(f"the Azure adapter refused the identity {mirid}")
        return found

    def person(name: str) -> Actor:
        claims: dict[str, str | list[str]] = {"tid": tenant, "oid": str(uuid.uuid4()), "preferred_username": name,
                  "groups": [settings["GOVHUB_APPROVER_GROUP_ID"]]}  # fmt: skip
        found = caller({"X-MS-CLIENT-PRINCIPAL": principal_header(claims)}, authorities)
        if found is None or found.role != v.APPROVER:
            raise RuntimeError(f"the Azure adapter did not make {name} an approver")
        return found

    (team_ci,) = json.loads(settings["GOVHUB_AZURE_SUBMITTERS"])
    return Cast(
        deployer=identity(settings["GOVHUB_AZURE_DEPLOYER"]),
        team=identity(team_ci),
        author=person("frank@acme.example"),
        approvers=(person("erin@acme.example"), person("grace@acme.example")),
    )


def gcp_settings(config: Any) -> dict[str, str]:
    """The Cloud Run service's environment as hub/stacks/gcp.py writes it."""
    project = config.hubs.gcp.project_id
    return {
        "GOVHUB_AUDIT_BUCKET": f"{project}-audit-{uuid.uuid4().hex[:6]}",
        "GOVHUB_ARTIFACT_BUCKET": f"{project}-artifacts-{uuid.uuid4().hex[:6]}",
        "GOVHUB_GOVERNANCE_TOPIC": f"projects/{project}/topics/govhub-governance",
        "GOVHUB_REGISTRY": "vertex",
        "GOVHUB_MLFLOW_TRACKING_URI": "",
    }


def gcp_cast(project: str) -> Cast:
    """The callers as the GCP identity would name them (the Cloud Run identity adapter is not built yet)."""

    def person(name: str) -> Actor:
        return Actor(arn=f"user:{name}", account=project, role=v.APPROVER, name=name)

    ci = f"govhub-fraud-ci@{project}.iam.gserviceaccount.com"
    return Cast(
        deployer=Actor(f"serviceAccount:deployer@{project}.iam.gserviceaccount.com", project, v.CI_DEPLOYER, "ci"),
        team=Actor(arn=f"serviceAccount:{ci}", account=project, role=v.team_submitter("fraud"), name=ci),
        author=person("frank@acme.example"),
        approvers=(person("erin@acme.example"), person("grace@acme.example")),
    )


# ----------------------------------------------------------------------------- the demo's acts


def uploads_from(models: Any) -> dict[str, Upload]:
    """The demo's two trained models (``demo-output/models/<variant>/``) as `govhub submit` uploads them."""
    import hashlib

    import yaml

    found = {}
    for variant in ("biased", "fair"):
        folder = models / variant
        found[variant] = Upload(
            evidence=json.loads((folder / "evidence.json").read_text()),
            card=yaml.safe_load((folder / "model_card.yaml").read_text()),
            model_sha256=hashlib.sha256((folder / "model.pkl").read_bytes()).hexdigest(),
        )
    return found


class Tickets:
    """The local hub's bus: each ticket is a CloudEvents envelope written to a folder (the MLflow act)."""

    def __init__(self, folder: Any):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> str:
        from govhub.core import events

        body = events.envelope(detail_type, detail, source="urn:govhub:hub:local:demo")
        event_id = events.parse(body)["id"]
        (self.folder / f"{event_id}.json").write_bytes(body)
        return event_id


def mlflow_act(
    out: Any, uploads: Mapping[str, Upload], config: Any, say: Callable[[str], None], plan: str = ""
) -> dict[str, Any]:
    """The hybrid strategy: a hub whose registry is a real ``mlflow server`` (sqlite store in
    ``out/mlflow/``), with its audit log and artifacts in folders and tickets as CloudEvents files."""
    import dataclasses

    from govhub.backends.mlflow.registry import MlflowRegistry
    from govhub.core.audit import AuditLog
    from govhub.core.ports import Services
    from govhub.core.store import LocalStore
    from tools.servers import mlflow_server

    for name in ("audit", "artifacts"):
        (out / "mlflow-hub" / name).mkdir(parents=True, exist_ok=True)
    with mlflow_server(out / "mlflow") as url:
        say(f"      mlflow server (the pinned mlflow, sqlite store) at {url}")
        base = Services(
            account="local-hub", registry=MlflowRegistry(tracking_uri=url),
            artifacts=LocalStore(out / "mlflow-hub" / "artifacts"), audit=AuditLog(LocalStore(out / "mlflow-hub" / "audit")),
            events=Tickets(out / "mlflow-hub" / "tickets"), actor=Actor("", "local-hub", "", ""), platform=config,
        )  # fmt: skip
        _quiet("mlflow")  # its client warns about request headers on every call
        service = HubService(lambda actor: dataclasses.replace(base, actor=actor))
        result = tour(service, base.artifacts, local_cast(), uploads, plan or PLAN_TEXT, say=say)
        group, version = result["refs"]["fair"].rsplit("/", 1)
        result["aliases"] = base.registry.aliases(group)  # type: ignore[attr-defined]
        result["audit_ok"] = base.audit.verify().ok
        result["ui"] = f"{url}/#/models/{group}/versions/{version}"
        say(f"      the MLflow UI showed {result['ui']} (aliases {result['aliases']}) while the server ran;")
        say(f"      browse it again: mlflow ui --backend-store-uri sqlite:///{out / 'mlflow' / 'mlflow.db'}")
    return result


def _quiet(package: str) -> None:
    """Only errors from ``package``'s loggers (each SDK logger may carry its own level and handler)."""
    import logging

    for name in [package, *logging.root.manager.loggerDict]:
        if name == package or name.startswith(package + "."):
            logging.getLogger(name).setLevel(logging.ERROR)


PLAN_TEXT = """schedule: daily
baseline: s3://fraud-data/baseline.parquet
checks:
  - {kind: drift, metric: drift.psi, max: 0.2}
  - {kind: data_quality, metric: quality.missing_rate, max: 0.05}
  - {kind: fairness, metric: clarify.DI, min: 0.8, max: 1.25}
"""


def local_cast() -> Cast:
    """A local hub has no cloud sign-in: the callers are named as the emulator profile names them."""
    ci = "ci-pipeline"

    def person(name: str) -> Actor:
        return Actor(arn=f"local:{name}", account="local-hub", role=v.APPROVER, name=name)

    return Cast(
        deployer=Actor("local:platform-ci", "local-hub", v.CI_DEPLOYER, "platform-ci"),
        team=Actor(arn=f"local:{ci}", account="local-hub", role=v.team_submitter("fraud"), name=ci),
        author=person("frank@acme.example"),
        approvers=(person("erin@acme.example"), person("grace@acme.example")),
    )


def azure_act(
    out: Any, uploads: Mapping[str, Upload], config: Any, say: Callable[[str], None], plan: str = ""
) -> dict[str, Any]:
    """The Azure hub service, built from the settings hub-azure writes: audit and artifact containers on
    Azurite; the governed Azure ML registry and Event Grid through their real SDK clients over a FAKE
    transport (no emulator exists); callers through the App Service identity adapter."""
    import dataclasses

    from azure.eventgrid._legacy import EventGridPublisherClient  # its public client drops the transport
    from azure.storage.blob import BlobServiceClient

    from govhub.backends.azure.hub import AzureHubSettings, services
    from tools.fakes.azure_arm import FakeArm, FakeCredential
    from tools.fakes.azureml_registry import FakeAzureMlRegistry, registry_client
    from tools.servers import azurite_blob

    settings = azure_settings(config)
    hub = AzureHubSettings.from_settings(settings, config)
    arm = FakeArm()
    FakeAzureMlRegistry(arm, hub.governed_registry)
    arm.route("POST", r"/api/events$", lambda m, body: (200, None))
    with azurite_blob(out / "azurite") as conn:
        blobs = BlobServiceClient.from_connection_string(conn)
        say(f"      Azurite (npm azurite) stands in for {hub.audit_url} and {hub.artifact_url}")
        say("      FAKE transport: Azure ML registry and Event Grid requests are answered in-process, in their")
        say("      published REST formats (no emulator exists for either)")
        svc = services(hub, config, container=lambda url: blobs.create_container(url.rsplit("/", 1)[-1]),
                       ml_client=registry_client(arm, hub.governed_registry),
                       topic_client=EventGridPublisherClient(hub.topic_endpoint, FakeCredential(), transport=arm))  # fmt: skip
        result = tour(HubService(lambda actor: dataclasses.replace(svc, actor=actor)), svc.artifacts,
                      azure_cast(settings), uploads, plan or PLAN_TEXT, say=say)  # fmt: skip
        result["audit_ok"] = svc.audit.verify().ok
        result["events"] = [e for r in arm.requests if r[1] == "/api/events" for e in r[2]]
        result["hosts"] = sorted(arm.hosts)
    return result


def gcp_act(
    out: Any, uploads: Mapping[str, Upload], config: Any, say: Callable[[str], None], plan: str = ""
) -> dict[str, Any]:
    """The GCP hub service, built from the settings hub-gcp writes: buckets on fake-gcs-server; Vertex AI
    and Pub/Sub through their real SDK clients over REST to a FAKE server (no emulator for Vertex; the
    Pub/Sub emulator needs the gcloud SDK, which the registries here do not carry)."""
    import dataclasses

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from google.cloud.pubsub_v1 import PublisherClient

    from govhub.backends.gcp.hub import GcpHubSettings, services
    from tools.fakes.http import fake_rest
    from tools.fakes.vertex_registry import FakeVertexModels
    from tools.servers import fake_gcs

    settings = gcp_settings(config)
    hub = GcpHubSettings.from_settings(settings, config)
    with fake_gcs(out / "fake-gcs") as endpoint, fake_rest() as rest:
        client = storage.Client(project=hub.project, credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": endpoint})  # fmt: skip
        for bucket in (hub.audit_bucket, hub.artifact_bucket):
            client.create_bucket(bucket)
        FakeVertexModels(rest)
        rest.route("POST", r"^/v1/(projects/[^/]+/topics/[^/:]+):publish$",
                   lambda m, body: (200, {"messageIds": [str(7000 + i) for i, _ in enumerate(body["messages"])]}))  # fmt: skip
        say(f"      fake-gcs-server stands in for gs://{hub.audit_bucket} and gs://{hub.artifact_bucket}")
        say("      FAKE transport: Vertex AI and Pub/Sub requests go over REST to a local server answering in")
        say("      their published formats")
        publisher = PublisherClient(credentials=AnonymousCredentials(), transport="rest",
                                    client_options={"api_endpoint": rest.url})  # fmt: skip
        svc = services(hub, config, credentials=AnonymousCredentials(), storage_client=client, publisher=publisher,
                       vertex_endpoint=rest.url)  # fmt: skip
        _quiet("google.cloud.aiplatform")  # the SDK narrates every call on stdout
        result = tour(HubService(lambda actor: dataclasses.replace(svc, actor=actor)), svc.artifacts,
                      gcp_cast(hub.project), uploads, plan or PLAN_TEXT, say=say)  # fmt: skip
        result["audit_ok"] = svc.audit.verify().ok
        group = result["refs"]["fair"].rsplit("/", 1)[0]
        result["aliases"] = svc.registry.aliases(group)  # type: ignore[attr-defined]
    return result
