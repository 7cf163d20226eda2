"""The local content-addressed store and the streaming receiver."""

from __future__ import annotations

import hashlib

import pytest

from aifhub.storage import ChecksumMismatch, LocalObjectStore, TooLarge, receive_stream


async def _chunks(*parts: bytes):
    for p in parts:
        yield p


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


async def test_receive_stores_by_hash_sharded_read_only(tmp_path):
    store = LocalObjectStore(tmp_path / "objects")
    data = b"hello " * 1_000_000  # crosses the 4 MiB flush threshold
    obj = await receive_stream(
        store, _chunks(data[:10], data[10:]), expected_sha256=_sha(data), max_bytes=10**8
    )
    path = store.local_path(obj.sha256)
    assert (
        obj.size == len(data)
        and path == tmp_path / "objects" / obj.sha256[:2] / obj.sha256[2:4] / obj.sha256
    )
    assert path.read_bytes() == data and oct(path.stat().st_mode & 0o777) == "0o444"
    again = await receive_stream(store, _chunks(data), expected_sha256=_sha(data), max_bytes=10**8)
    assert again == obj and list(store.temp_dir().iterdir()) == []


async def test_mismatch_and_too_large_leave_nothing(tmp_path):
    store = LocalObjectStore(tmp_path / "objects")
    with pytest.raises(ChecksumMismatch):
        await receive_stream(store, _chunks(b"abc"), expected_sha256=_sha(b"abd"), max_bytes=100)
    with pytest.raises(TooLarge):
        await receive_stream(
            store, _chunks(b"a" * 60, b"a" * 60), expected_sha256=_sha(b"a" * 120), max_bytes=100
        )
    assert not store.exists(_sha(b"abc")) and not store.exists(_sha(b"a" * 120))
    assert list(store.temp_dir().iterdir()) == []


def test_only_digests_name_objects(tmp_path):
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ValueError):
        store.local_path("../../etc/passwd")
