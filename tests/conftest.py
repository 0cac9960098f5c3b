"""Shared fixtures. The example estate is synthesized once per session: loading a provider binding
costs several seconds, so every infrastructure test reads the same synthesized JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import PlatformConfig, load_config
from tests.helpers import EXAMPLE_CONFIG


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


@pytest.fixture(scope="session")
def estate(estate_dir: Path) -> dict[str, dict]:
    from infra.summary import load_stacks

    return load_stacks(estate_dir)


@pytest.fixture(scope="session")
def hub(estate: dict[str, dict]) -> dict:
    return estate["hub-aws"]
