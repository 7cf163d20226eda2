"""The Hugging Face Hub read API against the catalogue's own endpoints, in the same run.

    python bench/bench_hub_api.py --size-mb 50 --repeat 5

A real uvicorn server on a SQLite file in a temporary folder holds one published model with
one file of SIZE MiB. Timed, with the real huggingface_hub client (HF_ENDPOINT/HF_TOKEN set
as a user sets them):
- `HfApi().model_info(id)` against GET /api/v1/catalog/{id} (the asset) plus
  GET /api/v1/catalog/{id}/versions/latest (its files), the same facts through aifhub's API;
- `hf_hub_download` (HEAD + GET into an empty cache, then its own checks) against a streamed
  GET of /api/v1/catalog/{id}/versions/latest/files/{path} written to disk; and the same
  streamed GET of /{id}/resolve/main/{path}, to tell the server's share from the client's.
Each figure is the median of REPEAT runs; the ratio is hub / catalogue.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from aifhub.core.config import Settings  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402

CHUNK = 1024 * 1024
SLUG = "bench/big-model"


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
            kind="model", organisation="bench", slug=SLUG, name="Big model",
            license="mit", library_name="transformers"))  # fmt: skip
        _, secret = await credentials.create_token(
            s, user, data=ischemas.TokenCreate(name="bench", scopes=["read", "write"])
        )
        await s.commit()
    await engine.dispose()
    return secret


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _start(url: str, var: Path) -> tuple[subprocess.Popen[bytes], str]:
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
    for _ in range(300):
        try:
            httpx.get(base + "/healthz", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-hub-", dir=os.environ.get("BENCH_DIR")))
    server = None
    try:
        var = work / "var"
        var.mkdir()
        url = f"sqlite+aiosqlite:///{var / 'aifhub.db'}"
        upgrade(url)
        token = asyncio.run(_setup(Settings(database_url=url, var_dir=var, secret_key="bench")))
        server, base = _start(url, var)
        data = os.urandom(args.size_mb * CHUNK)
        digest = hashlib.sha256(data).hexdigest()
        h = {"Authorization": f"Bearer {token}"}
        api = f"/api/v1/catalog/{SLUG}"
        with httpx.Client(base_url=base, headers=h, timeout=600) as c:
            c.post(f"{api}/versions", json={"label": "v1"}).raise_for_status()
            c.put(f"{api}/versions/v1/files/model.safetensors", content=data,
                  headers={"X-Content-SHA256": digest}).raise_for_status()  # fmt: skip
            c.post(f"{api}/versions/v1/publish").raise_for_status()

            def catalogue_info() -> None:
                c.get(api).raise_for_status()
                c.get(f"{api}/versions/latest").raise_for_status()

            def stream_to_disk(path: str) -> None:
                out = work / "plain.bin"
                with c.stream("GET", path) as r:
                    r.raise_for_status()
                    with out.open("wb") as fh:
                        for chunk in r.iter_bytes(CHUNK):
                            fh.write(chunk)
                out.unlink()

            def catalogue_download() -> None:
                stream_to_disk(f"{api}/versions/latest/files/model.safetensors")

            def resolve_download() -> None:
                stream_to_disk(f"/{SLUG}/resolve/main/model.safetensors")

            os.environ.update(HF_ENDPOINT=base, HF_TOKEN=token, HF_HOME=str(work / "hf"),
                              HF_HUB_OFFLINE="0", HF_HUB_DISABLE_TELEMETRY="1",
                              HF_HUB_DISABLE_PROGRESS_BARS="1")  # fmt: skip
            from huggingface_hub import HfApi, hf_hub_download

            hf = HfApi()

            def hub_download() -> None:
                cache = work / "hf-cache"
                path = hf_hub_download(SLUG, "model.safetensors", cache_dir=cache)
                assert os.path.getsize(path) == len(data)
                shutil.rmtree(cache)

            catalogue_info(), hf.model_info(SLUG)  # warm both paths once
            info_cat = _median_s(catalogue_info, args.repeat * 10)
            info_hub = _median_s(lambda: hf.model_info(SLUG), args.repeat * 10)
            down_cat = _median_s(catalogue_download, args.repeat)
            down_hub = _median_s(hub_download, args.repeat)
            down_res = _median_s(resolve_download, args.repeat)
        mb = args.size_mb
        print(f"one published model, a {mb} MiB file; medians of {args.repeat} (info: x10) runs")
        print(f"info: catalogue asset+version {info_cat * 1000:7.1f} ms   "
              f"model_info {info_hub * 1000:7.1f} ms   hub/catalogue = "
              f"{info_hub / info_cat:.2f}")  # fmt: skip
        print(f"download: catalogue GET {down_cat:6.2f} s ({mb / down_cat:5.0f} MiB/s)   "
              f"hf_hub_download {down_hub:6.2f} s ({mb / down_hub:5.0f} MiB/s)   "
              f"hub/catalogue = {down_hub / down_cat:.2f}")  # fmt: skip
        print(f"server side: GET /{{id}}/resolve/main/... streamed like the catalogue GET "
              f"{down_res:6.2f} s   resolve/catalogue = {down_res / down_cat:.2f}")  # fmt: skip
    finally:
        if server:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
