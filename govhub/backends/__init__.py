"""Each cloud's implementations of the runtime's ports (registry, object store, event publisher, caller
identity), one package per cloud. The core never imports these; the CLI and the hub service pick one."""

from __future__ import annotations

from pathlib import Path

from govhub.core.store import LocalStore, ObjectStore, StoreError


def open_store(uri: str, client_factory=None) -> ObjectStore:
    """``s3://bucket`` or a local folder path / ``file://`` URI."""
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
        raise StoreError(f"{path}: no such folder; give a folder that holds an exported audit log, or s3://BUCKET")
    return LocalStore(path)
