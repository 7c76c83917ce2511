"""Pieces every app's API shares: the documented error shape, scoped viewsets and id fields.

The settings hooks (error handler, paginators) live in core.drf.
"""

from __future__ import annotations

import re

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, viewsets

from .drf import CursorPagination, Pagination
from .exceptions import PermissionDenied

__all__ = [
    "CursorPagination",
    "Pagination",
    "ErrorOutput",
    "error_response",
    "VisiblePrimaryKeyField",
    "require_perm",
    "ScopedViewSet",
    "NOT_FOUND",
    "INVALID",
    "FORBIDDEN",
    "CONFLICT",
    "step_schema",
]

ASCII_ID = re.compile(r"[0-9]{1,18}")

# --- Shared pieces of every app's API --------------------------------------------------------


class ErrorOutput(serializers.Serializer):
    """What core.drf.exception_handler answers for every error (DESIGN.md, "API style")."""

    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, in the user's language."))
    code = serializers.CharField(
        help_text=gettext_lazy(
            "A stable code: invalid, parse_error, not_authenticated, authentication_failed, "
            "permission_denied, not_found, method_not_allowed, invalid_state, conflict, throttled."
        )
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy(
            "For invalid input: the messages of each field (non_field_errors for the whole)."
        ),
    )


def error_response(description) -> OpenApiResponse:
    return OpenApiResponse(ErrorOutput, description=description)


class VisiblePrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id of an object the requesting user may see; any other id reads as one that does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)


def require_perm(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied()


NOT_FOUND = error_response(gettext_lazy("Absent, or outside what you may see."))
INVALID = error_response(gettext_lazy("Invalid input: see errors for each field. Nothing was changed."))
FORBIDDEN = error_response(gettext_lazy("Your roles do not allow this here. Nothing was changed."))


class ScopedViewSet(viewsets.GenericViewSet):
    # Any id segment reaches get_object(), so a malformed id ("abc", "1.5") gets the JSON 404 too,
    # rather than falling through the URL patterns to the HTML page.
    lookup_value_regex = "[^/]+"

    def get_object(self):
        # Only plain ASCII digits name an object: int() would also read "９" or " 9" as 9.
        if not ASCII_ID.fullmatch(str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))):
            raise Http404
        return super().get_object()


CONFLICT = error_response(gettext_lazy("The state does not allow this step now. Nothing was changed."))


def step_schema(summary, request=None, code=200, output=None, conflict=CONFLICT):
    """The OpenAPI of a workflow step (`POST …/{id}/<verb>/`): its answer and the four refusals."""
    from drf_spectacular.utils import extend_schema

    return extend_schema(
        summary=summary,
        request=request,
        responses={code: output, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: conflict},
    )
