"""Reusable AWS building blocks that are secure by default.

Each construct bundles what a reviewer expects to travel together (a bucket is never without its
encryption, versioning, public access block and TLS-only policy), so that the stacks read as a
list of intentions and the guardrail aspect has nothing to catch in our own code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra import engine
from infra.aws import policy as iam

aws = engine.provider("aws")


def assume_role_provider(
    scope: Any,
    id_: str,
    *,
    region: str,
    account_id: str,
    role_name: str,
    alias: str | None = None,
    session_name: str = "govhub-deploy",
) -> Any:
    """An AWS provider that assumes ``role_name`` in ``account_id``; one deploy reaches every account."""
    return aws.provider.AwsProvider(
        scope,
        id_,
        region=region,
        alias=alias,
        assume_role=[{"roleArn": f"arn:aws:iam::{account_id}:role/{role_name}", "sessionName": session_name}],
        allowed_account_ids=None if engine.Token.is_unresolved(account_id) else [account_id],
    )


class KmsKey(engine.Construct):
    """A customer-managed KMS key with an alias: symmetric with yearly rotation, or (``key_spec``) an
    asymmetric signing key, which KMS cannot rotate (a new key and alias replace it, and the old public
    key stays published for the signatures it made)."""

    def __init__(
        self,
        scope: Any,
        id_: str,
        *,
        alias: str,
        description: str,
        policy: str,
        tags: Mapping[str, str],
        provider: Any = None,
        key_spec: str | None = None,
    ):
        super().__init__(scope, id_)
        self.key = aws.kms_key.KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=None if key_spec else True,
            customer_master_key_spec=key_spec,
            key_usage="SIGN_VERIFY" if key_spec else None,
            deletion_window_in_days=30,
            policy=policy,
            tags=dict(tags),
            provider=provider,
        )
        aws.kms_alias.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id, provider=provider)
        self.arn: str = self.key.arn


class SecureBucket(engine.Construct):
    """An S3 bucket with SSE-KMS, versioning, a public access block and a TLS-only policy.

    ``object_lock_days`` turns on S3 Object Lock in COMPLIANCE mode with that default retention:
    nobody, the root user included, can delete or overwrite a locked version before it expires.
    """

    def __init__(
        self,
        scope: Any,
        id_: str,
        *,
        bucket_name: str,
        kms_key_arn: str,
        tags: Mapping[str, str],
        policy_statements: Iterable[Mapping[str, Any]] = (),
        object_lock_days: int | None = None,
        noncurrent_days: int = 365,
        provider: Any = None,
    ):
        super().__init__(scope, id_)
        self.bucket = aws.s3_bucket.S3Bucket(
            self,
            "bucket",
            bucket=bucket_name,
            tags=dict(tags),
            provider=provider,
            object_lock_enabled=True if object_lock_days else None,
        )
        self.name: str = self.bucket.bucket
        self.arn: str = self.bucket.arn
        bucket_id = self.bucket.id  # one engine round trip, not one per resource below
        aws.s3_bucket_versioning.S3BucketVersioningA(
            self, "versioning", bucket=bucket_id, provider=provider, versioning_configuration={"status": "Enabled"}
        )
        aws.s3_bucket_server_side_encryption_configuration.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            provider=provider,
            rule=[
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": kms_key_arn},
                    "bucketKeyEnabled": True,
                }
            ],
        )
        self.public_access_block = aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            provider=provider,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            provider=provider,
            rule={"object_ownership": "BucketOwnerEnforced"},
        )
        if object_lock_days:
            aws.s3_bucket_object_lock_configuration.S3BucketObjectLockConfigurationA(
                self,
                "object-lock",
                bucket=bucket_id,
                provider=provider,
                rule={"default_retention": {"mode": "COMPLIANCE", "days": object_lock_days}},
            )
        # Old versions expire after `noncurrent_days` (never before an object lock's retention ends);
        # abandoned multipart uploads are cleaned up after a week.
        keep_days = max(noncurrent_days, (object_lock_days or 0) + 1)
        aws.s3_bucket_lifecycle_configuration.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            provider=provider,
            rule=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": [{"prefix": ""}],
                    "noncurrentVersionExpiration": [{"noncurrentDays": keep_days}],
                    "abortIncompleteMultipartUpload": [{"daysAfterInitiation": 7}],
                }
            ],
        )
        # Object-level events go to EventBridge, where governance rules can react to them.
        aws.s3_bucket_notification.S3BucketNotification(
            self, "notifications", bucket=bucket_id, eventbridge=True, provider=provider
        )
        statements = [iam.deny_insecure_transport(self.arn, f"{self.arn}/*"), *policy_statements]
        self.policy = aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=iam.document(*statements),
            provider=provider,
            depends_on=[self.public_access_block],
        )


class ServiceRole(engine.Construct):
    """An IAM role with a trust policy, one inline least-privilege policy and an optional boundary."""

    def __init__(
        self,
        scope: Any,
        id_: str,
        *,
        name: str,
        trust: str,
        statements: Iterable[Mapping[str, Any]],
        tags: Mapping[str, str],
        description: str,
        permissions_boundary: str | None = None,
        managed_policy_arns: Iterable[str] = (),
        provider: Any = None,
        path: str = "/govhub/",
    ):
        super().__init__(scope, id_)
        self.role = aws.iam_role.IamRole(
            self,
            "role",
            name=name,
            path=path,
            assume_role_policy=trust,
            description=description,
            permissions_boundary=permissions_boundary,
            max_session_duration=3600,
            tags=dict(tags),
            provider=provider,
        )
        self.arn: str = self.role.arn
        self.name: str = self.role.name
        statements = list(statements)
        if statements:
            aws.iam_role_policy.IamRolePolicy(
                self,
                "policy",
                name=f"{name}-permissions",
                role=self.role.id,
                policy=iam.document(*statements),
                provider=provider,
            )
        for i, arn in enumerate(managed_policy_arns):
            aws.iam_role_policy_attachment.IamRolePolicyAttachment(
                self, f"managed-{i}", role=self.role.name, policy_arn=arn, provider=provider
            )
