"""Object stores behind the hub's records: S3 in the hub account, or a local folder.

The audit log, the policy-pack store and the evidence store only need four operations: put (with an
optional "only if absent" precondition, which is what makes concurrent appends safe), get, list and
head. S3 gives the precondition with ``If-None-Match: *``; a folder gives it with ``O_EXCL``. Both
raise :class:`Conflict` when the key already exists, and :class:`Missing` for an absent key.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any


class StoreError(RuntimeError):
    """A store could not be used (permissions, missing bucket); the message says what to do."""


class Conflict(StoreError):
    """The key already exists and the write asked for a fresh key."""


class Missing(StoreError):
    """No object under that key."""


class ObjectStore(ABC):
    uri: str

    @abstractmethod
    def put(self, key: str, data: bytes, *, if_absent: bool = False, retain_until: datetime | None = None,
            content_type: str = "application/json") -> None: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        """Keys under ``prefix`` in lexicographic order, after ``start_after``."""

    def exists(self, key: str) -> bool:
        try:
            self.get(key)
        except Missing:
            return False
        return True

    def uri_of(self, key: str) -> str:
        return f"{self.uri.rstrip('/')}/{key}"


class LocalStore(ObjectStore):
    """A folder as an object store (an exported copy of the audit log, or an offline hub)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.uri = self.root.resolve().as_uri()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StoreError(f"key {key!r} leaves the store folder {self.root}")
        return path

    def put(self, key: str, data: bytes, *, if_absent: bool = False, retain_until: datetime | None = None,
            content_type: str = "application/json") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        try:
            if not if_absent:
                os.replace(tmp, path)
                return
            # link(2) fails atomically when the name exists, and the entry appears complete or not at all.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise Conflict(f"{self.uri_of(key)} already exists") from None
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise Missing(f"{self.uri_of(key)} does not exist") from None

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        folder = (self.root / prefix).parent if not prefix.endswith("/") else self.root / prefix
        if not folder.is_dir():
            return iter(())
        found = sorted(p.relative_to(self.root).as_posix() for p in folder.rglob("*")
                       if p.is_file() and not p.name.startswith("."))
        return (k for k in found if k.startswith(prefix) and k > start_after)


class S3Store(ObjectStore):
    """A bucket (optionally a prefix in it) through a boto3 S3 client."""

    def __init__(self, client: Any, bucket: str):
        self.client, self.bucket = client, bucket
        self.uri = f"s3://{bucket}"

    def _call(self, what: str, key: str, fn, **kwargs):
        from botocore.exceptions import ClientError

        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("PreconditionFailed", "ConditionalRequestConflict") or status == 412:
                raise Conflict(f"{self.uri_of(key)} already exists") from None
            if code in ("NoSuchKey", "404", "NotFound"):
                raise Missing(f"{self.uri_of(key)} does not exist") from None
            if code == "NoSuchBucket":
                raise StoreError(f"bucket {self.bucket} does not exist; deploy the hub stack first "
                                 "(npx cdktf deploy hub-aws) or check the platform config's hub account and region") \
                    from None
            if code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "ExpiredToken"):
                raise StoreError(f"{what} {self.uri_of(key)} was denied ({code}); assume the role that may do this "
                                 "(see `govhub status --help` for the roles)") from None
            raise StoreError(f"{what} {self.uri_of(key)} failed: {code or exc}") from None

    def put(self, key: str, data: bytes, *, if_absent: bool = False, retain_until: datetime | None = None,
            content_type: str = "application/json") -> None:
        extra: dict[str, Any] = {"ContentType": content_type}
        if if_absent:
            extra["IfNoneMatch"] = "*"
        if retain_until is not None:
            extra |= {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": retain_until}
        self._call("writing", key, self.client.put_object, Key=key, Body=data, **extra)

    def get(self, key: str) -> bytes:
        return self._call("reading", key, self.client.get_object, Key=key)["Body"].read()

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            elif start_after:
                kwargs["StartAfter"] = start_after
            page = self._call("listing", prefix, self.client.list_objects_v2, **kwargs)
            for item in page.get("Contents", []):
                yield item["Key"]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return


def open_store(uri: str, client_factory=None) -> ObjectStore:
    """``s3://bucket`` or a local folder path / ``file://`` URI."""
    if uri.startswith("s3://"):
        bucket = uri.removeprefix("s3://").strip("/")
        if not bucket or "/" in bucket:
            raise StoreError(f"{uri}: give the bucket only (s3://BUCKET); prefixes are fixed by govhub")
        if client_factory is None:
            import boto3

            client_factory = lambda: boto3.client("s3")  # noqa: E731
        return S3Store(client_factory(), bucket)
    path = Path(uri.removeprefix("file://"))
    if not path.is_dir():
        raise StoreError(f"{path}: no such folder; give a folder that holds an exported audit log, or s3://BUCKET")
    return LocalStore(path)
