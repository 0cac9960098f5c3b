"""The hub's object store on Azure: a blob container, with create-only writes through ``If-None-Match: *``.

The audit container carries a locked time-based immutability policy with protected append writes (the
hub stack sets it), so a blob, once written, cannot be overwritten or deleted until the retention ends:
the container enforces what ``retain_until`` asks for, and the store does not set a per-blob policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from govhub.core.store import Conflict, Missing, ObjectStore, StoreError


class AzureBlobStore(ObjectStore):
    """A container through an ``azure.storage.blob.ContainerClient``."""

    def __init__(self, container: Any):
        self.container = container
        self.uri = container.url.rstrip("/")

    def _call(self, what: str, key: str, fn, *args, **kwargs):
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        try:
            return fn(*args, **kwargs)
        except (ResourceExistsError, ResourceModifiedError):
            raise Conflict(f"{self.uri_of(key)} already exists") from None
        except ResourceNotFoundError as exc:
            if getattr(exc, "error_code", None) == "ContainerNotFound":
                raise StoreError(
                    f"container {self.uri} does not exist; deploy the hub stack first (npx cdktf deploy "
                    "hub-azure) or check the platform config's hub subscription"
                ) from None
            raise Missing(f"{self.uri_of(key)} does not exist") from None
        except ClientAuthenticationError as exc:
            raise StoreError(
                f"{what} {self.uri_of(key)} was denied ({getattr(exc, 'error_code', None) or exc.status_code}); sign in as the "
                "identity that may do this (az login, or the hub service's managed identity)"
            ) from None
        except HttpResponseError as exc:
            if exc.status_code == 412:
                raise Conflict(f"{self.uri_of(key)} already exists") from None
            if exc.status_code == 403:
                raise StoreError(
                    f"{what} {self.uri_of(key)} was denied ({getattr(exc, 'error_code', None)}); only the hub service may "
                    "write the hub's containers, and readers need the Storage Blob Data Reader role"
                ) from None
            raise StoreError(
                f"{what} {self.uri_of(key)} failed: {getattr(exc, 'error_code', None) or exc.status_code}"
            ) from None

    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_absent: bool = False,
        retain_until: datetime | None = None,
        content_type: str = "application/json",
    ) -> None:
        from azure.storage.blob import ContentSettings

        # overwrite=False sends If-None-Match: * (the service answers 409 BlobAlreadyExists).
        self._call(
            "writing", key, self.container.upload_blob, key, data, overwrite=not if_absent,
            content_settings=ContentSettings(content_type=content_type),
        )  # fmt: skip

    def get(self, key: str) -> bytes:
        return self._call("reading", key, lambda: self.container.download_blob(key).readall())

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        # The Blob service lists names in lexicographic order, page by page (the SDK follows the markers).
        names = self._call("listing", prefix, lambda: list(self.container.list_blob_names(name_starts_with=prefix)))
        return (n for n in names if n > start_after)

    def versions(self, prefix: str) -> dict[str, tuple[int, int]] | None:
        """With blob versioning on: per name, its versions, and one "delete marker" when no version is
        current (the blob was deleted and only its history is left). None when the account keeps no
        versions (every listed blob has no version id)."""
        blobs = self._call(
            "listing versions of", prefix, lambda: list(self.container.list_blobs(name_starts_with=prefix, include=["versions"]))
        )  # fmt: skip
        if not any(b.version_id for b in blobs):
            return None
        found: dict[str, list[int]] = {}
        for b in blobs:
            counts = found.setdefault(b.name, [0, 1])
            counts[0] += 1
            if b.is_current_version or not b.version_id:
                counts[1] = 0
        return {name: (v, d) for name, (v, d) in found.items()}
