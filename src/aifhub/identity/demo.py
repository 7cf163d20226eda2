"""Demo data of the identity domain: staff, organisations of each kind, members, projects."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.identity import projects as project_service
from aifhub.identity import service
from aifhub.schemas import identity as schemas
from aifhub.schemas.enums.identity import OrgKind, Sector

DEMO_PASSWORD = "demo-password"

STAFF = [
    ("admin@aifhub.example", "Camille Admin", ["admin"], "staff admin"),
    ("reviewer@aifhub.example", "Rémi Reviewer", ["reviewer"], "staff reviewer"),
    ("expert@aifhub.example", "Élise Expert", ["expert"], "HPC/AI expert"),
    ("support@aifhub.example", "Sam Support", ["support"], "support desk"),
]

# (slug, name, kind, country, sectors, owner, members, projects[(slug, name, sector, desc)])
ORGS = [
    (
        "neuroscan",
        "NeuroScan Health",
        OrgKind.STARTUP,
        "FR",
        [Sector.HEALTH],
        "alice@neuroscan.example",
        ["nadia@neuroscan.example"],
        [
            (
                "brain-mri-seg",
                "Brain MRI segmentation",
                Sector.HEALTH,
                "Fine-tuning a 3D U-Net and a vision transformer on anonymised MRI scans.",
            )
        ],
    ),
    (
        "aerosim",
        "AeroSim Industries",
        OrgKind.LARGE_COMPANY,
        "FR",
        [Sector.AERONAUTICS, Sector.ENERGY],
        "bruno@aerosim.example",
        ["chloe@aerosim.example"],
        [
            (
                "cfd-surrogate",
                "CFD surrogate models",
                Sector.AERONAUTICS,
                "Graph neural network surrogates of turbulent flows around wings.",
            ),
            (
                "engine-twin",
                "Engine digital twin",
                Sector.ENERGY,
                "Physics-informed models of turbofan wear from sensor data.",
            ),
        ],
    ),
    (
        "agrivision",
        "AgriVision",
        OrgKind.SME,
        "NL",
        [Sector.AGRONOMY],
        "daan@agrivision.example",
        [],
        [
            (
                "crop-yield",
                "Crop yield from satellite images",
                Sector.AGRONOMY,
                "Sentinel-2 time series and a temporal transformer for yield forecasts.",
            )
        ],
    ),
    (
        "lab-lumiere",
        "Laboratoire Lumière IA",
        OrgKind.ACADEMIC,
        "FR",
        [Sector.HUMANITIES, Sector.EDUCATION],
        "eve@lumiere.example",
        ["farid@lumiere.example"],
        [
            (
                "llm-fr-patrimoine",
                "French heritage LLM",
                Sector.HUMANITIES,
                "Continued pre-training of an open French LLM on digitised archives.",
            )
        ],
    ),
    (
        "gridwise",
        "GridWise Energy",
        OrgKind.SME,
        "DE",
        [Sector.ENERGY, Sector.MOBILITY],
        "greta@gridwise.example",
        [],
        [
            (
                "ev-demand",
                "EV charging demand forecasting",
                Sector.MOBILITY,
                "Spatio-temporal forecasting of charging demand across a regional grid.",
            )
        ],
    ),
]

ADMIN_EMAIL = STAFF[0][0]

DEMO_LOGINS = [(e, what) for e, _, _, what in STAFF] + [
    (o[5], f"owner of {o[1]}, PI") for o in ORGS
]


async def load_identity_demo(session: AsyncSession) -> None:
    """Staff accounts; organisations with their members (invited, then accepting) and projects."""
    for email, name, roles, _ in STAFF:
        await service.create_user(
            session,
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            staff_roles=roles,
            email_verified=True,
        )
    for slug, name, kind, country, sectors, owner, members, projects in ORGS:
        owner_user = await service.create_user(
            session,
            email=owner,
            name=owner.split("@")[0].title(),
            password=DEMO_PASSWORD,
            email_verified=True,
        )
        await service.create_org(
            session,
            owner_user,
            data=schemas.OrganisationCreate(
                slug=slug, name=name, kind=kind, country=country, sectors=sectors
            ),
        )
        for email in members:
            member = await service.create_user(
                session,
                email=email,
                name=email.split("@")[0].title(),
                password=DEMO_PASSWORD,
                email_verified=True,
            )
            # Members join as everyone does: invited, then accepting.
            inv = await service.invite(session, owner_user, slug, email=email, role="member")
            await service.accept_invitation(session, member, inv.id)
        for p_slug, p_name, sector, desc in projects:
            await project_service.create_project(
                session,
                owner_user,
                data=schemas.ProjectCreate(
                    slug=p_slug,
                    name=p_name,
                    organisation=slug,
                    sector=sector,
                    description=desc,
                ),
            )
            for email in members:
                await project_service.add_project_member(
                    session, owner_user, p_slug, email=email, role="member"
                )
