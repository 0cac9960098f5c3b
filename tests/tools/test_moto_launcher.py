"""The emulator's one correction (infra/moto_launcher.py): a TLS-only Deny does not apply, because AWS
is reached over TLS; every other Deny still denies."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tools.emulator import MotoServer
from tools.moto_launcher import insecure_only

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::launcher-test", "arn:aws:s3:::launcher-test/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_only_the_tls_condition_is_recognised() -> None:
    assert insecure_only(TLS_ONLY)
    assert not insecure_only({**TLS_ONLY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    assert not insecure_only({**TLS_ONLY, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}})
    assert not insecure_only({k: v for k, v in TLS_ONLY.items() if k != "Condition"})


def test_tls_only_buckets_work_and_other_denies_still_deny(tmp_path) -> None:
    with MotoServer(log=tmp_path / "moto.log") as moto:
        s3 = boto3.client(
            "s3", endpoint_url=moto.endpoint, region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        s3.create_bucket(Bucket="launcher-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_policy(
            Bucket="launcher-test", Policy=json.dumps({"Version": "2012-10-17", "Statement": [TLS_ONLY]})
        )
        s3.put_object(Bucket="launcher-test", Key="a", Body=b"x")
        assert s3.get_object(Bucket="launcher-test", Key="a")["Body"].read() == b"x"
        deny = {
            "Sid": "DenyWrites",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::launcher-test/*",
        }
        s3.put_bucket_policy(
            Bucket="launcher-test", Policy=json.dumps({"Version": "2012-10-17", "Statement": [TLS_ONLY, deny]})
        )
        with pytest.raises(ClientError, match="403|Forbidden"):
            s3.put_object(Bucket="launcher-test", Key="b", Body=b"x")


def test_rules_with_sns_targets_deliver_instead_of_failing_put_events(tmp_path) -> None:
    with MotoServer(log=tmp_path / "moto.log") as moto:
        kwargs = dict(
            endpoint_url=moto.endpoint, region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        events, sns, sqs = (boto3.client(s, **kwargs) for s in ("events", "sns", "sqs"))
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="alert-copies")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        events.create_event_bus(Name="bus")
        events.put_rule(Name="all", EventBusName="bus", EventPattern=json.dumps({"source": ["govhub"]}))
        events.put_targets(Rule="all", EventBusName="bus", Targets=[{"Id": "alerts", "Arn": topic}])
        result = events.put_events(
            Entries=[{"Source": "govhub", "DetailType": "t", "Detail": '{"a": 1}', "EventBusName": "bus"}]
        )
        assert result["FailedEntryCount"] == 0
        (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        assert json.loads(json.loads(message["Body"])["Message"])["detail"] == {"a": 1}


def test_bucket_policy_conditions_on_the_caller_and_if_none_match_are_evaluated(tmp_path) -> None:
    """Correction 3: a Deny for everyone but one role denies the others and lets that role through, and
    a create-only Deny (Null s3:if-none-match) applies exactly to writes without If-None-Match."""
    from govhub.backends.aws.hub import assumed_session

    with MotoServer(log=tmp_path / "moto.log") as moto:
        base = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t")
        admin = assumed_session(
            base,
            "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
            "setup",
            "eu-west-1",
            endpoint_url=moto.endpoint,
        )
        s3, iam = (admin.client(svc, endpoint_url=moto.endpoint) for svc in ("s3", "iam"))
        s3.create_bucket(Bucket="launcher-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
            }
        )
        for name in ("writer", "other"):
            iam.create_role(RoleName=name, Path="/govhub/", AssumeRolePolicyDocument=trust)
        only_writer = {
            "Sid": "OnlyWriter",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:PutObject"],
            "Resource": ["arn:aws:s3:::launcher-test/log/*"],
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/govhub/writer"}},
        }
        create_only = {
            "Sid": "CreateOnly",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::launcher-test/log/entries/*",
            "Condition": {"Null": {"s3:if-none-match": "true"}},
        }
        s3.put_bucket_policy(
            Bucket="launcher-test",
            Policy=json.dumps({"Version": "2012-10-17", "Statement": [TLS_ONLY, only_writer, create_only]}),
        )
        writer, other = (
            assumed_session(
                admin, f"arn:aws:iam::222222222222:role/govhub/{n}", n, "eu-west-1", endpoint_url=moto.endpoint
            ).client("s3", endpoint_url=moto.endpoint)
            for n in ("writer", "other")
        )
        writer.put_object(Bucket="launcher-test", Key="log/head.json", Body=b"x")
        writer.put_object(Bucket="launcher-test", Key="log/entries/1.json", Body=b"x", IfNoneMatch="*")
        with pytest.raises(ClientError, match="403|Forbidden"):
            writer.put_object(Bucket="launcher-test", Key="log/entries/2.json", Body=b"x")  # not create-only
        with pytest.raises(ClientError, match="403|Forbidden"):
            other.put_object(Bucket="launcher-test", Key="log/head.json", Body=b"x")
        other.put_object(Bucket="launcher-test", Key="elsewhere.json", Body=b"x")


def test_starting_twice_runs_one_server_and_stop_leaves_none(tmp_path) -> None:
    server = MotoServer(log=tmp_path / "moto.log")
    with server.start() as again:  # start(), then the context manager's own start
        first = server.process
        assert again is server and first is not None and first.poll() is None
    assert first.poll() is not None  # stopped: nothing left running on the port
