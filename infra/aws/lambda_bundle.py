"""The hub service's Lambda deployment package, built from the govhub runtime at synth time.

The zip holds exactly what the function runs:

- the ``govhub`` package's sources and data (packs, schemas, the card and export templates; not the
  project or pipeline templates, which the service never reads);
- the platform config the stack was built from, as ``platform.yaml`` (its sha256 is pinned in the
  function's environment, and the handler refuses to run on any other file);
- the runtime's dependencies, copied from the build environment by distribution name, with boto3 and
  botocore among them, so that the service never depends on the SDK version a Lambda runtime happens
  to carry (S3 conditional writes need a recent botocore).

Compiled dependencies (pydantic-core, PyYAML, MarkupSafe, cryptography) must match the Lambda runtime: the build must
run on Linux x86_64 with the runtime's Python minor version (CI and these machines do); otherwise the
build refuses with what to do. The zip is deterministic (sorted entries, fixed timestamps), so the same
sources give the same ``source_code_hash`` and Terraform sees no change; it is cached by content.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import io
import platform
import sys
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.service_config import config_text

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ARCHITECTURE = "x86_64"
DISTRIBUTIONS = (
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "PyYAML",
    "Jinja2",
    "MarkupSafe",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
    "cryptography",  # verifies the hub key's signatures (checkpoints are signed by KMS)
    "cffi",
    "pycparser",
)
SERVICE_TEMPLATES = ("__init__.py", "audit", "model_card", "reports")
EPOCH = (1980, 1, 1, 0, 0, 0)
ROOT = Path(__file__).resolve().parents[2]


class BundleError(RuntimeError):
    pass


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str  # hex, of the zip
    config_sha256: str  # hex, of platform.yaml inside it
    size: int

    @property
    def source_code_hash(self) -> str:
        """What Terraform's ``source_code_hash`` expects: the base64 of the zip's sha256."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


def _govhub_files() -> Iterable[tuple[str, Path]]:
    package = ROOT / "govhub"
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield f"govhub/{path.relative_to(package).as_posix()}", path
    templates = ROOT / "templates"
    for part in SERVICE_TEMPLATES:
        base = templates / part
        found = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in found:
            if "__pycache__" not in path.parts:
                yield f"govhub/templates/{path.relative_to(templates).as_posix()}", path


def _dependency_files() -> Iterable[tuple[str, Path]]:
    for name in DISTRIBUTIONS:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            raise BundleError(
                f"{name} is not installed in this environment, so the hub service cannot be bundled; run `make bootstrap`"
            ) from None
        for file in sorted(dist.files or (), key=str):
            text = str(file)
            if text.startswith("..") or "__pycache__" in text or text.endswith(".pyc"):
                continue
            yield text, Path(str(dist.locate_file(file)))


def check_platform() -> None:
    machine = platform.machine().lower()
    if sys.platform != "linux" or machine not in ("x86_64", "amd64"):
        raise BundleError(
            f"the hub service bundle carries compiled dependencies for Lambda ({RUNTIME}, {ARCHITECTURE}); this "
            f"machine is {sys.platform} {machine}. Synthesize hub-aws on Linux x86_64 (the platform's CI does)"
        )


def build(config: object, cache: Path = ROOT / ".cache" / "service-bundle") -> Bundle:
    """Build (or reuse) the deployment package for ``config``."""
    check_platform()
    entries: dict[str, bytes] = {}
    for arcname, path in (*_govhub_files(), *_dependency_files()):
        entries.setdefault(arcname, path.read_bytes())
    settings = config_text(config).encode()
    entries["platform.yaml"] = settings
    # Compressing ~2,700 files takes seconds; the same inputs give the same zip, so the zip is found
    # again by a digest of its inputs (names and contents) and only built when they change.
    inputs = hashlib.sha256()
    for name in sorted(entries):
        inputs.update(name.encode() + b"\0" + hashlib.sha256(entries[name]).digest())
    cache.mkdir(parents=True, exist_ok=True)
    index = cache / f"inputs-{inputs.hexdigest()[:32]}.txt"
    if index.is_file():
        digest = index.read_text().strip()
        target = cache / f"hub-service-{digest[:16]}.zip"
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            return Bundle(target, digest, hashlib.sha256(settings).hexdigest(), target.stat().st_size)
    data = _zip(entries)
    digest = hashlib.sha256(data).hexdigest()
    target = cache / f"hub-service-{digest[:16]}.zip"
    if not target.is_file():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    index.write_text(digest + "\n")
    return Bundle(target, digest, hashlib.sha256(settings).hexdigest(), len(data))


def _zip(entries: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return buffer.getvalue()
