"""One contract for every BlobStore (local dir, S3 over HTTP via moto, the in-memory fake),
plus what only one backend can get wrong: path escapes, atomic writes, public objects, secrets.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aioboto3
import httpx
import pytest

from core.blobs import (
    BlobStore,
    avatar_key,
    content_type_for_key,
    open_blob_store,
    original_key,
    validate_key,
)
from core.blobs.local import LocalBlobStore
from core.blobs.s3 import S3BlobStore
from core.errors import BlobNotFound, InvalidBlobKey, StorageError
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.s3_server import DUMMY_CREDENTIALS, dummy_aws_env, free_port, moto_s3

HEX = "0123456789abcdef" * 2
BAD_KEYS = [
    "../x",
    "/etc/passwd",
    "/originals/1/" + HEX + ".jpg",
    "originals/1/../../etc/passwd",
    f"originals/1/../1/{HEX}.jpg",
    "originals/1/photo.jpg",
    f"originals/1/{HEX}.exe",
    f"originals/1/{HEX.upper()}.JPG",
    f"originals/-1/{HEX}.jpg",
    f"originals/\u0661/{HEX}.jpg",  # an Arabic-Indic digit is still not [0-9]
    f"originals/1/{HEX}.jpg\n",
    f"originals\\1\\{HEX}.jpg",
    f"thumbs/1/{HEX}.jpg",
    f"originals/1/{HEX}.jpg/../x",
    "",
]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[tuple[str, str]]:
    with moto_s3() as endpoint_and_bucket:
        yield endpoint_and_bucket


@pytest.fixture(scope="module")
def aws_session(s3_server: tuple[str, str]) -> aioboto3.Session:
    """One session for the module: each new one re-parses the S3 service model (~0.2 s)."""
    return aioboto3.Session()


async def _open_s3_store(endpoint: str, bucket: str, session: aioboto3.Session) -> S3BlobStore:
    """A store under a fresh prefix, so tests sharing the bucket never see each other's keys."""
    prefix = f"run-{uuid.uuid4().hex}/"
    return await S3BlobStore(bucket, prefix, endpoint_url=endpoint, session=session).open()


@pytest.fixture
async def s3_store(
    s3_server: tuple[str, str], aws_session: aioboto3.Session
) -> AsyncIterator[S3BlobStore]:
    store = await _open_s3_store(*s3_server, aws_session)
    yield store
    await store.close()


