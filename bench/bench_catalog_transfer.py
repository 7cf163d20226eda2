"""Upload and download throughput of one large file through the API (a real uvicorn server)
compared with a plain file copy on the same disk.

    python bench/bench_catalog_transfer.py --size-mb 1024

Everything lives in one temporary folder (same file system): the source file, the copy,
the server's content store (var/objects) and the downloaded file. Upload = streamed PUT with
the declared SHA-256 (the server hashes while writing, fsyncs, renames into the store);
download = streamed GET written to disk. Both are compared to shutil.copyfile + fsync.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from aifhub.core.config import Settings  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402

CHUNK = 1024 * 1024


async def _setup(settings: Settings) -> str:
    from aifhub.catalog import assets
    from aifhub.identity import credentials, service
    from aifhub.schemas import catalog as schemas
    from aifhub.schemas import identity as ischemas

    engine = make_engine(settings.resolved_database_url())
    async with make_sessionmaker(engine)() as s:
        user = await service.create_user(s, email="bench@x.eu", name="Bench", password=None)
        await service.create_org(s, user, data=ischemas.OrganisationCreate(
            slug="bench", name="Bench", kind="sme", country="FR"))  # fmt: skip
        await assets.create_asset(s, user, data=schemas.AssetCreate(
            kind="dataset", organisation="bench", slug="bench/big", name="Big",
            license="mit"))  # fmt: skip
        _, secret = await credentials.create_token(
            s, user, data=ischemas.TokenCreate(name="bench", scopes=["read", "write"])
        )
        await s.commit()
    await engine.dispose()
    return secret


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    args = ap.parse_args()
    size = args.size_mb * CHUNK
    work = Path(tempfile.mkdtemp(prefix="bench-transfer-", dir=os.environ.get("BENCH_DIR")))
    server = None
    try:
        var = work / "var"
        var.mkdir()
        url = f"sqlite+aiosqlite:///{var / 'aifhub.db'}"
        upgrade(url)
        settings = Settings(database_url=url, var_dir=var, secret_key="bench")
        token = asyncio.run(_setup(settings))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AIFHUB_DATABASE_URL": url,
               "AIFHUB_VAR_DIR": str(var), "AIFHUB_SECRET_KEY": "bench",
               "AIFHUB_RUN_WORKER_IN_PROCESS": "0"}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "aifhub.app:create_app", "--factory",
             "--port", str(port), "--log-level", "warning"], env=env)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        src = work / "source.bin"
        with src.open("wb") as fh:
            for _ in range(args.size_mb):
                fh.write(os.urandom(CHUNK))
        _fsync(src)
        mb = size / CHUNK
        t = time.perf_counter()
        shutil.copyfile(src, work / "copy.bin")
        _fsync(work / "copy.bin")
        copy_s = time.perf_counter() - t
        t = time.perf_counter()
        digest = _sha(src)
        sha_s = time.perf_counter() - t
        h = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base + "/api/v1", headers=h, timeout=600) as c:
            c.post("/catalog/bench/big/versions", json={"label": "v1"}).raise_for_status()

            def body():
                with src.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        yield chunk

            t = time.perf_counter()
            r = c.put("/catalog/bench/big/versions/v1/files/big.bin", content=body(),
                      headers={"X-Content-SHA256": digest,
                               "Content-Length": str(size)})  # fmt: skip
            up_s = time.perf_counter() - t
            r.raise_for_status()
            c.post("/catalog/bench/big/versions/v1/publish").raise_for_status()
            out = work / "download.bin"
            t = time.perf_counter()
            with c.stream("GET", "/catalog/bench/big/versions/v1/files/big.bin") as resp:
                resp.raise_for_status()
                with out.open("wb") as fh:
                    for chunk in resp.iter_bytes(CHUNK):
                        fh.write(chunk)
                announced = resp.headers["x-content-sha256"]
            _fsync(out)
            down_s = time.perf_counter() - t
        t = time.perf_counter()
        ok = _sha(out) == digest == announced
        verify_s = time.perf_counter() - t
        print(f"file: {mb:.0f} MiB, same disk ({work})")
        print(f"plain copy (copyfile+fsync): {copy_s:6.2f} s  {mb / copy_s:7.0f} MiB/s")
        print(f"client sha256 of source:     {sha_s:6.2f} s  {mb / sha_s:7.0f} MiB/s")
        print(f"upload via API:              {up_s:6.2f} s  {mb / up_s:7.0f} MiB/s  "
              f"copy/upload = {copy_s / up_s:.2f}")  # fmt: skip
        print(f"download via API:            {down_s:6.2f} s  {mb / down_s:7.0f} MiB/s  "
              f"copy/download = {copy_s / down_s:.2f}")  # fmt: skip
        print(f"client verify (sha256):      {verify_s:6.2f} s  checksums match: {ok}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
