"""DRF hooks named in settings: the JSON error format and the paginators."""

from __future__ import annotations

import json
import operator
from functools import reduce

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class CursorPagination(pagination.CursorPagination):
    """For large, append-mostly lists (ledgers, records, issues): stable, without COUNT(*) or OFFSET.

    A keyset ("seek") cursor. The cursor holds the values of every ordering column of the row it
    stops at, and a page is the rows strictly after them, which an index on those columns finds
    directly however deep the page. The primary key ends every ordering that does not already end
    in a unique column, so rows sharing a timestamp are neither repeated nor skipped: DRF's own
    cursor keeps only the first column plus an offset, which repeats or loses rows once more than
    `offset_cutoff` rows share a value (a nightly job stamps thousands of transfers alike).
    NULLs sort as the largest value on every database, as PostgreSQL sorts them by default.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view))
        last = _ordering_field(queryset.model, ordering[-1])
        if not last.unique:
            ordering.append(("-" if ordering[-1].startswith("-") else "") + queryset.model._meta.pk.name)
        return tuple(ordering)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.keys = [(_ordering_field(queryset.model, term), term.startswith("-")) for term in self.ordering]
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        position = None if self.cursor is None else self._decode_position(self.cursor.position)

        # A previous page is read backwards from the cursor, then turned round.
        keys = [(field, descending != reverse) for field, descending in self.keys]
        queryset = queryset.order_by(*(_order_expression(field, descending) for field, descending in keys))
        if position is not None:
            queryset = queryset.filter(_after(keys, position))
        results = list(queryset[: self.page_size + 1])
        self.page = results[: self.page_size]
        has_more = len(results) > len(self.page)
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None, has_more
        else:
            self.has_next, self.has_previous = has_more, position is not None
        self.display_page_controls = self.template is not None and (self.has_next or self.has_previous)
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, reverse=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, reverse=True)

    def _link(self, row, *, reverse: bool) -> str:
        # From the row at the page's edge; past either end (an empty page), from where the cursor was.
        position = self._position(row) if row is not None else self.cursor.position
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=reverse, position=position))

    def _position(self, instance) -> str:
        values = []
        for field, _descending in self.keys:
            value = field.value_from_object(instance)
            values.append(None if value is None else field.value_to_string(instance))
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))

    def _decode_position(self, encoded):
        if encoded is None:
            return None
        try:
            values = json.loads(encoded)
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError(encoded)
            return [
                None if value is None else field.to_python(str(value))
                for (field, _descending), value in zip(self.keys, values, strict=True)
            ]
        except (ValueError, TypeError, DjangoValidationError) as exc:
            raise exceptions.NotFound(self.invalid_cursor_message) from exc


def _ordering_field(model, term: str):
    name = term.lstrip("-")
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _order_expression(field, descending: bool):
    if not field.null:
        return f"-{field.name}" if descending else field.name
    # NULL is the largest value: last going up, first going down (PostgreSQL's default everywhere).
    return F(field.name).desc(nulls_first=True) if descending else F(field.name).asc(nulls_last=True)


def _equal(field, value) -> Q:
    return Q(**{f"{field.name}__isnull": True}) if value is None else Q(**{field.name: value})


def _beyond(field, value, descending: bool) -> Q:
    """The rows strictly past `value` in this column's direction (NULL being the largest value)."""
    if descending:
        if value is None:
            return Q(**{f"{field.name}__isnull": False})
        return Q(**{f"{field.name}__lt": value})
    if value is None:
        return Q(pk__in=[])
    beyond = Q(**{f"{field.name}__gt": value})
    return beyond | Q(**{f"{field.name}__isnull": True}) if field.null else beyond


def _after(keys, values) -> Q:
    """The rows after `values` in the order of `keys`: (a, b) after (x, y) is a > x, or a = x and b > y."""
    steps = []
    for depth, (field, descending) in enumerate(keys):
        step = _beyond(field, values[depth], descending)
        for (earlier, _descending), value in zip(keys[:depth], values[:depth], strict=True):
            step &= _equal(earlier, value)
        steps.append(step)
    after = reduce(operator.or_, steps)
    # The same bound on the first column alone, which an index can seek to (the OR above cannot).
    first, descending = keys[0]
    if len(keys) > 1 and not first.null and values[0] is not None:
        after &= Q(**{f"{first.name}__{'lte' if descending else 'gte'}": values[0]})
    return after


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(
            f"{key}: {_flatten(value)}" if key not in ("non_field_errors", "detail") else _flatten(value)
            for key, value in detail.items()
        )
    return str(detail)


def exception_handler(exc, context):
    """Every API error is `{"detail": <message in the user's language>, "code": <stable code>}`.

    Field errors add `"errors": {field: [messages]}` so a client can place them.
    """
    if isinstance(exc, ApplicationError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.extra:
            body["errors"] = exc.extra
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "detail": _("Invalid input: %(errors)s") % {"errors": _flatten(errors)},
            "code": "invalid",
            "errors": errors,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {
            "detail": _flatten(exc.detail) if hasattr(exc, "detail") else str(exc),
            "code": codes if isinstance(codes, str) else "error",
        }
    return response
