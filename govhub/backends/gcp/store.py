"""The hub's object store on Google Cloud: a bucket, with create-only writes through
``if_generation_match=0`` (the write succeeds only when no live object has the name).

The audit bucket carries a locked retention policy (the hub stack sets it), so an object cannot be
deleted or replaced until its retention ends: the bucket enforces what ``retain_until`` asks for, and
the store does not set a per-object hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from govhub.core.store import Conflict, Missing, ObjectStore, StoreError


class GcsStore(ObjectStore):
    """A bucket through a ``google.cloud.storage.Client``."""

    def __init__(self, client: Any, bucket: str):
        self.client, self.bucket_name = client, bucket
        self.bucket = client.bucket(bucket)
        self.uri = f"gs://{bucket}"

    def _call(self, what: str, key: str, fn, *args, **kwargs):
        from google.api_core import exceptions as gexc

        try:
            return fn(*args, **kwargs)
        except gexc.PreconditionFailed:
            raise Conflict(f"{self.uri_of(key)} already exists") from None
        except gexc.NotFound:
            # Only a missing bucket makes a write or a listing 404; a read 404s for a missing object too.
            if what != "reading" or not self._bucket_exists():
                raise StoreError(
                    f"bucket {self.bucket_name} does not exist; deploy the hub stack first (npx cdktf deploy "
                    "hub-gcp) or check the platform config's hub project"
                ) from None
            raise Missing(f"{self.uri_of(key)} does not exist") from None
        except (gexc.Forbidden, gexc.Unauthorized) as exc:
            raise StoreError(
                f"{what} {self.uri_of(key)} was denied ({exc.code}); only the hub service may write the "
                "hub's buckets, and readers need roles/storage.objectViewer"
            ) from None
        except gexc.GoogleAPIError as exc:
            raise StoreError(f"{what} {self.uri_of(key)} failed: {exc}") from None

    def _bucket_exists(self) -> bool:
        from google.api_core import exceptions as gexc

        try:
            return bool(self.bucket.exists())
        except gexc.GoogleAPIError:
            return True  # cannot tell: report the object as missing

    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_absent: bool = False,
        retain_until: datetime | None = None,
        content_type: str = "application/json",
    ) -> None:
        blob = self.bucket.blob(key)
        extra = {"if_generation_match": 0} if if_absent else {}
        self._call("writing", key, blob.upload_from_string, data, content_type=content_type, **extra)

    def get(self, key: str) -> bytes:
        return self._call("reading", key, self.bucket.blob(key).download_as_bytes)

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        extra = {"start_offset": start_after} if start_after else {}
        names = self._call(
            "listing", prefix, lambda: [b.name for b in self.client.list_blobs(self.bucket_name, prefix=prefix, **extra)]
        )  # fmt: skip
        return (n for n in names if n > start_after)

    def versions(self, prefix: str) -> dict[str, tuple[int, int]] | None:
        """Per name: its generations, and one "delete marker" when none is live (deleted, history left)."""
        blobs = self._call(
            "listing versions of", prefix, lambda: list(self.client.list_blobs(self.bucket_name, prefix=prefix, versions=True))
        )  # fmt: skip
        found: dict[str, list[int]] = {}
        for b in blobs:
            counts = found.setdefault(b.name, [0, 1])
            counts[0] += 1
            if b.time_deleted is None:
                counts[1] = 0
        return {name: (v, d) for name, (v, d) in found.items()}
