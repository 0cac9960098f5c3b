"""Real servers the tests start once per session on 127.0.0.1 and always stop: ``mlflow server``."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing(what: str) -> None:
    """A tool a test needs is absent: a skip that names it, a failure where everything must run (CI)."""
    if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
        pytest.fail(what)
    pytest.skip(what)


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server at {url} did not answer in {seconds:.0f} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def mlflow_server(root: Path) -> Iterator[str]:
    """``mlflow server`` (the pinned mlflow) with a sqlite backend store and a local artifact root."""
    exe = Path(sys.executable).with_name("mlflow")
    if not exe.exists() and not shutil.which("mlflow"):
        missing("mlflow server is missing: `make bootstrap` installs mlflow (the test extra)")
    root.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), root / "server.log"
    cmd = [str(exe if exe.exists() else "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "1", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}"]
    cmd += ["--default-artifact-root", (root / "artifacts").as_uri()]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(f"{url}/health", proc, log)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
