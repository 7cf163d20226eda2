"""Demo data of the support domain: experts with profiles and knowledge-base articles.

Called by `aifhub.demo.load_demo` once the identity demo (its admin) exists.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.identity import DEMO_PASSWORD, create_user, get_user_by_email
from aifhub.schemas import support as support_schemas
from aifhub.support import experts, kb

EXPERTS = [
    # (email, name, headline, skills, sectors, languages, capacity)
    (
        "expert@aifhub.example",
        "Élise Expert",
        "GPU porting and performance on Jean Zay",
        ["gpu-porting", "hpc-performance", "slurm-usage", "containers"],
        ["aeronautics", "energy"],
        ["fr", "en"],
        6,
    ),
    (
        "rocm.expert@aifhub.example",
        "Rachid Rocm",
        "AMD MI250X/MI300A porting on Adastra",
        ["rocm-porting", "hpc-performance", "distributed-training"],
        ["energy", "materials"],
        ["fr", "en"],
        4,
    ),
    (
        "llm.expert@aifhub.example",
        "Lena LLM",
        "LLM fine-tuning and distributed training",
        ["llm-fine-tuning", "distributed-training", "inference-serving", "mlops"],
        ["humanities", "education"],
        ["en", "de", "fr"],
        5,
    ),
    (
        "vision.expert@aifhub.example",
        "Victor Vision",
        "Medical imaging and health data",
        ["computer-vision", "data-governance", "data-engineering"],
        ["health"],
        ["fr", "en"],
        4,
    ),
    (
        "sciml.expert@aifhub.example",
        "Sofia SciML",
        "Surrogates, GNNs and forecasting",
        ["scientific-ml", "time-series", "data-engineering"],
        ["aeronautics", "energy", "mobility", "agronomy"],
        ["en", "nl"],
        4,
    ),
]

ARTICLES = [
    (
        "slurm-job-pending",
        "Why is my Slurm job pending?",
        "compute",
        ["slurm", "queue"],
        "Run `squeue -u $USER` and read the REASON column. Priority means others come first "
        "(fair share); Resources means the nodes are busy; QOSMaxWallDurationPerJobLimit means "
        "your time limit exceeds the QoS: use qos_gpu-t4 for jobs over 20 h.",
    ),
    (
        "port-cuda-to-rocm",
        "Porting CUDA code to ROCm on MI250X",
        "performance",
        ["rocm", "hip", "amd"],
        "Start with hipify-perl on your kernels, build with hipcc, and select MI250 nodes with "
        "--constraint=MI250. Slurm shows 8 GPUs per node: each MI250X has two GCDs.",
    ),
    (
        "multi-node-pytorch",
        "Multi-node PyTorch training with torchrun and srun",
        "compute",
        ["distributed", "pytorch", "nccl"],
        "Launch one task per node with srun and torchrun inside it, set MASTER_ADDR from the "
        "first node of SLURM_JOB_NODELIST, and check NCCL_DEBUG=INFO when the job hangs.",
    ),
    (
        "health-data-gdpr",
        "Bringing health data to the factory (GDPR)",
        "data",
        ["gdpr", "health", "anonymisation"],
        "Pseudonymise before upload, keep the re-identification key outside the factory, and "
        "record the legal basis of the processing in the project's data management plan.",
    ),
    (
        "containers-apptainer",
        "Running containers with Apptainer",
        "compute",
        ["containers", "apptainer", "docker"],
        "Compute nodes have no internet: build the image elsewhere, copy the .sif file, and run "
        "it with `apptainer exec --nv` (NVIDIA) or `--rocm` (AMD).",
    ),
]


async def load_support_demo(session: AsyncSession, *, admin_email: str) -> None:
    """Experts (accounts and profiles) and knowledge-base articles."""
    admin = await get_user_by_email(session, admin_email)
    if admin is None:
        raise ValueError(f"the demo admin {admin_email} must exist first")
    for email, name, headline, skills, sectors, langs, cap in EXPERTS:
        user = await get_user_by_email(session, email) or await create_user(
            session,
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            staff_roles=["expert"],
            email_verified=True,
        )
        await experts.upsert_profile(
            session,
            admin,
            user.id,
            data=support_schemas.ExpertProfileUpdate(
                headline=headline, skills=skills, sectors=sectors, languages=langs, capacity=cap
            ),
        )
    for slug, title, category, tags, body in ARTICLES:
        await kb.create_article(
            session,
            admin,
            data=support_schemas.ArticleCreate(
                slug=slug, title=title, body=body, category=category, tags=tags
            ),
        )
