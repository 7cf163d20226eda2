"""Hugging Face cards go in and come out again without losing a key of their metadata.

The corpus (hub_cards/) holds front matters read from real Hub cards, trimmed in their bodies:
Gabriel/bart-base-cnn-swe (widget, inference, train-eval-index, co2_eq_emissions,
model-index; given two base models here), nvidia Eagle2 (three base models, a merge,
`multilingual`), rajpurkar/squad (configs, dataset_info, task_ids and the creators' fields),
Salesforce/wikitext (two licences, cc-by-sa-3.0 and gfdl; several configs),
codeparrot/github-code (`code`; its licence set to the Hub's `gpl` family here),
meta-llama/Llama-3.3-70B-Instruct (llama3.3 and its gating form), RedHatAI's Llama 4 Scout
FP8 (llama4 with a name and link, keys of its own), deepseek-ai/deepseek-coder-6.7b-instruct
(`other` with `license_link: LICENSE`), stabilityai/stable-diffusion-3.5-large
(`LICENSE.md`), a c-uda card with no body, Salesforce/blip (the old `languages` key; its
licence set to the `bsd` family here), polyglot_ner (the old `languages`/`licenses` keys, a
quoted "no"), and two written for this test: `cc` with zh-Hans/zh-Hant, `lgpl` + `lgpl-lr`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from aifhub.catalog.models import Asset
from aifhub.core.migrate import upgrade

from ..factories import api_user, make_org
from ..web.helpers import HTML
from .helpers import publish

CORPUS = Path(__file__).parent / "hub_cards"
CARDS = sorted(p.name for p in CORPUS.glob("*.md"))

# What the catalogue indexes of each card (the columns search and the pages use).
INDEX: dict[str, dict[str, object]] = {
    "model-bart-base-cnn-swe.md": {
        "license": "mit", "languages": ["sv"], "tags": ["summarization"],
        "base_model": "KBLab/bart-base-swedish-cased",
        "base_models": ["KBLab/bart-base-swedish-cased", "facebook/bart-base"],
        "training_datasets": ["Gabriel/cnn_daily_swe"],
    },
    "model-eagle2-merge.md": {
        "license": "cc-by-nc-4.0", "languages": ["multilingual"], "task": "image-text-to-text",
        "base_models": ["google/paligemma-3b-mix-448", "Qwen/Qwen2.5-0.5B-Instruct",
                        "google/siglip-so400m-patch14-384"],
        "library_name": "transformers",
    },
    "dataset-squad.md": {
        "license": "cc-by-sa-4.0", "languages": ["en"], "task": "question-answering",
        "size_category": "10K<n<100K", "name": "SQuAD",
    },
    "dataset-wikitext.md": {
        "license": "cc-by-sa-3.0", "task": "text-generation", "size_category": "1M<n<10M",
        "name": "WikiText",
    },
    "dataset-github-code.md": {
        "license": "gpl", "languages": ["code"], "task": "text-generation",
        "size_category": None,
    },
    "model-llama-3.3-70b-instruct.md": {
        "license": "llama3.3", "languages": ["en", "fr", "it", "pt", "hi", "es", "th", "de"],
        "base_models": ["meta-llama/Llama-3.1-70B"], "tags": ["facebook", "meta", "pytorch",
                                                          "llama", "llama-3"],
    },
    "model-llama-4-scout-fp8.md": {
        "license": "llama4", "license_name": "llama4",
        "license_link": "https://www.llama.com/llama4/license/", "task": "image-text-to-text",
        "base_models": ["meta-llama/Llama-4-Scout-17B-16E-Instruct"],
    },
    "model-deepseek-coder-6.7b-instruct.md": {
        "license": "other", "license_name": "deepseek", "license_link": "LICENSE",
    },
    "model-stable-diffusion-3.5-large.md": {
        "license": "other", "license_name": "stabilityai-ai-community",
        "license_link": "LICENSE.md", "task": "text-to-image", "languages": ["en"],
    },
    "dataset-recibos-c-uda.md": {"license": "c-uda", "card": ""},
    "model-blip-captioning-bsd.md": {"license": "bsd", "languages": ["en"],
                                     "task": "image-to-text"},
    "dataset-polyglot-ner-legacy.md": {
        "license": "unknown", "name": "Polyglot-NER", "task": "token-classification",
        "size_category": None,
    },
    "dataset-chinese-news-zh-hans.md": {
        "license": "cc", "languages": ["zh", "zh-Hans", "zh-Hant"], "name": "中文新闻分类",
    },
    "dataset-morphalou-lgpl.md": {"license": "lgpl", "languages": ["fr"],
                                  "task": "token-classification"},
}  # fmt: skip


def split(text: str) -> tuple[str, str]:
    """The front matter text (between the fences) and the body of a card."""
    assert text.startswith("---\n")
    front, _, body = text[4:].partition("\n---\n")
    return front, body.lstrip("\n")


async def owner(client, db) -> dict[str, str]:
    h = await api_user(db, "owner@hub.example")
    await make_org(client, h, "hub")
    return h


async def import_card(client, h, name: str, text: str):
    kind = name.split("-", 1)[0]
    slug = "hub/" + name.removesuffix(".md").split("-", 1)[1].replace(".", "-")
    r = await client.post(
        "/api/v1/catalog/import",
        params={"organisation": "hub", "slug": slug, "kind": kind},
        content=text.encode(),
        headers=h,
    )
    return slug, r


def test_corpus_covers_what_real_cards_carry():
    """The corpus holds every key and value the lossless import exists for."""
    texts = {name: (CORPUS / name).read_text() for name in CARDS}
    metas = [yaml.safe_load(split(t)[0]) or {} for t in texts.values()]
    keys = {k for m in metas for k in m}
    for key in ("model-index", "widget", "co2_eq_emissions", "configs", "dataset_info",
                "task_ids", "annotations_creators", "language_creators", "multilinguality",
                "source_datasets", "paperswithcode_id", "base_model_relation"):  # fmt: skip
        assert key in keys, key
    licences = {lic for m in metas for lic in ([m.get("license")] if isinstance(m.get(
        "license"), str) else m.get("license") or m.get("licenses") or [])}  # fmt: skip
    assert {"bsd", "cc", "gpl", "lgpl", "gfdl", "c-uda", "llama3.3", "llama4", "other"} <= licences
    langs = {v for m in metas for v in (m.get("language") or [])}
    assert {"code", "multilingual", "zh-Hans"} <= langs
    assert set(INDEX) == set(CARDS)


@pytest.mark.parametrize("name", CARDS)
async def test_real_card_round_trips_byte_for_byte(client, db, name):
    h = await owner(client, db)
    original = (CORPUS / name).read_text()
    slug, r = await import_card(client, h, name, original)
    assert r.status_code == 201, r.text
    asset = r.json()
    for field, want in INDEX[name].items():
        assert asset[field] == want, (field, asset[field])
    if "base_models" in INDEX[name]:
        assert asset["base_model"] == INDEX[name]["base_models"][0]  # type: ignore[index]
    exported = (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text
    front, body = split(exported)
    want_front, want_body = split(original)
    assert front == want_front  # the same text, so the same data
    assert yaml.safe_load(front) == yaml.safe_load(want_front)
    assert body == want_body
    # The export imports again to the same description, and exports the same text again.
    r = await client.put(f"/api/v1/catalog/{slug}/card", content=exported.encode(), headers=h)
    assert r.status_code == 200, r.text
    assert {k: v for k, v in r.json().items() if k != "updated_at"} == {
        k: v for k, v in asset.items() if k != "updated_at"
    }
    again = (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text
    assert again == exported


async def test_an_edit_rewrites_only_its_own_key(client, db):
    h = await owner(client, db)
    original = (CORPUS / "model-bart-base-cnn-swe.md").read_text()
    slug, r = await import_card(client, h, "model-bart-base-cnn-swe.md", original)
    assert r.status_code == 201, r.text
    r = await client.patch(
        f"/api/v1/catalog/{slug}",
        json={"license": "apache-2.0", "tags": ["summarization", "swedish"],
              "base_models": ["KBLab/bart-base-swedish-cased"], "summary": "Svensk."},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["base_model"] == "KBLab/bart-base-swedish-cased"
    front, _ = split((await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text)
    want = yaml.safe_load(split(original)[0])
    want.update(license="apache-2.0", tags=["summarization", "swedish"],
                base_model="KBLab/bart-base-swedish-cased")  # fmt: skip
    assert yaml.safe_load(front) == want  # model-index, widget, co2... untouched
    # An edit that changes nothing of the card leaves its text as it is.
    before = (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text
    r = await client.patch(f"/api/v1/catalog/{slug}", json={"contact": "a@b.example"}, headers=h)
    assert r.status_code == 200
    assert (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text == before


async def test_a_new_card_is_the_whole_description(client, db):
    h = await owner(client, db)
    slug, r = await import_card(
        client, h, "model-llama-3.3-70b-instruct.md",
        (CORPUS / "model-llama-3.3-70b-instruct.md").read_text(),
    )  # fmt: skip
    assert r.status_code == 201
    card = "---\nlicense: llama3.3\nlanguage: fr\n---\n\n# Llama\n\nUn modèle.\n"
    r = await client.put(f"/api/v1/catalog/{slug}/card", content=card.encode(), headers=h)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["languages"] == ["fr"] and a["tags"] == [] and a["base_models"] == []
    assert a["base_model"] is None and a["library_name"] is None
    assert (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text == card
    # Without front matter a card replaces the body only.
    r = await client.put(f"/api/v1/catalog/{slug}/card", content=b"# Llama\n\nAutre.\n", headers=h)
    assert r.status_code == 200 and r.json()["languages"] == ["fr"]
    exported = (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text
    assert exported == "---\nlicense: llama3.3\nlanguage: fr\n---\n\n# Llama\n\nAutre.\n"


async def test_a_windows_card_keeps_its_line_ends(client, db):
    h = await owner(client, db)
    text = (CORPUS / "dataset-squad.md").read_text().replace("\n", "\r\n")
    slug, r = await import_card(client, h, "dataset-squad.md", text)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "SQuAD" and r.json()["task"] == "question-answering"
    exported = (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text
    raw = text.split("\n---\r\n", 1)[0].removeprefix("---\r\n")
    assert exported.startswith(f"---\n{raw}\n---\n")


async def test_a_long_card_body_is_kept_whole(client, db):
    h = await owner(client, db)
    text = (CORPUS / "model-deepseek-coder-6.7b-instruct.md").read_text()
    text += "\n".join(f"| {i} | row of a long evaluation table |" for i in range(3000)) + "\n"
    assert len(text) > 90_000
    slug, r = await import_card(client, h, "model-deepseek-coder-6.7b-instruct.md", text)
    assert r.status_code == 201, r.text
    exported = (await client.get(f"/api/v1/catalog/{slug}/README.md", headers=h)).text
    assert split(exported) == split(text)


@pytest.mark.parametrize(
    "front, needle",
    [
        ("license: made-up-1.0", "unknown licence 'made-up-1.0'"),
        ("license: [mit, nope-2.0]", "unknown licence 'nope-2.0'"),
        ("license: other\nlicense_name: mine", "license_name and license_link"),
        ("license: other\nlicense_name: x\nlicense_link: 'javascript:alert(1)'", "license_link"),
        ("license: other\nlicense_name: x\nlicense_link: ../../etc/passwd", "license_link"),
        ("language: [en, en_US]", "'en_US' is not a language tag"),
        ("language: [fr, english!]", "'english!' is not a language tag"),
        ("language: {a: 1}", "'language' must be a string or a list"),
        ("language: [fr, yes]", "yes/no value"),
        ("size_categories: [lots]", "size category"),
        ("base_model: {a: 1}", "'base_model' must be a string or a list"),
    ],
)
async def test_invalid_cards_are_422_naming_the_value(client, db, front, needle):
    h = await owner(client, db)
    card = f"---\n{front}\n---\n\n# Bad\n"
    r = await client.post(
        "/api/v1/catalog/import",
        params={"organisation": "hub", "slug": "hub/bad", "kind": "model"},
        content=card.encode(),
        headers=h,
    )
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"], r.json()["detail"]
    assert await db.scalar(select(func.count()).select_from(Asset)) == 0


@pytest.mark.parametrize("lang, fr_words", [("en", None), ("fr", "Modèles de base")])
async def test_the_page_shows_an_imported_card(client, db, lang, fr_words):
    h = await owner(client, db)
    for name in ("model-eagle2-merge.md", "model-deepseek-coder-6.7b-instruct.md"):
        slug, r = await import_card(client, h, name, (CORPUS / name).read_text())
        assert r.status_code == 201, r.text
        await publish(client, h, slug, "v1", {"LICENSE": b"licence text"})
    client.cookies.set("lang", lang)
    page = (await client.get("/catalog/hub/eagle2-merge", headers=HTML)).text
    assert "google/paligemma-3b-mix-448, Qwen/Qwen2.5-0.5B-Instruct" in page
    assert "We are thrilled to release" in page
    assert (fr_words or "Base models") in page
    page = (await client.get("/catalog/hub/deepseek-coder-6-7b-instruct", headers=HTML)).text
    assert "deepseek" in page and 'href="#"' not in page
    assert ("texte dans le fichier LICENSE" if lang == "fr" else "text in the file LICENSE") in page


def test_migration_carries_the_base_model_into_base_models(tmp_path):
    """catalog_0013 on a database with assets: each base_model becomes base_models' one entry."""
    db_file = tmp_path / "before.db"
    url = f"sqlite+aiosqlite:///{db_file}"
    upgrade(url, "identity_0012")
    now = "2026-12-03 10:00:00"
    with sqlite3.connect(db_file) as conn:
        for i, base in ((1, "mistralai/Mistral-7B-v0.1"), (2, None)):
            conn.execute(
                "INSERT INTO catalog_assets (id, kind, org_id, slug, name, summary, card, license,"
                " tags, languages, sectors, sovereignty, training_datasets, metrics, citation,"
                " access_policy, policy_rules, gate_questions, grant_days, search_text,"
                " downloads, created_at, updated_at, base_model) VALUES (?, 'model', 1, ?, 'M',"
                " '', '', 'mit', '[]', '[]', '[]', 'unknown', '[]', '[]', '', 'open', '{}', '[]',"
                " 365, '', 0, ?, ?, ?)",
                (i, f"o/m{i}", now, now, base),
            )
    upgrade(url)
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT base_models, card_metadata FROM catalog_assets ORDER BY id")
        assert [(json.loads(b), m) for b, m in rows] == [
            (["mistralai/Mistral-7B-v0.1"], None),
            ([], None),
        ]
