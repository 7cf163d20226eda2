"""Demo data of the access domain: applications in various states and active allocations."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access import applications, decisions, reviews
from aifhub.access.modes import CRITERIA, modes_from_site, sync_modes
from aifhub.core.config import SiteConfig
from aifhub.identity.models import User
from aifhub.resources import Cluster, Partition
from aifhub.schemas.access import ApplicationCreate, ItemIn
from aifhub.schemas.enums.identity import Sector

ADMIN, REVIEWER, EXPERT = "admin@aifhub.example", "reviewer@aifhub.example", "expert@aifhub.example"


async def _demo_partitions(session: AsyncSession) -> tuple[str, str]:
    """The `local` cluster's gpu and cpu partitions (created here only if compute has not)."""
    gpu = await session.scalar(select(Partition).where(Partition.key == "local/gpu"))
    cpu = await session.scalar(select(Partition).where(Partition.key == "local/cpu"))
    if gpu is None or cpu is None:
        cluster = await session.scalar(select(Cluster).where(Cluster.name == "local"))
        if cluster is None:
            cluster = Cluster(name="local", site="this machine", backend="local")
            session.add(cluster)
            await session.flush()
        if gpu is None:
            session.add(
                Partition(
                    cluster_id=cluster.id,
                    name="gpu",
                    key="local/gpu",
                    accelerator="demo GPU slot",
                    gpus_per_node=2,
                    unit="gpu_hours",
                    charge_factor=Decimal(1),
                )
            )
        if cpu is None:
            session.add(
                Partition(cluster_id=cluster.id, name="cpu", key="local/cpu", unit="cpu_hours")
            )
        await session.flush()
    return "local/gpu", "local/cpu"


def _app(
    project: str,
    mode: str,
    title: str,
    sector: Sector,
    months: int,
    hours: dict[str, int],
    **kw: object,
) -> ApplicationCreate:
    return ApplicationCreate(
        project=project,
        mode=mode,
        title=title,
        sector=sector,
        duration_months=months,
        items=[ItemIn(partition=k, amount=Decimal(v)) for k, v in hours.items()],
        technical_description=str(kw.pop("description", "")),
        datasets_models=str(kw.pop("datasets", "")),
        fallback_partitions=list(kw.pop("fallback", [])),  # type: ignore[call-overload]
    )


