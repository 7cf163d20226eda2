"""`aifhub recommend PROJECT` and `aifhub search WORDS`: what the factory proposes, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from aifhub.client.output import (
    JsonOpt,
    console,
    handles_errors,
    print_result,
    print_table,
    signed_in_client,
)
from aifhub.schemas.recommend import RecommendationsRead, RecommendedItemRead, SearchRead


def _groups(groups: dict[str, list[RecommendedItemRead]]) -> None:
    for kind, items in groups.items():
        rows = [(r.id, r.title, f"{r.score:.2f}", "; ".join(r.reasons)) for r in items]
        print_table(kind, ("id", "title", "score", "why"), rows)


@handles_errors
def recommend_cmd(
    project: str,
    method: Annotated[str, typer.Option(help="bm25, bm25+rules or embeddings")] = "bm25+rules",
    limit: Annotated[int, typer.Option(min=1, max=20, help="Items per kind")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Partitions, data, models, experts, courses, incubators and funds for a project."""
    with signed_in_client() as c:
        rec = c.recommend.for_project(project, method=method, limit=limit)
    print_result(rec, as_json, _show_recommendations)


def _show_recommendations(rec: RecommendationsRead) -> None:
    w = rec.workload
    console.print(
        f"[bold]{rec.project}[/] ({rec.sector}); workload: GPU need "
        f"{w.gpu_need}{', ' + w.vendor if w.vendor else ''}; ranking {rec.method}"
    )
    _groups(rec.groups)
    if not rec.groups:
        console.print("Nothing to propose yet: the factory has no partitions, experts or courses.")


@handles_errors
def search_cmd(
    words: Annotated[list[str], typer.Argument(help="What to look for")],
    kind: Annotated[
        list[str] | None, typer.Option(help="Only this kind, e.g. expert, course (repeat)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=20, help="Items per kind")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Search the catalogue, experts, courses, partners and articles at once."""
    with signed_in_client() as c:
        found = c.recommend.search(" ".join(words), kinds=kind or [], limit=limit)
    print_result(found, as_json, _show_search)


def _show_search(found: SearchRead) -> None:
    _groups(found.groups)
    if not any(found.groups.values()):
        console.print(f"Nothing matches '{found.q}'.")


def register(app: typer.Typer) -> None:
    """Add `aifhub recommend` and `aifhub search`."""
    app.command("recommend")(recommend_cmd)
    app.command("search")(search_cmd)
