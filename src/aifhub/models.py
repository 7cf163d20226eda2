"""Imports every domain's models once, so the mapper registry and Alembic see all tables."""

from aifhub.access import models as _access  # noqa: F401
from aifhub.compute import models as _compute  # noqa: F401
from aifhub.core import audit as _audit  # noqa: F401
from aifhub.core import mail as _mail  # noqa: F401
from aifhub.core.db import Base
from aifhub.identity import models as _identity  # noqa: F401

metadata = Base.metadata
