"""Shared benchmark plumbing: run a command and sample the peak RSS of its whole process tree."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_of(
    command: list[str], env: dict[str, str] | None, memory_limit_gib: float | None = None
) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command``; return its result, wall seconds and the peak RSS (MiB) of its process tree."""
    start = time.perf_counter()

    def cap() -> None:  # runs in the child: fail with MemoryError instead of waking the OOM killer
        if memory_limit_gib:
            limit = int(memory_limit_gib * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=cap
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = proc.communicate()
    done.set()
    thread.join()
    wall = time.perf_counter() - start
    return subprocess.CompletedProcess(command, proc.returncode, out, err), wall, peak / 2**20
