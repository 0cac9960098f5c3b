"""The hub service's deployment package stands on its own: a bare interpreter (no site-packages) runs
the handler from the unpacked zip, with only the standard library besides it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from govhub.config import load_config
from infra.aws import lambda_bundle
from tests.helpers import EXAMPLE_CONFIG, FIXTURES

SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from govhub.service.aws_lambda import handler, load_platform
import govhub.core.workflow, govhub.backends.aws.registry, govhub.backends.aws.store, boto3
from govhub.core import model_card
from govhub.rendering import environment
environment("model_card")
config = load_platform(sys.argv[1] + "/platform.yaml", sys.argv[2])
event = json.load(open(sys.argv[3]))
event["requestContext"]["authorizer"] = None
reply = handler(event)
outside = sorted({m.__file__ for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) and "site-packages" in m.__file__})
print(json.dumps({"status": reply["statusCode"], "teams": [t.name for t in config.teams], "outside": outside}))
"""


def test_the_bundle_runs_the_handler_with_nothing_but_the_standard_library(tmp_path: Path) -> None:
    bundle = lambda_bundle.build(load_config(EXAMPLE_CONFIG), cache=tmp_path / "cache")
    again = lambda_bundle.build(load_config(EXAMPLE_CONFIG), cache=tmp_path / "cache")
    assert again.sha256 == bundle.sha256, "the package is deterministic"
    root = tmp_path / "task"
    with zipfile.ZipFile(bundle.path) as z:
        z.extractall(root)
    event = FIXTURES / "provider-formats" / "aws_lambda" / "function_url_iam_event.json"
    done = subprocess.run(
        [sys.executable, "-S", "-c", SCRIPT, str(root), bundle.config_sha256, str(event)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == 401 and out["teams"] == ["fraud", "recsys", "claims", "credit", "vision"]
    assert out["outside"] == [], "imported from outside the bundle"
    assert bundle.size < 50 * 2**20, "Lambda takes zips up to 50 MiB"


def test_a_config_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    import pytest

    from govhub.service.aws_lambda import ConfigMismatch, load_platform

    text = lambda_bundle.config_text(load_config(EXAMPLE_CONFIG))
    (tmp_path / "platform.yaml").write_text(text.replace("erin@acme.example", "mallory@acme.example"))
    import hashlib

    with pytest.raises(ConfigMismatch, match="the deployment pins"):
        load_platform(tmp_path / "platform.yaml", hashlib.sha256(text.encode()).hexdigest())
