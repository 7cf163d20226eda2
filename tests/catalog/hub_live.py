"""The live server of the Hub API tests: seeded users and tokens, published repos, and the
huggingface_hub client run in its own process, configured by environment as a user does."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import httpx
import tokenizers

from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.identity import credentials
from aifhub.identity.service import create_user
from aifhub.schemas import identity as identity_schemas

from ..factories import PASSWORD

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


async def seed(url: str) -> dict[str, str]:
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


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _publish(c: httpx.Client, slug: str, label: str, files: dict[str, bytes]) -> None:
    r = c.post(f"/api/v1/catalog/{slug}/versions", json={"label": label})
    assert r.status_code == 201, r.text
    for path, data in files.items():
        r = c.put(
            f"/api/v1/catalog/{slug}/versions/{label}/files/{path}",
            content=data,
            headers={"X-Content-SHA256": sha(data)},
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


def populate(url: str, tokens: dict[str, str], weights: bytes, secret: bytes) -> None:
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
