"""The Hugging Face Hub read API against a real `aifhub serve`, driven by the real
huggingface_hub client in its own process, configured as a user would: HF_ENDPOINT and HF_TOKEN.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.migrate import upgrade
from aifhub.identity import credentials
from aifhub.identity.service import create_user
from aifhub.schemas import identity as identity_schemas

from ..factories import PASSWORD
from ..servers import start_server

pytest.importorskip("huggingface_hub")
tokenizers = pytest.importorskip("tokenizers")
pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
EXTRA_MODELS = 52  # more than one listing page (50 repos) with the tiny model
CARD = """---
license: apache-2.0
library_name: transformers
pipeline_tag: fill-mask
tags: [tiny, test]
language: [fr, en]
---

# Tiny BERT

A very small masked language model for tests.
"""


@dataclass
class Hub:
    url: str
    base: Path
    tokens: dict[str, str]  # who -> API token
    weights: bytes
    secret: bytes


async def _seed(url: str) -> dict[str, str]:
    engine = make_engine(url)
    tokens = {}
    async with make_sessionmaker(engine)() as session:
        for who in ("owner", "alice", "bob"):
            user = await create_user(
                session, email=f"{who}@example.eu", name=who.title(), password=PASSWORD,
                email_verified=True,
            )  # fmt: skip
            _, secret = await credentials.create_token(
                session,
                user,
                data=identity_schemas.TokenCreate(name="hf", scopes=["read", "write"]),
            )
            tokens[who] = secret
        await session.commit()
    await engine.dispose()
    return tokens


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _publish(c: httpx.Client, slug: str, label: str, files: dict[str, bytes]) -> None:
    r = c.post(f"/api/v1/catalog/{slug}/versions", json={"label": label})
    assert r.status_code == 201, r.text
    for path, data in files.items():
        r = c.put(
            f"/api/v1/catalog/{slug}/versions/{label}/files/{path}",
            content=data,
            headers={"X-Content-SHA256": _sha(data)},
        )
        assert r.status_code == 201, r.text
    r = c.post(f"/api/v1/catalog/{slug}/versions/{label}/publish")
    assert r.status_code == 200, r.text


def _asset(c: httpx.Client, slug: str, kind: str, **fields: object) -> None:
    body = {"kind": kind, "organisation": "acme", "slug": slug, "name": slug, "license": "mit"}
    r = c.post("/api/v1/catalog", json={**body, **fields})
    assert r.status_code == 201, r.text


def _tiny_tokenizer_files() -> dict[str, bytes]:
    """A BERT configuration and a word-level tokenizer: what transformers loads without torch."""
    vocab = {"[UNK]": 0, "[PAD]": 1, "bonjour": 2, "le": 3, "monde": 4}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    config = {"model_type": "bert", "vocab_size": 5, "hidden_size": 8, "num_hidden_layers": 1,
              "num_attention_heads": 1, "intermediate_size": 16}  # fmt: skip
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]",
                  "pad_token": "[PAD]"}  # fmt: skip
    return {
        "config.json": json.dumps(config).encode(),
        "tokenizer.json": tok.to_str().encode(),
        "tokenizer_config.json": json.dumps(tok_config).encode(),
    }


def _populate(url: str, tokens: dict[str, str], weights: bytes, secret: bytes) -> None:
    auth = {"Authorization": f"Bearer {tokens['owner']}"}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as c:
        org = {"slug": "acme", "name": "Acme", "kind": "startup", "country": "FR"}
        assert c.post("/api/v1/organisations", json={**org, "sectors": ["health"]}).is_success
        _asset(c, "acme/tiny-bert", "model")
        r = c.put("/api/v1/catalog/acme/tiny-bert/card", content=CARD.encode())
        assert r.status_code == 200, r.text
        _publish(c, "acme/tiny-bert", "v1", {"config.json": b'{"hidden": 8}'})
        files = {"config.json": b'{"hidden": 16}', "model.safetensors": weights}
        _publish(c, "acme/tiny-bert", "v2", {**files, "extra/notes.txt": b"notes"})
        _asset(c, "acme/corpus", "dataset", task="text-classification")
        readme = b"---\nlicense: mit\n---\n# Corpus\n"
        _publish(c, "acme/corpus", "2024", {"README.md": readme, "data/train.csv": b"a,b\n1,2\n"})
        _asset(c, "acme/tiny-tok", "model", library_name="transformers")
        _publish(c, "acme/tiny-tok", "v1", _tiny_tokenizer_files())
        _asset(c, "acme/secret-llm", "model", access_policy="gated")
        _publish(c, "acme/secret-llm", "v1", {"weights.bin": secret})
        for i in range(EXTRA_MODELS):
            _asset(c, f"acme/m-{i:02d}", "model")
            _publish(c, f"acme/m-{i:02d}", "v1", {"w.bin": b"%d" % i})
    # Alice's project gets a grant for the gated model; Bob has none.
    pi = {"Authorization": f"Bearer {tokens['alice']}"}
    with httpx.Client(base_url=url, headers=pi, timeout=30) as c:
        org = {"slug": "beta", "name": "Beta", "kind": "sme", "country": "DE"}
        assert c.post("/api/v1/organisations", json={**org, "sectors": ["health"]}).is_success
        project = {"slug": "beta-proj", "name": "Beta", "organisation": "beta", "sector": "health"}
        assert c.post("/api/v1/projects", json=project).is_success
        body = {"project": "beta-proj", "purpose": "Fine-tune on our own clinical notes."}
        r = c.post("/api/v1/catalog/acme/secret-llm/requests", json=body)
        assert r.status_code == 201, r.text
        contract = r.json()["id"]
        r = httpx.post(
            f"{url}/api/v1/access-requests/{contract}/agree", json={"days": 30}, headers=auth
        )
        assert r.status_code == 200, r.text
        assert c.post(f"/api/v1/access-requests/{contract}/finalize").status_code == 200


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A real server on a migrated SQLite file, with published models, a dataset, a gated
    model granted to Alice's project, and three users with API tokens."""
    base = tmp_path_factory.mktemp("hub")
    url = f"sqlite+aiosqlite:///{base / 'aifhub.db'}"
    upgrade(url)
    tokens = asyncio.run(_seed(url))
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
        _populate(server.url, tokens, weights, secret)
        yield Hub(server.url, base, tokens, weights, secret)
    finally:
        server.stop()
    # No request, however odd, ended in a server error.
    log = (base / "server.log").read_text()
    assert "Traceback" not in log and '" 500' not in log, log[-3000:]


def hf(hub: Hub, who: str | None, code: str, home: Path) -> dict:
    """Run a snippet with huggingface_hub configured by environment, as a user does; the
    snippet sets `out`, printed back as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=hub.url,
        HF_HOME=str(home),
        HF_HUB_OFFLINE="0",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_XET="1",
    )
    if who:
        env["HF_TOKEN"] = hub.tokens[who]
    script = "import json\nout = {}\n" + textwrap.dedent(code) + "\nprint(json.dumps(out))\n"
    r = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def access_log(hub: Hub, slug: str) -> list[dict]:
    r = httpx.get(
        f"{hub.url}/api/v1/catalog/{slug}/access-log",
        headers={"Authorization": f"Bearer {hub.tokens['owner']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


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
    assert m["siblings"]["model.safetensors"] == [300_000, _sha(hub.weights)]
    assert m["siblings"]["config.json"] == [14, _sha(b'{"hidden": 16}')]
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
    assert out["weights"] == _sha(hub.weights)
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
    assert head.headers["etag"] == f'"{_sha(hub.weights)}"'
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