async def load_access_demo(session: AsyncSession, site: SiteConfig) -> None:
    """Modes, applications in each typical state and active allocations for the demo projects."""
    await sync_modes(session, modes_from_site(site, demo=True))
    gpu, cpu = await _demo_partitions(session)
    users = {u.email: u for u in await session.scalars(select(User))}
    admin, reviewer, expert = users[ADMIN], users[REVIEWER], users[EXPERT]
    scores = dict.fromkeys(CRITERIA, 4)

    async def through_technical(app_id: int) -> None:
        await decisions.start_assessment(session, admin, app_id)
        review = await reviews.assign_reviewer(
            session, admin, app_id, reviewer_email=EXPERT, step="technical"
        )
        await reviews.submit_review(
            session,
            expert,
            review.id,
            scores=scores,
            comment="Feasible on the requested partition.",
        )

    # NeuroScan: Fast Lane, accepted with a reduced amount, allocation active.
    a = await applications.create_application(
        session,
        users["alice@neuroscan.example"],
        data=_app(
            "brain-mri-seg",
            "fast-lane",
            "3D U-Net fine-tuning on MRI",
            Sector.HEALTH,
            3,
            {gpu: 2400},
            description="Fine-tuning a 3D U-Net on 4 GPUs, 200 runs of 10 h.",
            datasets="BraTS 2021 (anonymised), nnU-Net weights",
        ),
    )
    await applications.submit_application(session, users["alice@neuroscan.example"], a.id)
    await through_technical(a.id)
    await decisions.decide_application(
        session,
        admin,
        a.id,
        outcome="accept",
        reason="Sound plan; 2,000 hours are enough for the sweep.",
        granted={gpu: Decimal(2000)},
    )

    # Laboratoire Lumière: national dynamic access, validated by the director, one year.
    a = await applications.create_application(
        session,
        users["eve@lumiere.example"],
        data=_app(
            "llm-fr-patrimoine",
            "national-dynamic",
            "Continued pre-training on heritage archives",
            Sector.HUMANITIES,
            12,
            {gpu: 20000},
            description="Continued pre-training of a 7B French model on 40B tokens.",
            datasets="Gallica OCR corpus; croissantllm base",
        ),
    )
    await applications.submit_application(session, users["eve@lumiere.example"], a.id)
    await through_technical(a.id)
    await decisions.decide_application(
        session,
        admin,
        a.id,
        outcome="accept",
        reason="Validated by the centre director.",
        granted={},
    )

    # AeroSim: Large Scale in peer review (one of two peer reviews in).
    a = await applications.create_application(
        session,
        users["bruno@aerosim.example"],
        data=_app(
            "cfd-surrogate",
            "large-scale",
            "GNN surrogates of turbulent flows",
            Sector.AERONAUTICS,
            6,
            {gpu: 80000},
            description="Training graph neural network surrogates on 2 PB of LES data.",
            datasets="internal LES database",
            fallback=[cpu],
        ),
    )
    await applications.submit_application(session, users["bruno@aerosim.example"], a.id)
    await through_technical(a.id)
    await decisions.send_to_peer_review(session, admin, a.id)
    r = await reviews.assign_reviewer(session, admin, a.id, reviewer_email=REVIEWER, step="peer")
    await reviews.submit_review(
        session, reviewer, r.id, scores={**scores, "impact": 5}, comment="Strong industrial impact."
    )
    await reviews.assign_reviewer(session, admin, a.id, reviewer_email=EXPERT, step="peer")

    # AeroSim: a Fast Lane draft not yet submitted.
    await applications.create_application(
        session,
        users["bruno@aerosim.example"],
        data=_app(
            "engine-twin", "fast-lane", "Turbofan wear models", Sector.ENERGY, 2, {gpu: 1500}
        ),
    )

    # AgriVision: Playground, decided and allocated by the platform at submission (the demo
    # turns auto_decide on for Playground).
    a = await applications.create_application(
        session,
        users["daan@agrivision.example"],
        data=_app(
            "crop-yield",
            "playground",
            "First steps with temporal transformers",
            Sector.AGRONOMY,
            1,
            {gpu: 300},
        ),
    )
    await applications.submit_application(session, users["daan@agrivision.example"], a.id)

    # AgriVision then asks for more on Fast Lane: checked, waiting for staff to assess it.
    a = await applications.create_application(
        session,
        users["daan@agrivision.example"],
        data=_app(
            "crop-yield",
            "fast-lane",
            "Yield forecasts for the whole of Europe",
            Sector.AGRONOMY,
            3,
            {gpu: 4000},
            description="Scaling the temporal transformer to all Sentinel-2 tiles of the EU.",
            datasets="Sentinel-2 L2A time series; EU crop statistics",
        ),
    )
    await applications.submit_application(session, users["daan@agrivision.example"], a.id)

    # GridWise: Fast Lane sent back for changes.
    a = await applications.create_application(
        session,
        users["greta@gridwise.example"],
        data=_app(
            "ev-demand",
            "fast-lane",
            "EV demand forecasting at scale",
            Sector.MOBILITY,
            3,
            {gpu: 5000},
        ),
    )
    await applications.submit_application(session, users["greta@gridwise.example"], a.id)
    await decisions.start_assessment(session, admin, a.id)
    await decisions.request_changes(
        session,
        admin,
        a.id,
        reason="Describe the datasets and justify 5,000 hours (runs x hours x GPUs).",
    )
