"""Failures of the blob store."""

from __future__ import annotations

from core.errors.base import AIVengerError


class StorageError(AIVengerError):
    """The blob store failed to put, get or delete an object."""

    code = "storage_error"


class BlobNotFound(StorageError):
    """The blob store has no object under this key."""

    code = "blob_not_found"


class InvalidBlobKey(StorageError):
    """A key that the system did not make (absolute, `..`, odd characters) was refused."""

    code = "invalid_blob_key"
