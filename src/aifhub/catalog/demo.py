"""Demo catalogue: real public models and datasets (metadata only) and two synthetic datasets
with files, one gated and one restricted, to walk through access contracts."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub import identity
from aifhub.catalog import assets
from aifhub.catalog.models import AssetFile, AssetVersion
from aifhub.core.db import utcnow
from aifhub.identity.models import User
from aifhub.schemas import catalog as schemas
from aifhub.schemas import identity as identity_schemas
from aifhub.schemas.enums.identity import OrgKind, Sector
from aifhub.storage import ObjectStore, put_bytes

MIRROR = "Metadata from the Hugging Face Hub; the files are not mirrored in this demo."

# Public assets: only facts from their published cards.
PUBLIC: list[dict[str, Any]] = [
    dict(kind="model", slug="mistralai/mistral-7b-v0.1", name="Mistral-7B-v0.1",
         summary="A 7-billion-parameter pretrained generative text model by Mistral AI.",
         license="apache-2.0", task="text-generation", languages=["en"],
         library_name="transformers", modality="text", origin_country="FR",
         tags=["pretrained", "mistral"]),
    dict(kind="model", slug="bigscience/bloom", name="BLOOM",
         summary="A 176-billion-parameter open multilingual language model trained by the "
         "BigScience workshop on the Jean Zay supercomputer.",
         license="bigscience-bloom-rail-1.0", task="text-generation",
         languages=["fr", "en", "es", "pt", "ar", "zh", "vi", "ca", "eu"],
         library_name="transformers", modality="text", origin_country="FR",
         tags=["multilingual", "jean-zay"]),
    dict(kind="model", slug="openllm-france/lucie-7b", name="Lucie-7B",
         summary="A 7-billion-parameter French-English causal language model by OpenLLM-France, "
         "trained on Jean Zay.",
         license="apache-2.0", task="text-generation", languages=["fr", "en", "de", "es", "it"],
         library_name="transformers", modality="text", origin_country="FR",
         training_datasets=["OpenLLM-France/Lucie-Training-Dataset"], tags=["french", "open"]),
    dict(kind="model", slug="almanach/camembert-base", name="CamemBERT base",
         summary="A French language model based on RoBERTa, by Inria's ALMAnaCH team.",
         license="mit", task="fill-mask", languages=["fr"], library_name="transformers",
         modality="text", origin_country="FR", training_datasets=["oscar"],
         tags=["french", "roberta"]),
    dict(kind="model", slug="croissantllm/croissantllmbase", name="CroissantLLM Base",
         summary="A 1.3-billion-parameter bilingual French-English language model.",
         license="mit", task="text-generation", languages=["fr", "en"],
         library_name="transformers", modality="text", origin_country="FR",
         tags=["french", "bilingual"]),
    dict(kind="dataset", slug="wikimedia/wikipedia", name="Wikipedia",
         summary="Cleaned articles of every Wikipedia language edition, one configuration per "
         "dump date and language.",
         license="cc-by-sa-3.0", task="text-generation", languages=["fr", "en", "de", "es", "it"],
         modality="text", origin_country="US", tags=["encyclopedia", "multilingual"]),
    dict(kind="dataset", slug="huggingfacefw/fineweb-2", name="FineWeb 2",
         summary="Multilingual pretraining text from Common Crawl, filtered per language.",
         license="odc-by", task="text-generation", languages=["fr", "de", "es", "it", "nl"],
         modality="text", tags=["web", "pretraining", "multilingual"]),
    dict(kind="dataset", slug="mozilla-foundation/common_voice_17_0",
         name="Common Voice Corpus 17.0",
         summary="Crowd-sourced recordings of read sentences with transcriptions, in many "
         "languages.",
         license="cc0-1.0", task="automatic-speech-recognition",
         languages=["fr", "en", "de", "br", "eu"], modality="audio", origin_country="US",
         tags=["speech", "crowdsourced"]),
]  # fmt: skip

GATE = [
    {"name": "affiliation", "label": "Affiliation", "type": "text"},
    {"name": "ethics", "label": "An ethics committee approved the project", "type": "checkbox"},
    {"name": "use", "label": "Intended use", "type": "select", "options": ["research", "product"]},
]
EU_ONLY_NO_EXPORT = {
    "permission": [
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "country", "operator": "isPartOf", "rightOperand": "EU"},
                {"leftOperand": "orgKind", "operator": "isAnyOf",
                 "rightOperand": ["startup", "sme", "academic", "public_body"]},
            ],
            "duty": [{"action": "attribute"}],
        }
    ],
    "prohibition": [{"action": "export"}],
}  # fmt: skip


def _csv(rows: int, seed: str) -> bytes:
    lines = ["id,value,checksum"]
    for i in range(rows):
        h = hashlib.sha256(f"{seed}{i}".encode()).hexdigest()
        lines.append(f"{i},{int(h[:6], 16) / 1e6:.6f},{h[:8]}")
    return ("\n".join(lines) + "\n").encode()


async def _version_with_files(
    session: AsyncSession, store: ObjectStore, asset_id: int, files: dict[str, bytes]
) -> None:
    version = AssetVersion(asset_id=asset_id, label="v1", state="published", notes="",
                           published_at=utcnow(),
                           total_bytes=sum(map(len, files.values())))  # fmt: skip
    session.add(version)
    await session.flush()
    for path, data in files.items():
        stored = put_bytes(store, data)
        session.add(
            AssetFile(version_id=version.id, path=path, sha256=stored.sha256, size=stored.size)
        )


async def load_catalog_demo(session: AsyncSession, store: ObjectStore) -> None:
    """Add the demo catalogue (called by aifhub.demo after the organisations exist)."""
    admin = await session.scalar(select(User).where(User.email == "admin@aifhub.example"))
    assert admin is not None
    await identity.create_org(
        session,
        admin,
        data=identity_schemas.OrganisationCreate(
            slug="factory-catalogue", name="AI Factory catalogue", kind=OrgKind.PUBLIC_BODY,
            country="FR", sectors=[Sector.OTHER],
        ),
    )  # fmt: skip
    for fields in PUBLIC:
        data = schemas.AssetCreate.model_validate(
            {**fields, "organisation": "factory-catalogue", "card": MIRROR, "hosted_country": None}
        )
        mirror = await assets.create_asset(session, admin, data=data)
        # Only assets with a published version are listed: the mirror publishes its card.
        await _version_with_files(session, store, mirror.id, {"README.md": MIRROR.encode()})
    neuro = await session.scalar(select(User).where(User.email == "alice@neuroscan.example"))
    aero = await session.scalar(select(User).where(User.email == "bruno@aerosim.example"))
    assert neuro is not None and aero is not None
    mri = await assets.create_asset(session, neuro, data=schemas.AssetCreate(
        kind="dataset", organisation="neuroscan", slug="neuroscan/mri-features-synthetic",
        name="Synthetic brain MRI features",
        summary="Synthetic radiomics features shaped like anonymised MRI data (demo).",
        license="cc-by-nc-4.0", task="tabular-classification", modality="tabular",
        sectors=["health"], origin_country="FR", hosted_country="FR", access_policy="gated",
        gate_questions=GATE, size_category="n<1K", tags=["synthetic", "radiomics"],
    ))  # fmt: skip
    await _version_with_files(session, store, mri.id, {"features.csv": _csv(500, "mri")})
    cfd = await assets.create_asset(session, aero, data=schemas.AssetCreate(
        kind="dataset", organisation="aerosim", slug="aerosim/wing-cfd-snapshots-synthetic",
        name="Synthetic wing CFD snapshots",
        summary="Synthetic pressure fields around a wing profile (demo), EU use only, "
        "no export outside the factory.",
        license="other", license_name="AeroSim data licence (demo)",
        license_link="https://aerosim.example/licence", task="tabular-regression",
        modality="tabular", sectors=["aeronautics"], origin_country="FR", hosted_country="FR",
        access_policy="restricted", policy_rules=EU_ONLY_NO_EXPORT, size_category="1K<n<10K",
        tags=["synthetic", "cfd"],
    ))  # fmt: skip
    await _version_with_files(
        session, store, cfd.id, {"snapshots/part-0.csv": _csv(2000, "cfd0"),
                                    "snapshots/part-1.csv": _csv(2000, "cfd1")}
    )  # fmt: skip
