"""The one module that imports the CDK engine.

The app runs on CDKTF 0.21.0 (archived upstream, pinned) by default. CDK Terrain, the maintained
fork with the same API, is selected with ``CDK_ENGINE=cdktn``. Every other module takes the
engine's classes and provider bindings from here, so a move between engines is one line in this
file and never a search through the code base.

Importing this module is slow (the provider bindings load a large jsii assembly each), so the gate
CLI and the runtime modules never import it; only stacks and the app do.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

ENGINES = {
    # engine name -> (core module, {provider -> binding package})
    "cdktf": (
        "cdktf",
        {
            "aws": "cdktf_cdktf_provider_aws",
            "azurerm": "cdktf_cdktf_provider_azurerm",
            "google": "cdktf_cdktf_provider_google",
        },
    ),
    "cdktn": (
        "cdktn",
        {"aws": "cdktn_provider_aws", "azurerm": "cdktn_provider_azurerm", "google": "cdktn_provider_google"},
    ),
}
DEFAULT_ENGINE = "cdktf"
REPO_ROOT = Path(__file__).resolve().parent.parent


def runtime_environment(root: Path = REPO_ROOT) -> dict[str, str]:
    """Environment defaults for jsii: keep its unpack cache in the repo's ignored .cache folder
    (not the home directory) and silence the Node 20 end-of-life banner."""
    return {
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(root / ".cache" / "jsii"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "CHECKPOINT_DISABLE": "1",
    }


class EngineError(RuntimeError):
    pass


def selected_engine() -> str:
    name = os.environ.get("CDK_ENGINE", DEFAULT_ENGINE).strip() or DEFAULT_ENGINE
    if name not in ENGINES:
        raise EngineError(f"CDK_ENGINE={name!r} is not a known engine; use one of: {', '.join(ENGINES)}")
    return name


for _key, _value in runtime_environment().items():
    os.environ.setdefault(_key, _value)

ENGINE = selected_engine()
_core_name, _providers = ENGINES[ENGINE]
try:
    core: ModuleType = importlib.import_module(_core_name)
except ImportError as exc:  # pragma: no cover - depends on the environment
    hint = "run `make test` once to install it" if ENGINE == "cdktn" else "run `make demo` or `make test` to set up"
    raise EngineError(f"CDK engine {ENGINE!r} is not installed ({exc}); {hint}") from None


def provider(name: str) -> ModuleType:
    """The provider binding package for ``name`` (aws, azurerm, google) on the selected engine.

    Resources are submodules, e.g. ``provider("aws").s3_bucket.S3Bucket``.
    """
    try:
        return importlib.import_module(_providers[name])
    except KeyError:
        raise EngineError(f"unknown provider {name!r}; known: {', '.join(_providers)}") from None


# The engine's core API, re-exported so that nothing else imports the engine by name.
App = core.App
TerraformStack = core.TerraformStack
TerraformOutput = core.TerraformOutput
TerraformResource = core.TerraformResource
TerraformProvider = core.TerraformProvider
TerraformProviderGeneratorMetadata = core.TerraformProviderGeneratorMetadata
TerraformResourceLifecycle = core.TerraformResourceLifecycle
LocalBackend = core.LocalBackend
AzurermBackend = core.AzurermBackend
GcsBackend = core.GcsBackend
S3Backend = core.S3Backend
Aspects = core.Aspects
IAspect = core.IAspect
Annotations = core.Annotations
Token = core.Token
jsii = importlib.import_module("jsii")
Construct = importlib.import_module("constructs").Construct
