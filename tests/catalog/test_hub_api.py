"""The Hugging Face Hub read API against a real `aifhub serve`, driven by the real
huggingface_hub client in its own process, configured as a user would: HF_ENDPOINT and HF_TOKEN.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("huggingface_hub")
pytest.importorskip("tokenizers")

from aifhub.core.migrate import upgrade  # noqa: E402

from ..servers import start_server  # noqa: E402
from .hub_live import EXTRA_MODELS, REPO, Hub, access_log, hf, populate, seed, sha  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A real server on a migrated SQLite file, with published models, a dataset, a gated
    model granted to Alice's project, and three users with API tokens."""
    base = tmp_path_factory.mktemp("hub")
    url = f"sqlite+aiosqlite:///{base / 'aifhub.db'}"
    upgrade(url)
    tokens = asyncio.run(seed(url))
    env = {
        **os.environ,
        "AIFHUB_DATABASE_URL": url,
        "AIFHUB_VAR_DIR": str(base / "var"),
        "AIFHUB_SECRET_KEY": "hub-secret",
        "PYTHONPATH": str(REPO / "src"),
    }
    server = start_server(env, base / "server.log")
    weights, secret = os.urandom(300_000), os.urandom(70_000)
    try:
        populate(server.url, tokens, weights, secret)
        yield Hub(server.url, base, tokens, weights, secret)
    finally:
        server.stop()
    # No request, however odd, ended in a server error.
    log = (base / "server.log").read_text()
    assert "Traceback" not in log and '" 500' not in log, log[-3000:]


def test_model_and_dataset_info(hub: Hub, tmp_path: Path) -> None:
    out = hf(
        hub,
        "bob",
        """
        from huggingface_hub import HfApi
        api = HfApi()
        m = api.model_info("acme/tiny-bert", files_metadata=True)
        v1 = api.model_info("acme/tiny-bert", revision="v1")
        by_sha = api.model_info("acme/tiny-bert", revision=v1.sha)
        d = api.dataset_info("acme/corpus")
        g = api.model_info("acme/secret-llm")
        out["m"] = dict(id=m.id, sha=m.sha, author=m.author, private=m.private, gated=m.gated,
            tags=m.tags, pipeline_tag=m.pipeline_tag, library_name=m.library_name,
            downloads=m.downloads, card=m.card_data.to_dict(), modified=str(m.last_modified),
            siblings={s.rfilename: [s.size, s.lfs.sha256 if s.lfs else None] for s in m.siblings})
        out["v1"] = [v1.sha, [s.rfilename for s in v1.siblings], by_sha.sha]
        out["d"] = [d.id, d.sha, sorted(s.rfilename for s in d.siblings), d.card_data.license]
        out["g"] = g.gated
        out["tree"] = sorted(
            (f.path, getattr(f, "size", 0))
            for f in api.list_repo_tree("acme/tiny-bert", recursive=True)
        )
        out["top"] = sorted(f.path for f in api.list_repo_tree("acme/tiny-bert"))
        """,
        tmp_path,
    )
    m = out["m"]
    assert m["id"] == "acme/tiny-bert" and m["author"] == "acme"
    assert len(m["sha"]) == 40 and m["private"] is False and m["gated"] is False
    assert m["pipeline_tag"] == "fill-mask" and m["library_name"] == "transformers"
    assert {"tiny", "test", "fr", "license:apache-2.0"} <= set(m["tags"])
    assert m["card"]["license"] == "apache-2.0" and m["card"]["language"] == ["fr", "en"]
    assert m["siblings"]["model.safetensors"] == [300_000, sha(hub.weights)]
    assert m["siblings"]["config.json"] == [14, sha(b'{"hidden": 16}')]
    assert m["siblings"]["extra/notes.txt"][0] == 5
    assert m["siblings"]["README.md"][1] is None  # generated from the card, not an LFS file
    sha1, files1, again = out["v1"]
    assert sha1 != m["sha"] and again == sha1 and sorted(files1) == ["README.md", "config.json"]
    assert out["d"][0] == "acme/corpus" and len(out["d"][1]) == 40
    assert out["d"][2] == ["README.md", "data/train.csv"] and out["d"][3] == "mit"
    assert out["g"] == "manual"
    tree = dict(out["tree"])
    assert tree["model.safetensors"] == 300_000 and tree["extra/notes.txt"] == 5
    assert "extra" in tree and "README.md" in tree
    assert out["top"] == ["README.md", "config.json", "extra", "model.safetensors"]
    # The commit id is stable: the same version answers the same sha on every call.
    assert hf(hub, None, OUT_SHA, tmp_path)["sha"] == m["sha"]


