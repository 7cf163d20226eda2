"""A project's profile: what the recommendations read (sector, texts, workload)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core.bm25 import tokenize
from aifhub.identity.models import Organisation, Project

# Words that say how big the GPU need is, strongest first.
LARGE = {
    "pretrain",
    "pre-train",
    "pre-training",
    "pretraining",
    "foundation",
    "billion",
    "multi-node",
    "multinode",
    "7b",
    "13b",
    "70b",
    "llm",
    "megatron",
    "deepspeed",
}
MEDIUM = {
    "fine-tun",
    "fine-tuning",
    "finetuning",
    "transformer",
    "train",
    "training",
    "gnn",
    "u-net",
    "unet",
    "diffusion",
    "vision",
    "segmentation",
    "surrogate",
    "neural",
}
CPU = {
    "preprocess",
    "preprocessing",
    "etl",
    "statistic",
    "statistics",
    "tabular",
    "xgboost",
    "cpu",
    "mpi",
    "monte",
    "carlo",
}
AMD = {"rocm", "hip", "amd", "mi250", "mi250x", "mi300", "mi300a", "adastra"}
NVIDIA = {"cuda", "nvidia", "v100", "a100", "h100", "tensorrt"}


@dataclass
class Workload:
    """What the texts say about compute: GPU need and vendor preference."""

    gpu_need: str = "medium"  # none / small / medium / large
    vendor: str | None = None  # amd / nvidia / None
    evidence: list[str] = field(default_factory=list)


def infer_workload(text: str) -> Workload:
    """Rules on words of the project's texts (transparent, so the reasons can be shown)."""
    raw = set(tokenize(text)) | set(text.lower().replace(",", " ").split())

    def hits(words: set[str]) -> list[str]:
        return sorted(
            w for w in words if w in raw or (len(w) >= 5 and any(t.startswith(w) for t in raw))
        )

    large, medium, cpu = hits(LARGE), hits(MEDIUM), hits(CPU)
    w = Workload()
    if large:
        w.gpu_need, w.evidence = "large", large
    elif medium:
        w.gpu_need, w.evidence = "medium", medium
    elif cpu:
        w.gpu_need, w.evidence = "none", cpu
    else:
        w.gpu_need, w.evidence = "small", []
    amd, nvidia = hits(AMD), hits(NVIDIA)
    if amd:  # naming ROCm means targeting AMD, even when porting from CUDA
        w.vendor = "amd"
        w.evidence += amd
    elif nvidia:
        w.vendor = "nvidia"
        w.evidence += nvidia
    return w


@dataclass
class ProjectProfile:
    """Everything the rankings know about a project."""

    slug: str
    name: str
    sector: str
    description: str
    org_kind: str | None = None
    org_country: str | None = None
    texts: list[str] = field(default_factory=list)
    workload: Workload = field(default_factory=Workload)

    @property
    def text(self) -> str:
        """All the project's text, the name first."""
        return " ".join([self.name, self.description, *self.texts])


def profile_from_text(
    *,
    slug: str,
    name: str,
    sector: str,
    description: str,
    org_kind: str | None = None,
    org_country: str | None = None,
    texts: list[str] | None = None,
) -> ProjectProfile:
    """A profile from plain values (labelled evaluation, bench, previews)."""
    p = ProjectProfile(slug, name, sector, description, org_kind, org_country, texts or [])
    p.workload = infer_workload(p.text)
    return p


async def build_profile(session: AsyncSession, project: Project) -> ProjectProfile:
    """The profile of a project from what exists (project, organisation)."""
    org = await session.get(Organisation, project.org_id)
    return profile_from_text(
        slug=project.slug,
        name=project.name,
        sector=project.sector,
        description=project.description,
        org_kind=org.kind if org else None,
        org_country=org.country if org else None,
    )
