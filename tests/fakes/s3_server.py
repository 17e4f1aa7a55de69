"""A real S3-compatible HTTP server (moto's server mode) on 127.0.0.1 for integration tests.

Going over HTTP, rather than patching botocore in-process, exercises aiobotocore's transport,
signing, timeouts and error mapping the way MinIO or AWS would.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
from moto.server import ThreadedMotoServer

DUMMY_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-access-key-do-not-leak",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    """A port that nothing listens on right now (used for the 'endpoint down' case too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def dummy_aws_env() -> Iterator[None]:
    """Set dummy AWS credentials for the block, so no real account can ever be used."""
    saved = {name: os.environ.get(name) for name in DUMMY_CREDENTIALS}
    os.environ.update(DUMMY_CREDENTIALS)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's threaded server on an ephemeral 127.0.0.1 port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def create_bucket(endpoint_url: str, bucket: str | None = None) -> str:
    """Create a (fresh, uniquely named by default) bucket and return its name."""
    name = bucket or f"aivenger-test-{uuid.uuid4().hex[:12]}"
    # botocore's stubs type this as BaseClient, which has no per-operation methods.
    client: Any = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DUMMY_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        client.create_bucket(Bucket=name)
    finally:
        client.close()
    return name


@contextmanager
def moto_s3(bucket: str | None = None) -> Iterator[tuple[str, str]]:
    """Dummy credentials + a running server + one bucket; yields ``(endpoint_url, bucket)``.

    Meant for a session-scoped fixture; tests that need isolation call `create_bucket` again.
    """
    with dummy_aws_env(), moto_server() as endpoint_url:
        yield endpoint_url, create_bucket(endpoint_url, bucket)