@pytest.fixture(params=["local", "s3", "fake"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    opened: BlobStore
    if request.param == "local":
        opened = LocalBlobStore(tmp_path / "blobs")
    elif request.param == "s3":
        endpoint, bucket = request.getfixturevalue("s3_server")
        opened = await _open_s3_store(endpoint, bucket, request.getfixturevalue("aws_session"))
    else:
        opened = FakeBlobStore()
    yield opened
    await opened.close()


async def _keys(store: BlobStore, prefix: str = "") -> list[str]:
    return [key async for key in store.list_keys(prefix)]


# --- the contract -----------------------------------------------------------------------------


async def test_put_get_roundtrip_and_overwrite(store: BlobStore) -> None:
    key = original_key(7)
    await store.put(key, b"first", "image/jpeg")
    assert await store.get(key) == b"first"
    await store.put(key, b"second", "image/jpeg")
    assert await store.get(key) == b"second"


async def test_binary_megabyte_roundtrip(store: BlobStore) -> None:
    key, data = avatar_key(7, "image/png"), os.urandom(1024 * 1024)
    await store.put(key, data, "image/png")
    assert await store.get(key) == data


async def test_get_missing_raises_blob_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        await store.get(original_key(7))


async def test_exists_follows_put_and_delete(store: BlobStore) -> None:
    key = avatar_key(7, "image/webp")
    assert not await store.exists(key)
    await store.put(key, b"x", "image/webp")
    assert await store.exists(key)
    await store.delete(key)
    assert not await store.exists(key)
    with pytest.raises(BlobNotFound):
        await store.get(key)


async def test_delete_is_idempotent(store: BlobStore) -> None:
    key = original_key(7)
    await store.delete(key)
    await store.put(key, b"x", "image/jpeg")
    await store.delete(key)
    await store.delete(key)
    assert not await store.exists(key)


async def test_list_keys_by_prefix(store: BlobStore) -> None:
    keys = [original_key(1), avatar_key(1, "image/png"), avatar_key(2, "image/jpeg")]
    for key in keys:
        await store.put(key, b"x", content_type_for_key(key))
    assert sorted(await _keys(store)) == sorted(keys)
    assert sorted(await _keys(store, "avatars/")) == sorted(keys[1:])
    assert await _keys(store, "avatars/2/") == [keys[2]]
    assert await _keys(store, "nothing/") == []


async def test_concurrent_puts_and_gets(store: BlobStore) -> None:
    keys = [original_key(n) for n in range(20)]
    await asyncio.gather(*(store.put(k, k.encode(), "image/jpeg") for k in keys))
    assert await asyncio.gather(*(store.get(k) for k in keys)) == [k.encode() for k in keys]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_every_store_refuses_keys_it_did_not_make(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        await store.put(key, b"x", "image/jpeg")
    for call in (store.get, store.exists, store.delete):
        with pytest.raises(InvalidBlobKey):
            await call(key)
    assert await _keys(store) == []


# --- keys and the factory ---------------------------------------------------------------------


def test_key_makers_produce_valid_unique_keys() -> None:
    assert validate_key(original_key(42)).startswith("originals/42/")
    assert original_key(42) != original_key(42)
    for content_type, ext in [
        ("image/png", ".png"),
        ("image/jpeg", ".jpg"),
        ("image/webp", ".webp"),
    ]:
        key = avatar_key(42, content_type)
        assert key.startswith("avatars/42/")
        assert key.endswith(ext)
        assert content_type_for_key(validate_key(key)) == content_type


@pytest.mark.parametrize(
    ("maker", "args"),
    [(avatar_key, (1, "image/gif")), (avatar_key, (1, "text/html")), (original_key, (-5,))],
)
def test_key_makers_refuse_odd_inputs(maker: object, args: tuple[object, ...]) -> None:
    assert callable(maker)
    with pytest.raises(ValueError, match=r"unsupported|non-negative"):
        maker(*args)


async def test_open_blob_store_file_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = await open_blob_store("file:data/blobs")
    assert isinstance(relative, LocalBlobStore)
    assert relative.root == (tmp_path / "data" / "blobs").resolve()
    for url in (f"file:{tmp_path}/abs", f"file://{tmp_path}/abs"):
        store = await open_blob_store(url)
        assert isinstance(store, LocalBlobStore)
        assert store.root == (tmp_path / "abs").resolve()


@pytest.mark.parametrize(
    ("url", "prefix"),
    [("s3://bucket-a/prod", "prod/"), ("s3://bucket-a", ""), ("s3://bucket-a/a/b/", "a/b/")],
)
async def test_open_blob_store_s3_urls(url: str, prefix: str) -> None:
    with dummy_aws_env():
        store = await open_blob_store(url, s3_endpoint_url="http://127.0.0.1:9")
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("bucket-a", prefix)
    await store.close()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/x",
        "",
        "data/blobs",
        "file:",
        "s3://",
        "s3://Bad_Bucket/x",
        "https://b.s3.amazonaws.com/x",
        "s3://AKIAKEY:topsecret@bucket/x",
        "file://remote/x",
    ],
)
async def test_open_blob_store_refuses_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="STORAGE_URL") as caught:
        await open_blob_store(url)
    assert "topsecret" not in str(caught.value)


# --- local directory specifics ----------------------------------------------------------------


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_local_symlink_escape_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"{HEX}.jpg").write_bytes(b"not yours")
    store = LocalBlobStore(tmp_path / "blobs")
    (store.root / "originals").mkdir()
    (store.root / "originals" / "1").symlink_to(outside, target_is_directory=True)
    key = f"originals/1/{HEX}.jpg"
    with pytest.raises(InvalidBlobKey):
        await store.put(f"originals/1/{'f' * 32}.jpg", b"x", "image/jpeg")
    for call in (store.get, store.exists, store.delete):
        with pytest.raises(InvalidBlobKey):
            await call(key)
    assert [p.name for p in outside.iterdir()] == [f"{HEX}.jpg"]
    assert await _keys(store) == []  # the walk does not follow the link either


async def test_local_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    keys = [original_key(3) for _ in range(5)]
    for key in keys:
        await store.put(key, b"data", "image/jpeg")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in _all_files(tmp_path)) == sorted(keys)


async def test_local_failed_write_keeps_old_content_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, key = LocalBlobStore(tmp_path), original_key(3)
    await store.put(key, b"old", "image/jpeg")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StorageError, match="No space left") as caught:
        await store.put(key, b"new", "image/jpeg")
    assert isinstance(caught.value.__cause__, OSError)
    monkeypatch.undo()
    assert await store.get(key) == b"old"
    assert [p.name for p in _all_files(tmp_path)] == [key.rsplit("/", 1)[1]]


async def test_local_list_skips_temp_and_stray_files(tmp_path: Path) -> None:
    store, key = LocalBlobStore(tmp_path), original_key(4)
    await store.put(key, b"x", "image/jpeg")
    (tmp_path / "originals" / "4" / ".tmp-abc.part").write_bytes(b"half")
    (tmp_path / "originals" / "4" / "notes.txt").write_text("hi")
    (tmp_path / "stray.jpg").write_bytes(b"x")
    assert await _keys(store) == [key]


