"""Okapi BM25 over short texts, with an inverted index so a query touches only its terms' postings.

Pure Python, no domain imports: support (article suggestions) and recommend both use it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9][a-z0-9+\-]*[a-z0-9+]|[a-z0-9]")

# Words that carry no meaning for matching (English and French).
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or our that the their
    this to was we were which will with using use used our your you can new not than then
    le la les un une des de du et en au aux pour par sur dans avec est sont ce ces nous vous
    qui que une son ses leur leurs plus""".split()
)


def _fold(text: str) -> str:
    nfkd = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in nfkd if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # A light plural/verb folding; enough for "models"~"model", "forecasting"~"forecast".
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded, stemmed word tokens without stop words."""
    low = text.lower()
    if not low.isascii():
        low = _fold(low)
    return [_stem(w) for w in _WORD.findall(low) if w not in STOPWORDS]


class BM25Index:
    """An Okapi BM25 index over a fixed list of documents."""

    def __init__(self, docs: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            counts = Counter(tokenize(doc))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings[term].append((i, tf))
        self.avg_len = (sum(self.lengths) / self.n) if self.n else 0.0
        avg = self.avg_len or 1.0
        # Per-document length normalisation, computed once: queries only add.
        self.norms = [k1 * (1 - b + b * length / avg) for length in self.lengths]

    def idf(self, term: str) -> float:
        """Inverse document frequency (the non-negative variant)."""
        df = len(self.postings.get(term, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> dict[int, float]:
        """BM25 score of every document sharing at least one term with the query."""
        out: dict[int, float] = defaultdict(float)
        if not self.n:
            return out
        norms, k1p1 = self.norms, self.k1 + 1
        for term in set(tokenize(query)):
            plist = self.postings.get(term)
            if not plist:
                continue
            idf = self.idf(term) * k1p1
            for doc, tf in plist:
                out[doc] += idf * tf / (tf + norms[doc])
        return out

    def matched_terms(self, query: str, doc_text: str) -> list[str]:
        """Query terms found in a document, most informative first (for explanations)."""
        doc_terms = set(tokenize(doc_text))
        terms = {t for t in tokenize(query) if t in doc_terms}
        return sorted(terms, key=lambda t: (-self.idf(t), t))

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The k best documents for a query, best first."""
        ranked = sorted(self.scores(query).items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:k]
