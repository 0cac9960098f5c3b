"""The hub's object store on AWS: an S3 bucket, with create-only writes through ``If-None-Match: *``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from govhub.core.store import Conflict, Missing, ObjectStore, StoreError


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
                raise StoreError(
                    f"bucket {self.bucket} does not exist; deploy the hub stack first "
                    "(npx cdktf deploy hub-aws) or check the platform config's hub account and region"
                ) from None
            if code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "ExpiredToken"):
                raise StoreError(
                    f"{what} {self.uri_of(key)} was denied ({code}); assume the role that may do this "
                    "(see `govhub status --help` for the roles)"
                ) from None
            raise StoreError(f"{what} {self.uri_of(key)} failed: {code or exc}") from None

    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_absent: bool = False,
        retain_until: datetime | None = None,
        content_type: str = "application/json",
    ) -> None:
        extra: dict[str, Any] = {"ContentType": content_type}
        if if_absent:
            extra["IfNoneMatch"] = "*"
        if retain_until is not None:
            extra |= {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": retain_until}
        self._call("writing", key, self.client.put_object, Key=key, Body=data, **extra)

    def get(self, key: str) -> bytes:
        return self._call("reading", key, self.client.get_object, Key=key)["Body"].read()

    def versions(self, prefix: str) -> dict[str, tuple[int, int]] | None:
        found: dict[str, tuple[int, int]] = {}
        kwargs: dict[str, Any] = {"Prefix": prefix}
        while True:
            page = self._call("listing versions of", prefix, self.client.list_object_versions, **kwargs)
            for item in page.get("Versions", []):
                v, d = found.get(item["Key"], (0, 0))
                found[item["Key"]] = (v + 1, d)
            for item in page.get("DeleteMarkers", []):
                v, d = found.get(item["Key"], (0, 0))
                found[item["Key"]] = (v, d + 1)
            if not page.get("IsTruncated"):
                return found
            kwargs = {"Prefix": prefix, "KeyMarker": page.get("NextKeyMarker"),
                      "VersionIdMarker": page.get("NextVersionIdMarker")}  # fmt: skip

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
