"""Demo data of the ecosystem domain: courses with sessions, partners and a job offer.

Names of programmes and funds are fictional. Called by `aifhub.demo.load_demo`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.ecosystem import partners, talent, training
from aifhub.identity import get_user_by_email
from aifhub.schemas import ecosystem as schemas

COURSES = [
    (
        "gpu-101",
        "GPU computing for beginners",
        "beginner",
        ["cuda", "slurm", "gpu"],
        [],
        "First steps on a GPU cluster: modules, Slurm jobs, CUDA basics.",
        24,
        "online",
        "fr",
    ),
    (
        "llm-finetuning",
        "Fine-tuning LLMs on a supercomputer",
        "intermediate",
        ["llm", "lora", "deepspeed"],
        ["humanities", "education"],
        "LoRA and full fine-tuning of open LLMs on multi-GPU nodes.",
        16,
        "onsite",
        "en",
    ),
    (
        "distributed-dl",
        "Distributed deep learning at scale",
        "advanced",
        ["fsdp", "megatron", "multi-node"],
        [],
        "Data, tensor and pipeline parallelism; profiling multi-node runs.",
        12,
        "onsite",
        "en",
    ),
    (
        "rocm-porting",
        "Porting to AMD GPUs with ROCm",
        "intermediate",
        ["rocm", "hip"],
        ["energy", "materials"],
        "HIP, hipify and performance on MI250X/MI300A.",
        2,
        "online",
        "en",
    ),
    (
        "medical-imaging",
        "Deep learning for medical imaging",
        "intermediate",
        ["segmentation", "mri", "gdpr"],
        ["health"],
        "Segmentation of MRI/CT with U-Nets; handling health data.",
        20,
        "online",
        "fr",
    ),
]

PARTNERS: list[dict[str, Any]] = [
    {
        "slug": "halle-numerique",
        "name": "Halle Numérique Founders Programme",
        "kind": "incubator",
        "location": "Paris",
        "country": "FR",
        "sectors": [],
        "stages": ["idea", "pre_seed", "seed"],
        "description": "A campus programme for early AI startups: desks, mentors, investor days.",
        "programme": "Six months, cohorts twice a year, compute credits with the factory.",
    },
    {
        "slug": "medtech-lab",
        "name": "MedTech Lab Incubator",
        "kind": "incubator",
        "location": "Lyon",
        "country": "FR",
        "sectors": ["health"],
        "stages": ["pre_seed", "seed"],
        "description": "Incubator for medical AI startups: clinical and regulatory help.",
        "programme": "Twelve months with hospital partners and a regulatory track.",
    },
    {
        "slug": "agri-accelerator",
        "name": "AgriFood Accelerator",
        "kind": "incubator",
        "location": "Wageningen",
        "country": "NL",
        "sectors": ["agronomy"],
        "stages": ["seed", "series_a"],
        "countries": ["NL", "FR", "BE"],
        "description": "Accelerator for agritech startups with field trials.",
        "programme": "Three-month sprint ending with a demo day.",
    },
    {
        "slug": "deeptech-seed",
        "name": "DeepTech Seed Fund",
        "kind": "fund",
        "location": "Paris",
        "country": "FR",
        "sectors": ["health", "robotics", "materials"],
        "stages": ["pre_seed", "seed"],
        "countries": ["FR", "DE", "BE"],
        "ticket_min_eur": 200_000,
        "ticket_max_eur": 2_000_000,
        "description": "Seed fund for deeptech AI startups from research labs.",
    },
    {
        "slug": "transition-fund",
        "name": "Energy Transition Fund",
        "kind": "fund",
        "location": "Munich",
        "country": "DE",
        "sectors": ["energy", "mobility"],
        "stages": ["series_a", "growth"],
        "countries": ["DE", "FR", "NL", "AT"],
        "ticket_min_eur": 2_000_000,
        "ticket_max_eur": 15_000_000,
        "description": "Series A and growth fund for grid, mobility and climate technology.",
    },
    {
        "slug": "industrial-ai-fund",
        "name": "Industrial AI Co-investment Fund",
        "kind": "fund",
        "location": "Toulouse",
        "country": "FR",
        "sectors": ["aeronautics", "energy", "materials"],
        "stages": ["seed", "series_a", "growth"],
        "countries": ["FR"],
        "startups_only": False,
        "ticket_min_eur": 500_000,
        "ticket_max_eur": 5_000_000,
        "description": "Co-invests in AI projects of SMEs and industrial companies.",
    },
]


async def load_ecosystem_demo(session: AsyncSession, *, admin_email: str) -> None:
    """Courses with sessions, partners and a job offer."""
    admin = await get_user_by_email(session, admin_email)
    if admin is None:
        raise ValueError(f"the demo admin {admin_email} must exist first")
    today = datetime.now(UTC).date()
    for i, (slug, title, level, topics, sectors, summary, seats, fmt, lang) in enumerate(COURSES):
        await training.create_course(
            session,
            admin,
            data=schemas.CourseCreate(
                slug=slug,
                title=title,
                level=level,
                topics=topics,
                sectors=sectors,
                summary=summary,
            ),
        )
        for weeks in (2 + i, 8 + i):
            start = datetime.combine(today + timedelta(weeks=weeks), time(8, 0), UTC)
            await training.add_session(
                session,
                admin,
                slug,
                data=schemas.SessionCreate(
                    format=fmt,
                    language=lang,
                    seats=seats,
                    starts_at=start,
                    ends_at=start + timedelta(hours=8),
                    location="IDRIS, Orsay" if fmt == "onsite" else "",
                ),
            )
    for p in PARTNERS:
        await partners.create_partner(session, admin, data=schemas.PartnerCreate(**p))
    owner = await get_user_by_email(session, "alice@neuroscan.example")
    if owner is not None:
        await talent.create_offer(
            session,
            owner,
            data=schemas.OfferCreate(
                organisation="neuroscan",
                kind="internship",
                title="Medical imaging ML intern",
                description="Six months on 3D segmentation of brain MRI.",
                location="Paris",
                skills=["pytorch", "segmentation"],
            ),
        )
