"""The object stores every backend test runs on: a folder; S3 on moto; Azure Blob on Azurite; GCS on
fake-gcs-server. ``store_factory`` makes a fresh bucket or container on each call (a hub needs two)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govhub.core.store import LocalStore, ObjectStore

STORES = ["folder", "s3-moto", "azure-blob-azurite", "gcs-fake-gcs-server"]


def _azure_container(conn: str, name: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(conn).create_container(name)


def _gcs_bucket(url: str, name: str, versioning: bool = False) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project="govhub-test", credentials=AnonymousCredentials(), client_options={"api_endpoint": url}
    )
    bucket = client.bucket(name)
    bucket.versioning_enabled = versioning
    client.create_bucket(bucket)
    return client


@pytest.fixture(params=STORES)
def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], ObjectStore]]:
    kind = request.param
    with contextlib.ExitStack() as stack:
        s3: Any = None
        if kind == "s3-moto":
            import boto3
            from moto import mock_aws

            from tests.mothub import offline_aws

            offline_aws(monkeypatch)
            stack.enter_context(mock_aws())
            s3 = boto3.client("s3", region_name="eu-west-1")

        def make() -> ObjectStore:
            name = f"govhub-{uuid.uuid4().hex[:12]}"
            if kind == "folder":
                (tmp_path / name).mkdir()
                return LocalStore(tmp_path / name)
            if kind == "azure-blob-azurite":
                from govhub.backends.azure.store import AzureBlobStore

                return AzureBlobStore(_azure_container(request.getfixturevalue("azurite_connection"), name))
            if kind == "gcs-fake-gcs-server":
                from govhub.backends.gcp.store import GcsStore

                return GcsStore(_gcs_bucket(request.getfixturevalue("gcs_endpoint"), name), name)
            from govhub.backends.aws.store import S3Store

            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
                ObjectLockEnabledForBucket=True,
            )
            return S3Store(s3, name)

        yield make


@pytest.fixture
def store(store_factory: Callable[[], ObjectStore]) -> ObjectStore:
    return store_factory()
