"""Every table of the app database, in one metadata: what Alembic migrates and compares against.

A module that defines tables on `appdb.Base` is imported here, so the migration environment and the drift test
see it. Adding one? Import it below and write its revision (see `migrations/README.md`).
"""

from concierge.tools import catalogdb, retrieval_log, usage, webcache  # noqa: F401  (they register their tables)
from concierge.tools.appdb import Base
from concierge.tools.support import models as support_models  # noqa: F401

metadata = Base.metadata
