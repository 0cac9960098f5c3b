"""The emulator profile: real Terraform and the real AWS provider against a local moto_server.

Everything that points the estate at an emulator lives here and is applied only when a profile is
asked for (tests, the demo): provider endpoints, dummy credentials, skip flags, one retry instead of
minutes of them, the provider version that the machine's filesystem mirror holds, and a state folder.
The default synth output never contains any of it (a test checks).

This module imports no engine at load time; :func:`apply_profile` takes the engine from the stack.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIRROR_ENV = "GOVHUB_TF_MIRROR"
PROFILE_ENV = "GOVHUB_PROFILE"
ENDPOINT_ENV = "GOVHUB_EMULATOR_ENDPOINT"
STATE_DIR_ENV = "GOVHUB_STATE_DIR"
PROVIDER_VERSION_ENV = "GOVHUB_AWS_PROVIDER_VERSION"
DEFAULT_PROVIDER_VERSION = "5.100.0"
MIRROR_SEARCH = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"

# Every AWS service the estate calls; the provider needs an endpoint for each one.
SERVICES = (
    "budgets",
    "cloudtrail",
    "ec2",
    "ecr",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "organizations",
    "s3",
    "sagemaker",
    "sns",
    "sqs",
    "sts",
)

# Resource types that moto cannot create. They still go through `validate` and `plan`; `apply`
# targets everything else. Each reason was observed against moto_server with provider 5.100.0.
APPLY_EXCLUSIONS: Mapping[str, str] = {
    "aws_sagemaker_model_package_group_policy": "moto does not implement PutModelPackageGroupPolicy; the provider retries its HTTP 500 until killed",
    "aws_sagemaker_domain": "moto returns no domain id from CreateDomain, so the provider's wait for InService fails",
    "aws_budgets_budget": "moto's budgets API hangs on CreateBudget with an account_id, and rejects it without one",
    "aws_s3_bucket_notification": "moto accepts the EventBridge notification setting but reads it back as false, so every later plan "
    "would show drift that real S3 does not have",
}

# Resource types that apply but read back differently from real AWS, so a second plan in the
# emulator shows a change that real AWS would not. The idempotency check leaves them out.
READBACK_DRIFT: Mapping[str, str] = {
    "aws_sqs_queue": "moto returns RedrivePolicy re-serialized by json.dumps (with spaces); AWS returns the compact "
    "JSON that was sent, which the provider compares as text",
}


class EmulatorUnavailable(RuntimeError):
    """Something the emulator profile needs is missing; the message says exactly what."""


@dataclass(frozen=True)
class EmulatorProfile:
    endpoint: str
    state_dir: Path
    provider_version: str = DEFAULT_PROVIDER_VERSION
    services: tuple[str, ...] = SERVICES

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> EmulatorProfile | None:
        if env.get(PROFILE_ENV, "") != "emulator":
            return None
        endpoint = env.get(ENDPOINT_ENV)
        if not endpoint:
            raise EmulatorUnavailable(f"{PROFILE_ENV}=emulator needs {ENDPOINT_ENV}, e.g. http://127.0.0.1:5000")
        return cls(
            endpoint=endpoint,
            state_dir=Path(env.get(STATE_DIR_ENV, "emulator-state")).resolve(),
            provider_version=env.get(PROVIDER_VERSION_ENV, DEFAULT_PROVIDER_VERSION),
        )

    def provider_overrides(self) -> dict[str, Any]:
        return {
            "access_key": "test",
            "secret_key": "test",
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": "true",
            "s3_use_path_style": True,
            "max_retries": 3,
            "endpoints": [{service: self.endpoint for service in self.services}],
        }

    def state_path(self, stack_id: str) -> str:
        return str(self.state_dir / f"terraform.{stack_id}.tfstate")


def apply_profile(stack: Any, profile: EmulatorProfile) -> None:
    """Point one stack at the emulator: provider overrides, version pin, and a local state path.

    Call it right after the stack is constructed (before cross-stack references are resolved), so
    that spokes read the hub's state from the profile's state folder.
    """
    from infra import engine

    engine.LocalBackend(stack, path=profile.state_path(stack.node.id))
    aws_provider = engine.provider("aws").provider.AwsProvider
    on_aws = False
    for construct in stack.node.find_all():
        if isinstance(construct, aws_provider):
            on_aws = True
            for key, value in profile.provider_overrides().items():
                construct.add_override(key, value)
            construct.add_override("allowed_account_ids", None)
    if on_aws:  # the Azure and GCP stacks are left as they are: nothing of theirs runs on the emulator
        stack.add_override("terraform.required_providers.aws.version", profile.provider_version)


# ----------------------------------------------------------------------------- Terraform


def find_terraform() -> str:
    path = shutil.which("terraform")
    if not path:
        raise EmulatorUnavailable(
            "the terraform binary is not on PATH; install Terraform 1.5 or newer "
            "(https://developer.hashicorp.com/terraform/install)"
        )
    return path


def find_mirror(version: str = DEFAULT_PROVIDER_VERSION, env: Mapping[str, str] = os.environ) -> Path:
    """The filesystem mirror that holds hashicorp/aws ``version`` for this platform.

    ``GOVHUB_TF_MIRROR`` names it; otherwise the usual plugin folders are searched.
    """
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    target = f"{PROVIDER_ADDRESS}/{version}/{platform.system().lower()}_{arch}"
    candidates = [env[MIRROR_ENV]] if env.get(MIRROR_ENV) else list(MIRROR_SEARCH)
    for candidate in candidates:
        root = Path(candidate).expanduser()
        if (root / target).is_dir():
            return root
    where = f"{MIRROR_ENV}={env[MIRROR_ENV]}" if env.get(MIRROR_ENV) else ", ".join(MIRROR_SEARCH)
    raise EmulatorUnavailable(
        f"no filesystem mirror of the AWS provider: {target} was not found under {where}; "
        f"set {MIRROR_ENV} to the folder that contains registry.terraform.io/"
    )


def write_cli_config(path: Path, mirror: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{PROVIDER_ADDRESS}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER_ADDRESS}"]\n  }}\n'
        "}\n"
    )
    return path


@dataclass
class Terraform:
    """Runs terraform in one stack folder with the profile's CLI config, always under a timeout."""

    workdir: Path
    cli_config: Path
    binary: str = field(default_factory=find_terraform)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "TF_CLI_CONFIG_FILE": str(self.cli_config),
                "TF_IN_AUTOMATION": "1",
                "CHECKPOINT_DISABLE": "1",
                "TF_PLUGIN_CACHE_DIR": "",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        env.pop("TF_PLUGIN_CACHE_DIR")
        return env

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        command = [self.binary, *args]
        try:
            result = subprocess.run(
                command, cwd=self.workdir, env=self.env(), capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise TerraformError(
                f"`terraform {' '.join(args[:1])}` in {self.workdir} timed out after {timeout:.0f} s "
                "(an emulator gap makes the provider retry; see APPLY_EXCLUSIONS)",
                str(exc.stdout or ""),
                str(exc.stderr or ""),
            ) from None
        if result.returncode != 0:
            raise TerraformError(
                f"`terraform {' '.join(args[:1])}` failed in {self.workdir}", result.stdout, result.stderr
            )
        return result

    def init(self) -> None:
        self.run("init", "-input=false", "-no-color", timeout=120)

    def validate(self) -> None:
        self.run("validate", "-no-color", timeout=120)

    def plan(self, *extra: str) -> subprocess.CompletedProcess:
        return self.run("plan", "-input=false", "-no-color", "-lock=false", *extra, timeout=300)

    def apply(self, targets: Iterable[str] = (), timeout: float = 600) -> subprocess.CompletedProcess:
        flags = [f"-target={t}" for t in targets]
        args = ("apply", "-input=false", "-no-color", "-auto-approve", "-lock=false", *flags)
        try:
            return self.run(*args, timeout=timeout)
        except TerraformError as exc:
            # An emulator race, seen once in many runs while two accounts' applies ran at once: moto still
            # held the security group's default egress rule when the provider authorized its own. A second
            # apply reads the group back and converges; any other failure is raised as it is.
            if EMULATOR_RACE not in f"{exc.stderr}{exc.stdout}":
                raise
            return self.run(*args, timeout=timeout)


EMULATOR_RACE = "InvalidPermission.Duplicate"


class TerraformError(RuntimeError):
    def __init__(self, message: str, stdout: str, stderr: str):
        tail = "\n".join((stderr or stdout or "").strip().splitlines()[-25:])
        super().__init__(f"{message}:\n{tail}")
        self.stdout, self.stderr = stdout, stderr


def applicable_addresses(doc: Mapping[str, Any], exclusions: Mapping[str, str] = APPLY_EXCLUSIONS) -> list[str]:
    """Every resource address in a stack document that the emulator can create."""
    return sorted(
        f"{rtype}.{name}"
        for rtype, items in (doc.get("resource") or {}).items()
        if rtype not in exclusions
        for name in items
    )


# ----------------------------------------------------------------------------- moto_server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """A moto_server on 127.0.0.1 and a free port; a context manager that always stops it."""

    def __init__(self, port: int | None = None, binary: str | None = None, log: Path | None = None):
        self.port = port or free_port()
        # the venv's pinned moto (never a system one), through tools.moto_launcher's policy fix
        self.command = [binary] if binary else [sys.executable, "-m", "tools.moto_launcher"]
        self.binary = binary or sys.executable
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> MotoServer:
        if self.process is not None and self.process.poll() is None:
            return self  # already running: a second start must not leak a second server
        try:
            import moto.server  # noqa: F401
        except ImportError:
            raise EmulatorUnavailable(
                "moto[server] is not installed in this Python; run `make test` or `pip install 'moto[server]'`"
            ) from None
        out = open(self.log, "w") if self.log else subprocess.DEVNULL  # noqa: SIM115
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        self.process = subprocess.Popen(
            [*self.command, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmulatorUnavailable(f"moto_server exited with code {self.process.returncode} on port {self.port}")
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise EmulatorUnavailable(f"moto_server did not answer on {self.endpoint} within {timeout:.0f} s")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