async def test_local_os_errors_become_storage_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(StorageError):
        LocalBlobStore(tmp_path / "file")
    store = LocalBlobStore(tmp_path / "blobs")
    (store.root / "originals").write_bytes(b"a file where a directory should be")
    with pytest.raises(StorageError) as caught:
        await store.put(original_key(1), b"x", "image/jpeg")
    assert type(caught.value) is StorageError
    assert isinstance(caught.value.__cause__, OSError)


# --- S3 specifics -----------------------------------------------------------------------------


async def test_s3_stores_content_type_under_prefix(s3_store: S3BlobStore) -> None:
    key = avatar_key(9, "image/png")
    await s3_store.put(key, b"png", "image/png")
    head = await s3_store.client.head_object(Bucket=s3_store.bucket, Key=s3_store.prefix + key)
    assert head["ContentType"] == "image/png"
    listed = await s3_store.client.list_objects_v2(Bucket=s3_store.bucket, Prefix=s3_store.prefix)
    assert [item.get("Key") for item in listed.get("Contents", [])] == [s3_store.prefix + key]


async def test_s3_objects_are_not_publicly_readable(
    s3_store: S3BlobStore, s3_server: tuple[str, str]
) -> None:
    endpoint, bucket = s3_server
    key = original_key(9)
    await s3_store.put(key, b"private selfie", "image/jpeg")
    async with httpx.AsyncClient() as anonymous:
        response = await anonymous.get(f"{endpoint}/{bucket}/{s3_store.prefix}{key}")
    assert response.status_code == 403
    assert b"private selfie" not in response.content
    assert await s3_store.get(key) == b"private selfie"  # signed requests still work


async def test_s3_list_skips_foreign_objects(s3_store: S3BlobStore) -> None:
    key = original_key(9)
    await s3_store.put(key, b"x", "image/jpeg")
    await s3_store.client.put_object(
        Bucket=s3_store.bucket, Key=s3_store.prefix + "notes.txt", Body=b"x"
    )
    assert await _keys(s3_store) == [key]


async def test_s3_missing_bucket_is_a_storage_error_not_not_found(
    s3_server: tuple[str, str], aws_session: aioboto3.Session
) -> None:
    endpoint, _ = s3_server
    store = await S3BlobStore(
        "no-such-bucket-here", endpoint_url=endpoint, session=aws_session
    ).open()
    try:
        with pytest.raises(StorageError) as caught:
            await store.get(original_key(1))
        assert not isinstance(caught.value, BlobNotFound)
        assert "NoSuchBucket" in str(caught.value)
    finally:
        await store.close()


async def test_s3_endpoint_down_fails_fast_without_leaking_secrets() -> None:
    with dummy_aws_env():
        store = await S3BlobStore("bucket-a", endpoint_url=f"http://127.0.0.1:{free_port()}").open()
        try:
            started = time.monotonic()
            outcomes = await asyncio.gather(
                store.put(original_key(1), b"x", "image/jpeg"),
                store.get(original_key(1)),
                store.exists(original_key(1)),
                _keys(store),
                return_exceptions=True,
            )
            assert time.monotonic() - started < 5  # connect refused + one short backoff
        finally:
            await store.close()
    secrets = [DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"], DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]]
    for outcome in outcomes:
        assert type(outcome) is StorageError, outcome
        assert isinstance(outcome.__cause__, Exception)
        message = f"{outcome} {outcome!r}"
        assert not any(secret in message for secret in secrets)


async def test_s3_store_must_be_opened_and_closes_twice() -> None:
    store = S3BlobStore("bucket-a", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(StorageError, match="not open"):
        await store.get(original_key(1))
    await store.close()
    await store.close()


# --- the fake's fault injection ---------------------------------------------------------------


async def test_fake_fail_next_raises_once_then_recovers() -> None:
    fake, key = FakeBlobStore(), original_key(1)
    fake.fail_next("put", StorageError("disk full"))
    with pytest.raises(StorageError, match="disk full"):
        await fake.put(key, b"x", "image/jpeg")
    assert not await fake.exists(key)
    await fake.put(key, b"x", "image/jpeg")
    assert fake.content_types[key] == "image/jpeg"
    fake.fail_next("get", StorageError("flaky"), times=2)
    for _ in range(2):
        with pytest.raises(StorageError):
            await fake.get(key)
    assert await fake.get(key) == b"x"
    with pytest.raises(ValueError, match="unknown"):
        fake.fail_next("rename", StorageError("x"))  # type: ignore[arg-type]
