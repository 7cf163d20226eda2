"""Recommendation latency at catalogue scale, and precision@5 of each ranking on the labelled set.

    python bench/bench_recommend.py [--catalogue 100000] [--experts 2000] [--courses 2000]

1. Ranking alone over N catalogue-like candidates: index build (cold) and query (warm).
2. End to end through `recommend_for_project` on a temporary SQLite database holding the
   experts and courses (each course with a session), with the N catalogue-like candidates
   served by an in-memory adapter standing in for the catalogue (named as such).
3. Precision@5 on tests/recommend/labelled.json for bm25, bm25+rules (and embeddings when
   the optional extra is installed).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from aifhub.core import context  # noqa: E402
from aifhub.core.bm25 import BM25Index  # noqa: E402
from aifhub.core.config import Settings  # noqa: E402
from aifhub.core.db import make_engine, make_sessionmaker  # noqa: E402
from aifhub.core.migrate import upgrade  # noqa: E402
from aifhub.recommend import embeddings  # noqa: E402
from aifhub.recommend.candidates import Candidate, register_adapter  # noqa: E402
from aifhub.recommend.evaluate import load_labelled, mean_precision  # noqa: E402
from aifhub.recommend.profile import profile_from_text  # noqa: E402
from aifhub.recommend.ranking import rank  # noqa: E402

SECTORS = [
    "health",
    "aeronautics",
    "energy",
    "materials",
    "robotics",
    "agronomy",
    "mobility",
    "finance",
    "humanities",
    "education",
]
WORDS = """segmentation classification forecasting detection translation transcription
generation retrieval mri ct xray satellite sentinel radar lidar speech audio text french
english multilingual tabular graph mesh flow turbulence wing engine grid load demand charging
crop yield soil weather climate protein molecule crystal alloy battery robot grasp trajectory
fraud credit legal medical clinical patient tumour brain lung heart archive heritage ocr
transformer unet gnn diffusion llm vit cnn lstm tokens images volumes sensors time series
pretrained finetuned instruct quantized benchmark annotated anonymised synthetic""".split()


# A catalogue's vocabulary is wide: 5,000 other words besides the domain ones above.
FILLER = [f"w{i:04d}" for i in range(5000)]


def synthetic(n: int, kind: str, rng: random.Random) -> list[Candidate]:
    """Catalogue-like candidates: 6-12 domain words and 15-30 other words, 0-2 sectors."""
    out = []
    for i in range(n):
        words = rng.sample(WORDS, rng.randint(6, 12)) + rng.sample(FILLER, rng.randint(15, 30))
        out.append(
            Candidate(
                kind,
                f"{kind}-{i}",
                " ".join(words[:4]),
                " ".join(words),
                tuple(rng.sample(SECTORS, rng.randint(0, 2))),
                {},
            )
        )
    return out


PROFILE = profile_from_text(
    slug="brain-mri-seg",
    name="Brain MRI segmentation",
    sector="health",
    description="Fine-tuning a 3D U-Net and a vision transformer on anonymised MRI scans.",
    org_kind="startup",
    org_country="FR",
)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def bench_ranking(n: int) -> None:
    rng = random.Random(7)
    cands = synthetic(n, "dataset", rng)
    t0 = time.perf_counter()
    index = BM25Index([c.text for c in cands])
    build = time.perf_counter() - t0
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        rank(PROFILE, cands, method="bm25+rules", limit=5, index=index)
        runs.append(time.perf_counter() - t0)
    print(
        f"[ranking] {n:,} candidates: index build {ms(build)}, "
        f"ranked query median {ms(statistics.median(runs))} (min {ms(min(runs))})"
    )


class SyntheticCatalogue:
    """Stand-in for the catalogue's adapter (the real one registers datasets and models)."""

    kinds = ("dataset", "model")

    def __init__(self, n: int) -> None:
        rng = random.Random(11)
        self.items = synthetic(n // 2, "dataset", rng) + synthetic(n - n // 2, "model", rng)

    async def fetch(self, session: object, actor: object) -> list[Candidate]:
        return self.items


async def seed(url: str, experts: int, courses: int) -> None:
    from aifhub.ecosystem.models import Course, CourseSession
    from aifhub.identity.models import Organisation, Project, ProjectMember, StaffRoleGrant, User
    from aifhub.support.models import ExpertProfile
    from aifhub.support.taxonomy import skills

    rng = random.Random(3)
    keys = list(skills())
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s:
        for i in range(experts):
            u = User(
                email=f"expert{i}@bench.example",
                name=f"Expert {i}",
                password_hash=None,
                staff_roles=[StaffRoleGrant(role="expert")],
            )
            s.add(u)
            await s.flush()
            s.add(
                ExpertProfile(
                    user_id=u.id,
                    headline=" ".join(rng.sample(WORDS, 5)),
                    bio=" ".join(rng.sample(WORDS, 15)),
                    skills=rng.sample(keys, 3),
                    sectors=rng.sample(SECTORS, 2),
                    languages=["en", "fr"],
                    capacity=rng.randint(1, 6),
                )
            )
        start = datetime.now(UTC) + timedelta(days=30)
        for i in range(courses):
            c = Course(
                slug=f"course-{i}",
                title=" ".join(rng.sample(WORDS, 4)),
                summary=" ".join(rng.sample(WORDS, 20)),
                level="beginner",
                topics=rng.sample(WORDS, 3),
                sectors=rng.sample(SECTORS, 1),
            )
            s.add(c)
            await s.flush()
            s.add(
                CourseSession(
                    course_id=c.id,
                    format="online",
                    starts_at=start,
                    ends_at=start + timedelta(hours=7),
                    seats=20,
                )
            )
        pi = User(email="pi@bench.example", name="PI", password_hash=None)
        org = Organisation(
            slug="neuro", name="Neuro", kind="startup", country="FR", sectors=["health"]
        )
        s.add_all([pi, org])
        await s.flush()
        p = Project(
            slug=PROFILE.slug,
            name=PROFILE.name,
            description=PROFILE.description,
            org_id=org.id,
            sector="health",
        )
        s.add(p)
        await s.flush()
        s.add(ProjectMember(project_id=p.id, user_id=pi.id, role="pi"))
        await s.commit()
    await engine.dispose()


async def bench_end_to_end(url: str, n: int, experts: int, courses: int) -> None:
    from sqlalchemy import select

    from aifhub.identity.models import User
    from aifhub.recommend.service import recommend_for_project

    t0 = time.perf_counter()
    await seed(url, experts, courses)
    print(
        f"[e2e] seeded {experts:,} experts and {courses:,} courses in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    register_adapter(SyntheticCatalogue(n))
    context.begin(None, actor_label="bench")
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    runs = []
    for _ in range(4):
        async with maker() as s:
            pi = await s.scalar(select(User).where(User.email == "pi@bench.example"))
            t0 = time.perf_counter()
            rec = await recommend_for_project(s, pi, PROFILE.slug)
            runs.append(time.perf_counter() - t0)
    await engine.dispose()
    sizes = {k: len(v) for k, v in rec.groups.items()}
    print(
        f"[e2e] recommend_for_project with {n:,} catalogue candidates: first call "
        f"(builds indexes) {ms(runs[0])}, then median {ms(statistics.median(runs[1:]))}; "
        f"groups {sizes}"
    )
    for kind, recs in rec.groups.items():
        top = recs[0]
        print(
            f"      {kind:9} top: {top.candidate.title[:40]!r} score {top.score} "
            f"because {'; '.join(top.reasons[:3])}"
        )


def bench_precision() -> None:
    cands, projects = load_labelled(ROOT / "tests" / "recommend" / "labelled.json")
    for method in ("bm25", "bm25+rules"):
        value, _ = mean_precision(cands, projects, method=method)
        print(
            f"[precision] {method:11} mean precision@5 = {value:.3f} "
            f"({len(projects)} projects, {len(cands)} candidates)"
        )
    if embeddings.available():
        value, _ = mean_precision(
            cands, projects, method="embeddings", similarity=embeddings.similarity
        )
        print(f"[precision] embeddings  mean precision@5 = {value:.3f}")
    else:
        print("[precision] embeddings  not installed (pip install 'aifhub[embeddings]')")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalogue", type=int, default=100_000)
    ap.add_argument("--experts", type=int, default=2_000)
    ap.add_argument("--courses", type=int, default=2_000)
    args = ap.parse_args()
    _ = Settings  # the bench uses its own temporary database, never the configured one
    bench_ranking(args.catalogue)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)  # alembic runs its own event loop: before ours
        asyncio.run(bench_end_to_end(url, args.catalogue, args.experts, args.courses))
    bench_precision()


if __name__ == "__main__":
    main()