OUT_SHA = """
from huggingface_hub import HfApi
out["sha"] = HfApi().model_info("acme/tiny-bert").sha
"""


def test_listing_follows_pages(hub: Hub, tmp_path: Path) -> None:
    out = hf(
        hub,
        None,
        """
        from huggingface_hub import HfApi
        api = HfApi()
        out["all"] = [m.id for m in api.list_models(author="acme")]
        out["few"] = [m.id for m in api.list_models(author="acme", limit=3)]
        out["search"] = [m.id for m in api.list_models(search="tiny")]
        out["datasets"] = [d.id for d in api.list_datasets(author="acme")]
        out["nobody"] = [m.id for m in api.list_models(author="nobody")]
        """,
        tmp_path,
    )
    ids = out["all"]
    assert len(ids) == EXTRA_MODELS + 3 == len(set(ids))  # over two pages of 50
    assert {"acme/tiny-bert", "acme/secret-llm", "acme/m-51"} <= set(ids)
    assert out["few"] == ids[:3]
    assert out["search"] == ["acme/tiny-bert", "acme/tiny-tok"]
    assert out["datasets"] == ["acme/corpus"] and out["nobody"] == []
    # The page boundary is in the Link header, as the Hub sends it.
    r = httpx.get(f"{hub.url}/api/models", params={"author": "acme", "limit": 2})
    assert len(r.json()) == 2 and r.links["next"]["url"].startswith(f"{hub.url}/api/models?")
    nxt = httpx.get(r.links["next"]["url"]).json()
    assert [m["id"] for m in nxt] == ids[2:4]
    assert httpx.get(f"{hub.url}/api/models", params={"cursor": "!!"}).status_code == 422
    # The Hub's paths stay out of aifhub's own API document.
    spec = httpx.get(f"{hub.url}/api/v1/openapi.json").json()
    assert not [p for p in spec["paths"] if "/resolve/" in p or p.startswith("/api/models")]


def test_downloads_snapshot_card_and_resume(hub: Hub, tmp_path: Path) -> None:
    before = len(access_log(hub, "acme/tiny-bert"))
    out = hf(
        hub,
        "bob",
        """
        import hashlib, os
        from huggingface_hub import HfFileSystem, ModelCard, hf_hub_download, snapshot_download
        p = hf_hub_download("acme/tiny-bert", "model.safetensors")
        out["weights"] = hashlib.sha256(open(p, "rb").read()).hexdigest()
        with HfFileSystem().open("acme/tiny-bert/model.safetensors", "rb") as f:
            f.seek(123_456)
            out["part"] = f.read(1000).hex()
        p = hf_hub_download("acme/tiny-bert", "config.json", revision="v1")
        out["v1_config"] = open(p).read()
        snap = snapshot_download("acme/corpus", repo_type="dataset")
        out["snap"] = sorted(
            os.path.relpath(os.path.join(d, f), snap) for d, _, fs in os.walk(snap) for f in fs
        )
        out["csv"] = open(os.path.join(snap, "data/train.csv")).read()
        card = ModelCard.load("acme/tiny-bert")
        out["card"] = [card.data.license, card.data.pipeline_tag, "A very small" in card.text]
        """,
        tmp_path,
    )
    assert out["weights"] == sha(hub.weights)
    assert out["part"] == hub.weights[123_456:124_456].hex()  # a Range request, 206
    assert out["v1_config"] == '{"hidden": 8}'
    assert out["snap"] == ["README.md", "data/train.csv"] and out["csv"] == "a,b\n1,2\n"
    assert out["card"] == ["apache-2.0", "fill-mask", True]
    log = access_log(hub, "acme/tiny-bert")
    rows = log[: len(log) - before]
    # One row per GET of a file, ranged or not (HEAD requests take nothing); the README is
    # generated from the description, not a file of the version.
    assert sorted((r["path"], r["version"], r["user"]) for r in rows) == [
        ("config.json", "v1", "bob@example.eu"),
        ("model.safetensors", "v2", "bob@example.eu"),
        ("model.safetensors", "v2", "bob@example.eu"),
    ]


