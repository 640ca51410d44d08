"""Page-number pagination that skips the COUNT query when the page itself tells the total.

The stock paginator always runs `SELECT COUNT(*)` before the page query. Here the page query
asks for one row more than the page size: when that extra row is missing, this is the last
page and the total is `offset + rows`, exact, so no COUNT is needed (a user's 50 packs, the
20 batches on sale). A full page still counts; a whole table (the public catalog) is counted
with a plain `SELECT COUNT(*) FROM table`, which SQLite answers in ~10 us where compiling the
ORM's count of a `.values()` queryset takes ~130 us. The body is the stock one (`count`,
`next`, `previous`, `results`); page numbers that are not plain page numbers, and pages past
the end, take the project's stock path, with its errors."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.request import Request

from core.pagination import PageNumberPagination


class TableCountPaginator(Paginator[Any]):
    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet) or not _is_whole_table(rows):
            return super().count
        connection = connections[rows.db]
        table = connection.ops.quote_name(rows.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608  (quoted model table)
            return int(cursor.fetchone()[0])


def _is_whole_table(rows: QuerySet[Any, Any]) -> bool:
    """No filter, join, grouping, DISTINCT, slice or set operation: COUNT(*) of the table."""
    query = rows.query
    return not (
        query.where
        or query.distinct
        or query.group_by
        or query.combinator
        or query.is_sliced
        or query.extra
        or len(query.alias_map) > 1
    )


class LookaheadCountPagination(PageNumberPagination):
    django_paginator_class = TableCountPaginator

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            number = int(self.get_page_number(request, paginator))
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            return super().paginate_queryset(queryset, request, view)
        bottom = (number - 1) * page_size
        rows = list(queryset[bottom : bottom + page_size + 1])
        if not rows and number > 1:
            return super().paginate_queryset(queryset, request, view)  # the stock 404
        if len(rows) <= page_size:
            # Paginator.count is a cached property: prime it with the exact total.
            paginator.__dict__["count"] = bottom + len(rows)
        else:
            rows = rows[:page_size]  # more pages follow: paginator.count runs the COUNT
        self.request = request
        self.page = Page(rows, number, paginator)
        self.display_page_controls = paginator.num_pages > 1
        return rows
