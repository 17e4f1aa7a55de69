"""Blob storage port (product.md §4): originals and avatars live outside the database.

Keys are made here and only here, so a user-supplied name can never reach a path or an S3 key;
every adapter re-checks them with `validate_key` before touching storage.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from core.errors import InvalidBlobKey

__all__ = [
    "EXTENSION_CONTENT_TYPES",
    "BlobStore",
    "avatar_key",
    "content_type_for_key",
    "open_blob_store",
    "original_key",
    "validate_key",
]

EXTENSION_CONTENT_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}
_CONTENT_TYPE_EXTENSIONS = {ct: ext for ext, ct in EXTENSION_CONTENT_TYPES.items()}
_KEY_RE = re.compile(r"(originals|avatars)/\d+/[0-9a-f]{32}\.(jpg|png|webp)", re.ASCII)


class BlobStore(Protocol):
    """Where image bytes live; implementations raise only `StorageError` and its subclasses."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """Return the bytes; `BlobNotFound` when there is no such object."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; an absent key is fine, so retries and cleanup stay idempotent."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def modified_at(self, key: str) -> datetime | None:
        """When the object was last written (naive UTC), None when absent; cleanup's age guard."""
        ...

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Yield every valid key under `prefix` (an async generator; for orphan cleanup)."""
        ...

    async def close(self) -> None: ...


def _check_user_id(user_id: int) -> int:
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 0:
        raise ValueError(f"user_id must be a non-negative int, got {user_id!r}")
    return user_id


def original_key(user_id: int, content_type: str = "image/jpeg") -> str:
    """Key for a model input: an uploaded photo (intake re-encodes to JPEG), or the copy of
    an avatar being edited (its own type)."""
    ext = _CONTENT_TYPE_EXTENSIONS.get(content_type.split(";")[0].strip().lower())
    if ext is None:
        raise ValueError(f"unsupported original content type {content_type!r}")
    return f"originals/{_check_user_id(user_id)}/{uuid.uuid4().hex}.{ext}"


def avatar_key(user_id: int, content_type: str) -> str:
    """Key for a generated avatar; the extension follows the model's output type."""
    ext = _CONTENT_TYPE_EXTENSIONS.get(content_type.split(";")[0].strip().lower())
    if ext is None:
        raise ValueError(f"unsupported avatar content type {content_type!r}")
    return f"avatars/{_check_user_id(user_id)}/{uuid.uuid4().hex}.{ext}"


def validate_key(key: str) -> str:
    """Return `key` if it has the exact shape the key makers produce, else `InvalidBlobKey`."""
    if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
        raise InvalidBlobKey(f"refused blob key {key!r}"[:200])
    return key


def content_type_for_key(key: str) -> str:
    """The content type implied by a valid key's extension."""
    return EXTENSION_CONTENT_TYPES[validate_key(key).rsplit(".", 1)[1]]


async def open_blob_store(storage_url: str, *, s3_endpoint_url: str | None = None) -> BlobStore:
    """Build the store named by STORAGE_URL: `file:<dir>` or `s3://bucket/prefix`."""
    scheme, sep, rest = storage_url.partition(":")
    scheme = scheme.strip().lower()
    if sep and scheme == "file":
        from core.blobs.local import LocalBlobStore

        return LocalBlobStore(_file_url_path(rest))
    if sep and scheme == "s3":
        from core.blobs.s3 import S3BlobStore

        bucket, prefix = _s3_bucket_and_prefix(storage_url)
        return await S3BlobStore(bucket, prefix, endpoint_url=s3_endpoint_url).open()
    # Only the scheme is echoed: the rest of a URL may carry something private.
    raise ValueError(
        f"STORAGE_URL must be 'file:<directory>' or 's3://<bucket>/<prefix>', "
        f"got scheme {scheme[:20]!r}"
    )


def _file_url_path(rest: str) -> Path:
    if rest.startswith("//"):  # file:///abs/path or file://localhost/abs/path
        parts = urlsplit("file:" + rest)
        if parts.netloc not in ("", "localhost"):
            raise ValueError("STORAGE_URL file: URLs cannot name a remote host")
        rest = parts.path
    if not rest.strip():
        raise ValueError("STORAGE_URL 'file:' needs a directory, e.g. file:data/blobs")
    return Path(rest)


def _s3_bucket_and_prefix(storage_url: str) -> tuple[str, str]:
    parts = urlsplit(storage_url)
    bucket = parts.netloc
    if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
        raise ValueError("STORAGE_URL 's3://' needs a valid bucket name, e.g. s3://my-bucket/blobs")
    prefix = parts.path.strip("/")
    return bucket, f"{prefix}/" if prefix else ""
