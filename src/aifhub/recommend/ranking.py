"""Rankings of candidates for a project, each result with the reasons it was proposed.

- "bm25": text only (the project's texts against the candidate's).
- "bm25+rules": text, plus sector match and per-kind rules (partition sizes for the workload,
  expert load, course seats, partner eligibility). The default: transparent and measured.
- "embeddings": cosine similarity of sentence embeddings, plus the same rules; only when the
  optional `[embeddings]` extra is installed (see embeddings.py).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from aifhub.core.bm25 import BM25Index
from aifhub.core.i18n import N_, Text
from aifhub.recommend.candidates import Candidate
from aifhub.recommend.profile import ProjectProfile
from aifhub.schemas.enums.identity import OrgKind, Sector

METHODS = ("bm25", "bm25+rules", "embeddings")
SECTOR_BONUS = 0.35
EXCLUDED = float("-inf")
MODERN = {"H100", "A100", "MI250", "MI250X", "MI300A", "MI300", "MI430X", "H200", "L40S"}
AMD_ACC = {"MI250", "MI250X", "MI300A", "MI300", "MI430X"}


def _member(enum: type[StrEnum], value: str) -> str:
    """The enum member of a value (its label is shown), or the value itself."""
    return enum(value) if value in enum._value2member_map_ else value


def matches(terms: Iterable[str]) -> Text:
    """The reason 'matches 'a', 'b'' (the words a candidate shares with the query)."""
    return Text(N_("matches %(terms)s"), terms=", ".join(f"'{t}'" for t in terms))


@dataclass
class Recommendation:
    """A candidate, its score and why it was proposed."""

    candidate: Candidate
    score: float
    reasons: list[str] = field(default_factory=list)


Rule = Callable[[ProjectProfile, Candidate], tuple[float, list[str]]]


def partition_rule(profile: ProjectProfile, c: Candidate) -> tuple[float, list[str]]:
    """Does the partition fit the workload's size and vendor?"""
    w, m = profile.workload, c.meta
    acc = (m.get("accelerator") or "").upper() or None
    total = int(m.get("gpus_per_node") or 0) * int(m.get("nodes") or 1)
    factor = Decimal(str(m.get("charge_factor") or "1"))
    score, reasons = 0.0, list[str]()
    why = f" ({', '.join(w.evidence[:3])})" if w.evidence else ""
    if w.gpu_need == "none":
        if acc is None:
            score, reasons = 1.0, [Text(N_("CPU partition for a CPU workload%(why)s"), why=why)]
        else:
            score, reasons = -0.5, [Text(N_("GPU partition, but the workload looks CPU-bound"))]
    elif acc is None:
        return -1.0, [Text(N_("CPU only; the project needs GPUs"))]
    elif w.gpu_need == "large":
        if total >= 32:
            score += 1.0
            reasons.append(
                Text(
                    N_("%(n)s %(acc)s GPUs for a large workload%(why)s"), n=total, acc=acc, why=why
                )
            )
        else:
            score += 0.2
            reasons.append(Text(N_("only %(n)s GPUs for a large workload"), n=total))
        if acc in MODERN:
            score += 0.5
            reasons.append(Text(N_("%(acc)s has the memory large models need"), acc=acc))
    elif w.gpu_need == "medium":
        score += 1.0
        reasons.append(Text(N_("%(acc)s GPUs for training%(why)s"), acc=acc, why=why))
        if acc in MODERN:
            score += 0.3
            reasons.append(Text(N_("%(acc)s is a current-generation GPU"), acc=acc))
    else:
        score += 0.7
        reasons.append(Text(N_("%(acc)s GPUs for a small workload"), acc=acc))
        if factor <= 1:
            score += 0.3
            reasons.append(Text(N_("charge factor %(factor)s: cheapest hours"), factor=factor))
    if w.vendor and acc:
        amd = acc in AMD_ACC
        if (w.vendor == "amd") == amd:
            score += 0.5
            stack = "AMD ROCm" if amd else "NVIDIA CUDA"
            reasons.append(Text(N_("%(stack)s matches the code base"), stack=stack))
        else:
            score -= 0.5
            reasons.append(
                Text(
                    N_("code targets %(vendor)s, this is %(acc)s"), vendor=w.vendor.upper(), acc=acc
                )
            )
    return score, reasons


def expert_rule(profile: ProjectProfile, c: Candidate) -> tuple[float, list[str]]:
    """Prefer experts with room for one more ticket."""
    load, cap = int(c.meta.get("load", 0)), int(c.meta.get("capacity", 0))
    if cap and load >= cap:
        return -0.5, [Text(N_("at full capacity (%(load)s/%(cap)s)"), load=load, cap=cap)]
    available = Text(N_("available (load %(load)s/%(cap)s)"), load=load, cap=cap)
    return 0.1 * (1 - load / cap if cap else 0), [available]


