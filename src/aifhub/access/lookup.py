"""Finding an application the caller may see: the one lookup every access service starts from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.access.models import Application
from aifhub.core.errors import NotFound
from aifhub.identity import visible_projects
from aifhub.identity.models import Project, User


async def get_application(
    session: AsyncSession, actor: User, app_id: int, *, for_update: bool = False
) -> Application:
    """An application the actor may see (404 otherwise); `for_update` locks it on PostgreSQL."""
    visible = visible_projects(actor).with_only_columns(Project.id)
    query = select(Application).where(Application.id == app_id, Application.project_id.in_(visible))
    if for_update and session.get_bind().dialect.name == "postgresql":
        # Two concurrent actions on one application serialise: the second sees the new state.
        query = query.with_for_update(of=Application).execution_options(populate_existing=True)
    app = await session.scalar(query)
    if app is None:
        raise NotFound(f"No application {app_id} that you can see.")
    return app
