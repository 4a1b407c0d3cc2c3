"""Paginators for lists too long to count on every page view.

`EstimatedCountPaginator` asks PostgreSQL's planner how many rows a query returns (EXPLAIN, no scan) and
counts exactly only when the estimate is small; the page then says "about" (`count_is_estimate`).
`KnownCountPaginator` takes a count already known (the stance matrix has it in its cached aggregates).
"""

import json
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections

# Below this many estimated rows an exact COUNT is cheap enough to run.
EXACT_COUNT_BELOW = 20_000


class EstimatedCountPaginator(Paginator):
    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return queryset.count()
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        estimate = int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
        if estimate < EXACT_COUNT_BELOW:
            return queryset.count()
        self.count_is_estimate = True
        return estimate


class KnownCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count: int, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count
