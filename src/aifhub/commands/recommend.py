"""`aifhub recommend PROJECT`: what the factory proposes to a project, and why."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from aifhub.commands.support import AsUser, console, run_as


def recommend_cmd(
    project: str,
    as_user: AsUser,
    method: Annotated[str, typer.Option(help="bm25, bm25+rules or embeddings")] = "bm25+rules",
    limit: Annotated[int, typer.Option(min=1, max=20, help="Items per kind")] = 5,
) -> None:
    """Partitions, data, models, experts, courses, incubators and funds for a project."""
    from aifhub.recommend.service import recommend_for_project

    rec = run_as(
        as_user, lambda s, u: recommend_for_project(s, u, project, method=method, limit=limit)
    )
    w = rec.profile.workload
    console.print(
        f"[bold]{rec.profile.name}[/] ({rec.profile.sector}); workload: GPU need "
        f"{w.gpu_need}{', ' + w.vendor if w.vendor else ''}; ranking {rec.method}"
    )
    for kind, items in rec.groups.items():
        table = Table("id", "title", "score", "why", title=kind)
        for r in items:
            table.add_row(r.candidate.id, r.candidate.title, f"{r.score:.2f}", "; ".join(r.reasons))
        console.print(table)
    if not rec.groups:
        console.print("Nothing to propose yet: the factory has no partitions, experts or courses.")


def register(app: typer.Typer) -> None:
    """Add `aifhub recommend`."""
    app.command("recommend")(recommend_cmd)
