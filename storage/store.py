"""`Store`: every statement the pipeline runs, composed of one mixin per domain.

Each domain module defines a mixin that reaches the database only through the connection and
transaction layer (`storage.database.Database`: `connect`, `transaction`, `retrying`,
`unguarded` and a few hooks), so a backend overrides that layer alone (the lake,
storage/lake.py) and every domain method works on it unchanged.
"""

from __future__ import annotations

from storage.articles import Articles
from storage.browse import Browse
from storage.cursors import Cursors
from storage.dedup import Dedup
from storage.digests import Digests
from storage.migrations import Migrations
from storage.queries import Queries
from storage.runs import Runs
from storage.sources import Sources
from storage.stories import Stories
from storage.templates import SiteTemplates
from storage.titles import SiteTitlesStore
from storage.watches import Watches


class Store(
    Migrations,
    Runs,
    Sources,
    Cursors,
    Articles,
    Dedup,
    Stories,
    Digests,
    Queries,
    Watches,
    Browse,
    SiteTemplates,
    SiteTitlesStore,
):
    """All database access: the domains' mixins over one `Database` (a DuckDB file by default).

    Holds a path, not a connection: each operation opens and closes one.
    """