def test_range_and_headers(hub: Hub) -> None:
    auth = {"Authorization": f"Bearer {hub.tokens['bob']}"}
    url = f"{hub.url}/acme/tiny-bert/resolve/main/model.safetensors"
    head = httpx.head(url, headers=auth)
    assert head.status_code == 200 and head.headers["content-length"] == "300000"
    assert head.headers["etag"] == f'"{sha(hub.weights)}"'
    assert head.headers["x-linked-etag"] == head.headers["etag"]
    assert head.headers["x-linked-size"] == "300000" and len(head.headers["x-repo-commit"]) == 40
    part = httpx.get(url, headers={**auth, "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == hub.weights[10:20]
    bad = httpx.get(url, headers={**auth, "Range": "bytes=400000-"})
    assert bad.status_code == 416
    anonymous = httpx.head(url)
    assert anonymous.status_code == 401 and "X-Error-Code" not in anonymous.headers
    wrong = httpx.get(url, headers={"Authorization": "Bearer aifh_nope"})
    assert wrong.status_code == 401
    assert wrong.headers["x-error-message"] == "Invalid credentials in Authorization header"
    assert wrong.json()["error"] and wrong.json()["error"] != wrong.headers["x-error-message"]


def test_gated_repo_needs_a_grant(hub: Hub, tmp_path: Path) -> None:
    code = """
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import GatedRepoError
        try:
            p = hf_hub_download("acme/secret-llm", "weights.bin")
            out["got"] = len(open(p, "rb").read())
        except GatedRepoError as exc:
            out["gated"] = [exc.response.status_code, str(exc)]
        """
    anonymous = hf(hub, None, code, tmp_path / "anon")
    assert anonymous["gated"][0] == 401
    bob = hf(hub, "bob", code, tmp_path / "bob")
    assert bob["gated"][0] == 403 and "none of your projects holds a grant" in bob["gated"][1]
    assert access_log(hub, "acme/secret-llm") == []
    alice = hf(hub, "alice", code, tmp_path / "alice")
    assert alice == {"got": len(hub.secret)}
    [row] = access_log(hub, "acme/secret-llm")
    assert (row["action"], row["path"], row["version"]) == ("download", "weights.bin", "v1")
    assert (row["user"], row["project"]) == ("alice@example.eu", "beta-proj")


def test_missing_repo_revision_and_file(hub: Hub, tmp_path: Path) -> None:
    out = hf(
        hub,
        "bob",
        """
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.errors import (
            EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError)
        api = HfApi()
        calls = {
            "no_repo": lambda: api.model_info("acme/nope"),
            "wrong_type": lambda: api.model_info("acme/corpus"),
            "no_dataset": lambda: api.dataset_info("acme/tiny-bert"),
            "no_rev": lambda: api.model_info("acme/tiny-bert", revision="v9"),
            "no_file": lambda: hf_hub_download("acme/tiny-bert", "nope.bin"),
            "no_rev_file": lambda: hf_hub_download("acme/tiny-bert", "config.json", revision="v9"),
            "no_repo_file": lambda: hf_hub_download("acme/nope", "config.json"),
        }
        for name, call in calls.items():
            try:
                call()
                out[name] = "ok"
            except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError) as exc:
                out[name] = type(exc).__name__
        """,
        tmp_path,
    )
    assert out == {
        "no_repo": "RepositoryNotFoundError",
        "wrong_type": "RepositoryNotFoundError",
        "no_dataset": "RepositoryNotFoundError",
        "no_rev": "RevisionNotFoundError",
        "no_file": "RemoteEntryNotFoundError",
        "no_rev_file": "RevisionNotFoundError",
        "no_repo_file": "RepositoryNotFoundError",
    }


def test_transformers_loads_config_and_tokenizer(hub: Hub, tmp_path: Path) -> None:
    """transformers' from_pretrained through the Hub API (no torch here: no model weights)."""
    pytest.importorskip("transformers")
    out = hf(
        hub,
        "bob",
        """
        from transformers import AutoConfig, AutoTokenizer
        config = AutoConfig.from_pretrained("acme/tiny-tok")
        tok = AutoTokenizer.from_pretrained("acme/tiny-tok", revision="v1")
        out["config"] = [config.model_type, config.hidden_size]
        out["ids"] = tok("bonjour le monde")["input_ids"]
        """,
        tmp_path,
    )
    assert out == {"config": ["bert", 8], "ids": [2, 3, 4]}
    paths = {r["path"] for r in access_log(hub, "acme/tiny-tok")}
    assert {"config.json", "tokenizer.json", "tokenizer_config.json"} <= paths
