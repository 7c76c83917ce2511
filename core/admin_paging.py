"""Admin lists of large tables (the ledger, the record, people, sign-ups…) without COUNT(*) over the table.

A changelist counts its rows to show the total and the page links. Over the whole district's
ledger that count is seconds (points_transfer, 2.2 million rows: 1.7 s for the district
administrator, whose scope joins every row to its area). `LargeTableAdminMixin` pages such a
list with `EstimatedCountPaginator`: when the list is the whole table, the total is PostgreSQL's
own estimate (`pg_class.reltuples`, kept by ANALYZE and autovacuum) once that is large; a list
narrowed by a filter, a search, a date or a smaller scope is counted exactly, and so is every
list on SQLite. See docs/adr/0010-large-lists.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


def table_row_estimate(model, using: str = "default") -> int | None:
    """PostgreSQL's estimate of the rows in `model`'s table; None elsewhere or before the first ANALYZE."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1: never analysed (PostgreSQL 14 and later), which says nothing about the size.
    return int(row[0]) if row is not None and row[0] >= 0 else None


def where_sql(queryset: QuerySet) -> tuple[str, tuple] | None:
    """The WHERE clause of `queryset` as SQL and parameters ("" for none; None when it matches nothing)."""
    query = queryset.query
    try:
        sql, params = query.get_compiler(queryset.db).compile(query.where)
    except FullResultSet:
        return "", ()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def lists_whole_table(queryset: QuerySet) -> bool:
    """Whether the queryset is every row of its table: no WHERE, no DISTINCT, no slice, no UNION."""
    query = queryset.query
    return (
        where_sql(queryset) == ("", ())
        and not query.distinct
        and not query.combinator
        and query.low_mark == 0
        and query.high_mark is None
    )


class EstimatedCountPaginator(Paginator):
    """A paginator whose `count` is the table's estimated size when the list is the whole table.

    `whole_table` says whether it is (a callable, asked only when the count is needed); by default,
    whether the queryset has no WHERE at all. Below `estimate_from` rows the estimate is not used:
    a small count is cheap and the estimate of a small table is the least reliable.
    """

    estimate_from = 10_000

    def __init__(
        self,
        object_list,
        per_page,
        orphans=0,
        allow_empty_first_page=True,
        *,
        whole_table: Callable[[], bool] | None = None,
    ):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.whole_table = whole_table
        self.estimated = False

    @cached_property
    def count(self) -> int:
        estimate = self._estimate()
        if estimate is not None:
            self.estimated = True
            return estimate
        return super().count

    def _estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return None
        whole = self.whole_table() if self.whole_table is not None else lists_whole_table(queryset)
        if not whole:
            return None
        estimate = table_row_estimate(queryset.model, queryset.db)
        if estimate is None or estimate < self.estimate_from:
            return None
        return estimate


class LargeTableAdminMixin:
    """For the admin of a table that reaches tens of thousands of rows: no COUNT(*) over all of it.

    Put it first: `class TransferAdmin(LargeTableAdminMixin, ScopedAdminMixin, admin.ModelAdmin)`.
    The changelist's list is the whole table when the changelist narrows nothing itself (no filter,
    search or date: its WHERE is that of `get_queryset`) and the user's scope reaches every area
    (a platform administrator, or the district administrator of the only district). What
    `get_queryset` leaves out for everyone (an issuing account's tills) is taken as part of the
    table: the estimate is an estimate. `show_full_result_count` is off, so no second count of
    the unfiltered list either.
    """

    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            whole_table=lambda: self.changelist_is_whole_table(request, queryset),
        )

    def changelist_is_whole_table(self, request, queryset) -> bool:
        base = self.get_queryset(request)
        listed = where_sql(queryset)
        if listed is None or listed != where_sql(base) or queryset.query.distinct:
            return False  # a filter, a search or a date of the changelist's own
        return listed == ("", ()) or sees_every_area(request.user)


def sees_every_area(user) -> bool:
    """Whether the user's scope covers every area tree there is (so scoping leaves out nothing)."""
    from community.access import scope_for
    from community.models import Area

    scope = scope_for(user)
    if scope.everything:
        return True
    if not scope.area_paths:
        return False
    roots = Area.objects.filter(parent__isnull=True).values_list("path", flat=True)
    return all(scope.covers_path(path) for path in roots)
