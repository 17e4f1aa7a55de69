"""Blobs in S3 or any S3-compatible store (MinIO, R2, ...): shared storage for several machines.

One client lives as long as the store (its connection pool is reused); objects are private and
library errors become `StorageError` whose message names the operation and error code only, so
neither credentials nor signed URLs can leak into logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn, Self

import aioboto3
import aiohttp
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from core.blobs import validate_key
from core.errors import BlobNotFound, InvalidBlobKey, StorageError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_TRANSPORT_ERRORS = (BotoCoreError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def default_config() -> AioConfig:
    """Fail fast when the endpoint is down; one retry smooths over a blip."""
    return AioConfig(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
    )


class S3BlobStore:
    """`BlobStore` over one bucket; every key is stored under `prefix` (e.g. ``"prod/"``)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        session: aioboto3.Session | None = None,
        config: AioConfig | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._endpoint_url = endpoint_url or None
        self._session = session or aioboto3.Session()
        self._config = config or default_config()
        self._stack = AsyncExitStack()
        self._client: S3Client | None = None

    async def open(self) -> Self:
        """Create the client; no request is made, so a down endpoint shows up on first use."""
        if self._client is None:
            try:
                client_cm = self._session.client(
                    "s3", endpoint_url=self._endpoint_url, config=self._config
                )
                self._client = await self._stack.enter_async_context(client_cm)
            except (*_TRANSPORT_ERRORS, ValueError) as exc:
                raise StorageError(f"cannot create S3 client: {type(exc).__name__}") from exc
        return self

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await self._stack.aclose()

    @property
    def client(self) -> S3Client:
        if self._client is None:
            raise StorageError("S3 blob store is not open (call open() first)")
        return self._client

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        name = self._object_key(key)
        try:
            # No ACL argument: objects stay private (bucket default), never public-read.
            await self.client.put_object(
                Bucket=self.bucket, Key=name, Body=bytes(data), ContentType=content_type
            )
        except (ClientError, *_TRANSPORT_ERRORS) as exc:
            _raise_storage_error("put", key, exc)

    async def get(self, key: str) -> bytes:
        name = self._object_key(key)
        try:
            response = await self.client.get_object(Bucket=self.bucket, Key=name)
            async with response["Body"] as stream:
                return await stream.read()
        except (ClientError, *_TRANSPORT_ERRORS) as exc:
            _raise_storage_error("get", key, exc)

    async def delete(self, key: str) -> None:
        name = self._object_key(key)
        try:
            await self.client.delete_object(Bucket=self.bucket, Key=name)
        except (ClientError, *_TRANSPORT_ERRORS) as exc:
            if not _is_not_found(exc):  # S3 already treats it as success; some clones do not
                _raise_storage_error("delete", key, exc)

    async def exists(self, key: str) -> bool:
        name = self._object_key(key)
        try:
            await self.client.head_object(Bucket=self.bucket, Key=name)
        except (ClientError, *_TRANSPORT_ERRORS) as exc:
            if _is_not_found(exc):
                return False
            _raise_storage_error("exists", key, exc)
        return True

    async def modified_at(self, key: str) -> datetime | None:
        name = self._object_key(key)
        try:
            head = await self.client.head_object(Bucket=self.bucket, Key=name)
        except (ClientError, *_TRANSPORT_ERRORS) as exc:
            if _is_not_found(exc):
                return None
            _raise_storage_error("modified_at", key, exc)
        stamp: datetime = head["LastModified"]
        return stamp.astimezone(UTC).replace(tzinfo=None)

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    key = item.get("Key", "")[len(self.prefix) :]
                    if _is_valid(key):
                        yield key
        except (ClientError, *_TRANSPORT_ERRORS) as exc:
            _raise_storage_error("list", prefix, exc)


def _is_valid(key: str) -> bool:
    try:
        validate_key(key)
    except InvalidBlobKey:
        return False
    return True


def _is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in (
        _NOT_FOUND_CODES
    )


def _raise_storage_error(op: str, key: str, exc: BaseException) -> NoReturn:
    """Map to our errors with a message built from safe fields only (never `str(exc)`)."""
    if _is_not_found(exc):
        raise BlobNotFound(f"no blob {key}") from exc
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "unknown")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise StorageError(f"S3 {op} {key!r} failed: {code} (HTTP {status})") from exc
    raise StorageError(f"S3 {op} {key!r} failed: {type(exc).__name__}") from exc
