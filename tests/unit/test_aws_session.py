"""One botocore session per process: every table's pynamodb connection and every boto3 client share it, so
botocore's DynamoDB model is parsed once, not once per table a request touches and once more for boto3
(``lily.core.aws``; ``tests/bench/aws_clients.py`` measures the difference)."""

from __future__ import annotations

import botocore.loaders
import pytest

from lily.core import aws
from lily.core.config import reset_settings
from lily.identity.models import User
from lily.publishing.models import Post, Target


@pytest.fixture
def dynamodb_model_reads(monkeypatch):
    reads = []
    original = botocore.loaders.JSONFileLoader.load_file

    def load_file(self, file_path):
        if "/dynamodb/" in file_path:
            reads.append(file_path)
        return original(self, file_path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", load_file)
    reset_settings()
    yield reads
    reset_settings()


def test_every_table_and_boto3_share_one_session_and_one_dynamodb_client(dynamodb_model_reads):
    connections = {id(m._get_connection().connection) for m in (Post, Target, User)}
    assert len(connections) == 1
    connection = Post._get_connection().connection
    assert connection.session is aws.botocore_session()
    clients = {id(m._get_connection().connection.client) for m in (Post, Target, User)}
    assert len(clients) == 1
    aws.client("dynamodb")
    assert len([p for p in dynamodb_model_reads if p.endswith(("service-2.json", "service-2.json.gz"))]) <= 1


def test_a_settings_reset_gives_every_table_the_new_session(monkeypatch):
    before = Post._get_connection().connection
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    reset_settings()
    try:
        after = Post._get_connection().connection
        assert after is not before and after.host == "http://127.0.0.1:9"
        assert after is Target._get_connection().connection and after.session is aws.botocore_session()
    finally:
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        reset_settings()
