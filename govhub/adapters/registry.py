"""Adapters by name: the built-in ones, then third-party ones from the ``govhub.adapters`` entry points."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from govhub.adapters.base import Adapter, AdapterError

GROUP = "govhub.adapters"
BUILTIN = {
    "local": "govhub.adapters.local:LocalAdapter",
    "sagemaker-clarify": "govhub.adapters.sagemaker_clarify:ClarifyAdapter",
    "sagemaker-monitor": "govhub.adapters.sagemaker_monitor:ModelMonitorAdapter",
    "azure-rai": "govhub.adapters.azure_rai:AzureRaiAdapter",
    "azure-monitor": "govhub.adapters.azure_monitor:AzureMonitorAdapter",
    "vertex-eval": "govhub.adapters.vertex:VertexEvalAdapter",
    "vertex-monitor": "govhub.adapters.vertex:VertexMonitorAdapter",
}


def known() -> dict[str, str]:
    names = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def get(name: str) -> Adapter:
    names = known()
    target = names.get(name)
    if target is None:
        raise AdapterError(
            f"no adapter named {name!r}; known adapters: {', '.join(sorted(names))} (third-party "
            f"adapters register under the {GROUP!r} entry-point group)"
        )
    module, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise AdapterError(
            f"adapter {name!r} ({target}) cannot be loaded: {exc}; reinstall the package that provides it"
        ) from None
    adapter = cls()
    if not isinstance(adapter, Adapter):
        raise AdapterError(f"adapter {name!r} ({target}) does not implement govhub.adapters.base.Adapter")
    return adapter
