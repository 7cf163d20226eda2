"""Rankings without a database: BM25, the workload rules, eligibility, precision on labels."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from aifhub.core.bm25 import BM25Index, tokenize
from aifhub.recommend.candidates import Candidate, partition_candidate
from aifhub.recommend.evaluate import load_labelled, mean_precision
from aifhub.recommend.profile import infer_workload, profile_from_text
from aifhub.recommend.ranking import precision_at_k, rank

LABELLED = Path(__file__).with_name("labelled.json")


def part(key, acc, gpn, nodes, factor="1"):
    return partition_candidate(
        SimpleNamespace(
            key=key,
            accelerator=acc,
            gpus_per_node=gpn,
            nodes=nodes,
            mem_mb_per_node=512000,
            max_time_s=360000,
            charge_factor=Decimal(factor),
            unit="gpu_hours" if acc else "cpu_hours",
        )
    )


PARTITIONS = [
    part("jz/gpu_p13", "V100", 4, 200, "1"),
    part("jz/gpu_p6", "H100", 4, 364, "4"),
    part("adastra/mi250", "MI250X", 8, 338, "2"),
    part("jz/cpu_p1", None, 0, 700),
    part("dev/one-gpu", "L4", 1, 2, "0.5"),
]


def test_tokenize_folds_accents_stems_and_drops_stopwords():
    assert tokenize("Les modèles de Segmentation, fine-tuning!") == [
        "model",
        "segment",
        "fine-tun",
    ]
    idx = BM25Index(["mri segmentation of brains", "grid load forecasting", "mri mri mri"])
    assert idx.top("brain MRI segmentation", 1)[0][0] == 0
    assert idx.matched_terms("brain MRI", "mri segmentation of brains") == ["brain", "mri"]
    assert BM25Index([]).top("x", 3) == []


@pytest.mark.parametrize(
    ("text", "need", "vendor", "best"),
    [
        (
            "Continued pre-training of a 7B LLM on billions of tokens",
            "large",
            None,
            {"jz/gpu_p6", "adastra/mi250"},
        ),
        ("Port CUDA kernels to ROCm and HIP on MI250X", "small", "amd", {"adastra/mi250"}),
        ("Statistics and preprocessing of tabular data with xgboost", "none", None, {"jz/cpu_p1"}),
        ("Fine-tuning a vision transformer on CUDA A100", "medium", "nvidia", {"jz/gpu_p6"}),
    ],
)
def test_partition_rules_follow_the_workload(text, need, vendor, best):
    w = infer_workload(text)
    assert (w.gpu_need, w.vendor) == (need, vendor)
    profile = profile_from_text(slug="p", name="P", sector="other", description=text)
    top = rank(profile, PARTITIONS, limit=5)
    assert top[0].candidate.id in best
    assert "jz/gpu_p13" not in best or need != "large"
    assert top[0].reasons, "every proposal says why"


def test_hippocampus_is_not_amd():
    assert infer_workload("Segmentation of the hippocampus in MRI").vendor is None


def test_startup_only_partners_are_excluded_for_other_organisations():
    fund = Candidate(
        "fund",
        "f1",
        "Seed fund",
        "seed fund health AI startups",
        ("health",),
        {"startups_only": True, "countries": ["FR"]},
    )
    open_fund = Candidate(
        "fund",
        "f2",
        "Industry fund",
        "fund for health AI companies",
        ("health",),
        {"startups_only": False, "countries": ["FR"]},
    )
    sme = profile_from_text(
        slug="s",
        name="S",
        sector="health",
        description="health AI",
        org_kind="sme",
        org_country="FR",
    )
    assert [r.candidate.id for r in rank(sme, [fund, open_fund])] == ["f2"]
    startup = profile_from_text(
        slug="s",
        name="S",
        sector="health",
        description="health AI",
        org_kind="startup",
        org_country="FR",
    )
    got = rank(startup, [fund, open_fund])
    assert {r.candidate.id for r in got} == {"f1", "f2"}
    assert any("same sector: health" in x for x in got[0].reasons)


def test_unknown_method_is_refused():
    profile = profile_from_text(slug="s", name="S", sector="health", description="x")
    with pytest.raises(ValueError, match="bm25\\+rules"):
        rank(profile, [], method="magic")


def test_precision_at_5_on_the_labelled_set():
    cands, projects = load_labelled(LABELLED)
    assert len(projects) == 20
    text_only, _ = mean_precision(cands, projects, method="bm25")
    with_rules, per = mean_precision(cands, projects, method="bm25+rules")
    # Measured 0.75 and 0.77 when written; a drop below these floors is a regression.
    assert text_only >= 0.7
    assert with_rules >= 0.72
    assert per["brain-mri-seg"] >= 0.6
    assert precision_at_k(["a", "b"], {"a"}, 5) == 0.2


def test_embeddings_ranking_when_the_extra_is_installed():
    from aifhub.recommend import embeddings

    if not embeddings.available():
        pytest.skip("the [embeddings] extra is not installed")
    cands, projects = load_labelled(LABELLED)
    value, _ = mean_precision(
        cands, projects, method="embeddings", similarity=embeddings.similarity
    )
    assert value >= 0.7  # measured 0.77 with all-MiniLM-L6-v2
