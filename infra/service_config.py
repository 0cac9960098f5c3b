"""The platform config as the hub service loads it, on every cloud: the validated model dumped back
to YAML. Its sha256 is pinned in the service's settings (Lambda environment, Function App settings),
and the service refuses to run on any other file."""

from __future__ import annotations

import yaml


def config_text(config: object, stack: str = "hub-aws") -> str:
    data = config.model_dump(mode="json")  # type: ignore[attr-defined]
    return (
        f"# Built by {stack} from the validated platform.yaml; the hub service enforces exactly this.\n"
        + yaml.safe_dump(data, sort_keys=True)
    )
