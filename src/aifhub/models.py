"""Imports every domain's models once, so the mapper registry and Alembic see all tables."""

from aifhub.access import models as _access  # noqa: F401
from aifhub.catalog import models as _catalog  # noqa: F401
from aifhub.compute import models as _compute  # noqa: F401
from aifhub.core import audit as _audit  # noqa: F401
from aifhub.core import mail as _mail  # noqa: F401
from aifhub.core.db import Base
from aifhub.ecosystem import models as _ecosystem  # noqa: F401
from aifhub.identity import models as _identity  # noqa: F401
from aifhub.resources import models as _resources  # noqa: F401
from aifhub.support import models as _support  # noqa: F401

metadata = Base.metadata
