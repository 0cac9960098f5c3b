"""Each cloud's implementations of the runtime's ports (registry, object store, event publisher, caller
identity), one package per cloud. The core never imports these; the CLI and the hub service pick one."""

from __future__ import annotations

from pathlib import Path

from govhub.core.store import LocalStore, ObjectStore, StoreError


class SettingsError(RuntimeError):
    """A setting the hub service needs is missing or malformed; the message names it."""


def setting(settings, name: str, where: str, stack: str) -> str:
    """``settings[name]``, or a :class:`SettingsError` naming the setting and the stack that writes it."""
    value = settings.get(name, "")
    if not value:
        raise SettingsError(f"the {where} setting {name} is missing; deploy {stack} again")
    return str(value)


def open_store(uri: str, client_factory=None) -> ObjectStore:
    """``s3://BUCKET``, ``gs://BUCKET``, ``https://ACCOUNT.blob.core.windows.net/CONTAINER``, or a local
    folder path / ``file://`` URI. ``client_factory`` makes the cloud client (tests point it at an
    emulator); by default each cloud's SDK finds credentials its usual way."""
    if uri.startswith("gs://"):
        bucket = uri.removeprefix("gs://").strip("/")
        if not bucket or "/" in bucket:
            raise StoreError(f"{uri}: give the bucket only (gs://BUCKET); prefixes are fixed by govhub")
        if client_factory is None:
            from google.cloud import storage

            client_factory = storage.Client
        from govhub.backends.gcp.store import GcsStore

        return GcsStore(client_factory(), bucket)
    if uri.startswith("https://") and ".blob." in uri:
        account_url, _, container = uri.removeprefix("https://").partition("/")
        if not container or "/" in container.strip("/"):
            raise StoreError(f"{uri}: give the container only (https://ACCOUNT.blob.core.windows.net/CONTAINER)")
        if client_factory is None:
            from azure.identity import DefaultAzureCredential
            from azure.storage.blob import ContainerClient

            client_factory = lambda: ContainerClient(  # noqa: E731
                f"https://{account_url}", container.strip("/"), credential=DefaultAzureCredential()
            )
        from govhub.backends.azure.store import AzureBlobStore

        return AzureBlobStore(client_factory())
    if uri.startswith("s3://"):
        bucket = uri.removeprefix("s3://").strip("/")
        if not bucket or "/" in bucket:
            raise StoreError(f"{uri}: give the bucket only (s3://BUCKET); prefixes are fixed by govhub")
        if client_factory is None:
            import boto3

            client_factory = lambda: boto3.client("s3")  # noqa: E731
        from govhub.backends.aws.store import S3Store

        return S3Store(client_factory(), bucket)
    path = Path(uri.removeprefix("file://"))
    if not path.is_dir():
        raise StoreError(
            f"{path}: no such folder; give a folder that holds an exported audit log, s3://BUCKET, gs://BUCKET "
            "or https://ACCOUNT.blob.core.windows.net/CONTAINER"
        )
    return LocalStore(path)
