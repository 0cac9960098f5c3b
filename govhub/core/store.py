"""The object-store port behind the hub's records, and its folder implementation.

The audit log, the policy-pack store and the evidence store only need four operations: put (with an
optional "only if absent" precondition, which is what makes concurrent appends safe), get, list and
head. S3 gives the precondition with ``If-None-Match: *`` (:mod:`govhub.backends.aws.store`); a folder
gives it with ``link(2)``. Both raise :class:`Conflict` when the key already exists, and :class:`Missing` for an absent key.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path


class StoreError(RuntimeError):
    """A store could not be used (permissions, missing bucket); the message says what to do."""


class Conflict(StoreError):
    """The key already exists and the write asked for a fresh key."""


class Missing(StoreError):
    """No object under that key."""


class ObjectStore(ABC):
    uri: str

    @abstractmethod
    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_absent: bool = False,
        retain_until: datetime | None = None,
        content_type: str = "application/json",
    ) -> None: ...

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

    def versions(self, prefix: str) -> dict[str, tuple[int, int]] | None:
        """Per key under ``prefix``: (object versions, delete markers); None when the store keeps no
        versions (a folder). A create-only key has exactly one version and no delete marker."""
        return None

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

    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_absent: bool = False,
        retain_until: datetime | None = None,
        content_type: str = "application/json",
    ) -> None:
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
        found = sorted(
            p.relative_to(self.root).as_posix() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
        return (k for k in found if k.startswith(prefix) and k > start_after)
