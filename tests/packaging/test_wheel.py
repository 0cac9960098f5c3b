"""The runtime as a data scientist's CI installs it: the built wheel, in a clean virtualenv, with only the
core dependencies. It must render a report, create a project and start, and it must install nothing
but ``govhub`` at the top level (no ``infra``, ``hub``, ``spoke``, ``adapters`` or ``main``).

The wheel is built from this checkout and installed once per session; the core's dependencies come from
the package index as for any user (pip's cache makes later sessions fast).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import EXAMPLE_CONFIG, ROOT

# What a lean core may weigh once installed, with numpy, pandas, pyarrow, pydantic, PyYAML, Jinja2 and
# cookiecutter and cryptography (measured at about 0.35 GB; the cloud SDKs and the CDK bindings would add well over 1 GB).
MAX_CORE_MIB = 450
FORBIDDEN = ("cdktf", "jsii", "constructs", "boto3", "botocore", "sagemaker", "azure", "google", "mlflow", "pyspark")


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the files git knows (tracked, and new ones it does not ignore): setuptools
    builds in the source folder, and caches or build leftovers must not reach the wheel."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    assert listed.returncode == 0, listed.stderr
    for rel in filter(None, listed.stdout.split("\0")):
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)])
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = out.glob("govhub-*.whl")
    return found


@pytest.fixture(scope="session")
def core_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("core-venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = env_dir / "bin" / "pip"
    installed = _run([str(pip), "install", "--quiet", "--disable-pip-version-check", str(wheel)])
    if installed.returncode != 0 and "No matching distribution" in installed.stderr:
        pytest.skip(f"the core's dependencies cannot be installed here (no package index): {installed.stderr[-500:]}")
    assert installed.returncode == 0, installed.stderr[-3000:]
    return env_dir


def _site_packages(env_dir: Path) -> Path:
    (found,) = (env_dir / "lib").glob("python3.*/site-packages")
    return found


def test_the_wheel_holds_one_top_level_package_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert top == {"govhub", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, sorted(top)
    for data in (
        "govhub/policies/high.yaml",
        "govhub/schemas/decision.schema.json",
        "govhub/templates/reports/gate_report.html.j2",
        "govhub/templates/model_card/model_card.html.j2",
        "govhub/templates/audit/export.html.j2",
        "govhub/templates/audit/inventory.html.j2",
        "govhub/templates/pipelines/aws/sagemaker_pipeline.json.j2",
        "govhub/templates/ml-project/cookiecutter.json",
        "govhub/templates/ml-project/{{cookiecutter.project_slug}}/.github/workflows/governance.yml",
        "govhub/templates/ml-project/{{cookiecutter.project_slug}}/.gitlab-ci.yml",
        "govhub/templates/ml-project/{{cookiecutter.project_slug}}/.gitignore",
        "govhub/templates/ml-project/{{cookiecutter.project_slug}}/data/sample.csv",
    ):
        assert data in names, data
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_core_install_is_lean_and_reports_its_size(core_venv: Path) -> None:
    site = _site_packages(core_venv)
    installed = {p.name.lower() for p in site.iterdir()}
    assert not [n for n in installed if n.startswith(FORBIDDEN)], sorted(installed)
    owned = json.loads(
        _run(
            [
                str(core_venv / "bin" / "python"),
                "-c",
                "import json, importlib.metadata as m; d = m.distribution('govhub'); "
                "print(json.dumps(sorted({f.parts[0] for f in d.files if not f.parts[0].endswith(('.dist-info', '..'))})))",
            ],
            cwd=core_venv,  # not the checkout: its govhub.egg-info would answer instead
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        ).stdout
    )
    assert owned == ["govhub"], owned
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and "pip" not in f.relative_to(site).parts[0])
    print(f"\ncore install: top-level names {owned}; {size / 2**20:.0f} MiB in site-packages (pip excluded)")
    assert size / 2**20 < MAX_CORE_MIB


def test_installed_cli_starts_evaluates_with_a_report_and_creates_a_project(core_venv: Path, tmp_path: Path) -> None:
    govhub = str(core_venv / "bin" / "govhub")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    helped = _run([govhub, "--help"], cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "evaluate" in helped.stdout, helped.stderr

    rng = np.random.default_rng(3)
    n = 600
    y = rng.integers(0, 2, n)
    pd.DataFrame(
        {"label": y, "score": np.clip(0.5 * y + 0.4 * rng.random(n) + 0.05, 0, 1), "sex": rng.choice(["f", "m"], n)}
    ).to_csv(tmp_path / "preds.csv", index=False)
    evaluated = _run(
        [govhub, "evaluate", "--predictions", "preds.csv", "--label", "label", "--score", "score"]
        + ["--sensitive", "sex", "--tier", "minimal", "--out", "decision.json", "--report", "report.html"],
        cwd=tmp_path,
        env=env,
    )
    assert evaluated.returncode in (0, 1), evaluated.stderr
    assert "Traceback" not in evaluated.stderr
    assert "<html" in (tmp_path / "report.html").read_text() and json.loads((tmp_path / "decision.json").read_text())

    created = _run(
        [govhub, "project", "new", "--team", "fraud", "--use-case", "credit-scoring"]
        + ["--platform", str(EXAMPLE_CONFIG), "--output-dir", str(tmp_path / "projects")],
        cwd=tmp_path,
        env=env,
    )
    assert created.returncode == 0, created.stderr
    project = next((tmp_path / "projects").iterdir())
    assert (project / "governance.yaml").is_file() and (project / ".github" / "workflows" / "governance.yml").is_file()
    assert "govhub[aws]" in (project / "pyproject.toml").read_text()