def course_rule(profile: ProjectProfile, c: Candidate) -> tuple[float, list[str]]:
    """Prefer courses with a session that still has seats."""
    nxt = c.meta.get("next_session")
    if nxt:
        return 0.15, [Text(N_("seats left on %(day)s"), day=date.fromisoformat(nxt[:10]))]
    if "next_session" in c.meta:
        return -0.1, [Text(N_("no upcoming session with free seats"))]
    return 0.0, []


def partner_rule(profile: ProjectProfile, c: Candidate) -> tuple[float, list[str]]:
    """Partners that take only startups are excluded for other organisations."""
    if c.meta.get("startups_only") and profile.org_kind and profile.org_kind != "startup":
        return EXCLUDED, [
            Text(
                N_("takes startups only; the organisation is %(kind)s"),
                kind=_member(OrgKind, profile.org_kind),
            )
        ]
    score, reasons = 0.0, list[str]()
    countries = c.meta.get("countries") or []
    if profile.org_country and countries:
        if profile.org_country in countries:
            score += 0.1
            reasons.append(Text(N_("invests in %(country)s"), country=profile.org_country))
        else:
            score -= 0.2
            reasons.append(Text(N_("not active in %(country)s"), country=profile.org_country))
    return score, reasons


# The rule of each kind (a kind without one is ranked by text and sector only).
RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "partition": partition_rule,
        "expert": expert_rule,
        "course": course_rule,
        "incubator": partner_rule,
        "fund": partner_rule,
    }
)


def _text_scores(
    profile: ProjectProfile, candidates: Sequence[Candidate], index: BM25Index | None
) -> tuple[BM25Index, dict[int, float]]:
    index = index or BM25Index([c.text for c in candidates])
    raw = index.scores(profile.text)
    top = max(raw.values(), default=0.0)
    return index, {i: s / top for i, s in raw.items()} if top else {}


def rank(
    profile: ProjectProfile,
    candidates: Sequence[Candidate],
    *,
    method: str = "bm25+rules",
    limit: int = 5,
    index: BM25Index | None = None,
    similarity: Callable[[str, Sequence[Candidate]], list[float]] | None = None,
) -> list[Recommendation]:
    """The best candidates for a project, best first, each with its reasons.

    `index` may be a prebuilt BM25Index over these candidates' texts (same order): large
    catalogues build it once and reuse it. `similarity` is the embedding scorer.
    """
    if method not in METHODS:
        raise ValueError(f"unknown ranking '{method}'; choose one of {', '.join(METHODS)}")
    if method == "embeddings":
        if similarity is None:
            raise ValueError("the embeddings ranking needs the [embeddings] extra installed")
        sims = similarity(profile.text, candidates)
        text = {i: s for i, s in enumerate(sims) if s > 0}
        idx = None
    else:
        idx, text = _text_scores(profile, candidates, index)
    rules = method != "bm25"
    sector = profile.sector
    # Rules alone can lift a candidate with no shared word (partitions have little text);
    # kinds without a rule (datasets, models: possibly 100,000s) need a text match.
    has_rule = bool(candidates) and candidates[0].kind in RULES
    pool: Iterable[int] = (
        range(len(candidates)) if rules and (has_rule or len(candidates) <= 5000) else text.keys()
    )
    scored: list[tuple[float, int, list[str] | None]] = []
    get = text.get
    for i in pool:
        c = candidates[i]
        score = get(i, 0.0)
        why: list[str] | None = None  # reasons are spelt out for the winners only
        if rules:
            if sector and sector in c.sectors:
                score += SECTOR_BONUS
            rule = RULES.get(c.kind)
            if rule:
                delta, why = rule(profile, c)
                if delta == EXCLUDED:
                    continue
                score += delta
            if score <= 0:
                continue
        scored.append((score, i, why))
    best = heapq.nsmallest(
        limit, scored, key=lambda t: (-t[0], candidates[t[1]].kind, candidates[t[1]].id)
    )
    out: list[Recommendation] = []
    for score, i, why in best:
        c = candidates[i]
        reasons: list[str] = []
        if get(i, 0.0) > 0:
            if idx is not None:
                terms = idx.matched_terms(profile.text, c.text)[:4]
                if terms:
                    reasons.append(matches(terms))
            else:
                cosine = Decimal(f"{text[i]:.2f}")
                reasons.append(Text(N_("similar meaning (cosine %(cos)s)"), cos=cosine))
        if rules and sector and sector in c.sectors:
            reasons.append(Text(N_("same sector: %(sector)s"), sector=_member(Sector, sector)))
        out.append(Recommendation(c, round(score, 4), reasons + (why or [])))
    return out


def precision_at_k(ranked_ids: Sequence[str], relevant: set[str], k: int = 5) -> float:
    """Share of the first k results that are relevant (k counts even if fewer came back)."""
    return sum(1 for i in ranked_ids[:k] if i in relevant) / k
