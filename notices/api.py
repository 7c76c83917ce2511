"""The inbox over the API: list and filter one's own notices, mark read, unread count."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .models import Notice


class NoticeOutput(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class UnreadCountOutput(serializers.Serializer):
    unread = serializers.IntegerField(help_text=_("Unread notices of the current user."))


class ReadAllOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("Notices this call marked read."))
    unread = serializers.IntegerField()


class NoticeFilter(django_filters.FilterSet):
    read = django_filters.BooleanFilter(
        method="filter_read", label=_("true: only read notices; false: only unread ones")
    )
    kind = django_filters.CharFilter(field_name="kind", label=_("Kind"))

    class Meta:
        model = Notice
        fields = ["read", "kind"]

    def filter_read(self, queryset, name, value):
        return queryset.filter(read_at__isnull=not value)


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The current user's notices, unread first, then newest first. Others' notices answer 404."""

    queryset = Notice.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = NoticeOutput
    filterset_class = NoticeFilter
    search_fields = ["title", "body"]
    ordering_fields = ["created_at", "read_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notice.objects.none()
        return selectors.notice_list(user=self.request.user)

    @extend_schema(request=None, responses=NoticeOutput, summary=_("Mark a notice read"))
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notice = services.notice_mark_read(actor=request.user, notice=self.get_object())
        return Response(NoticeOutput(notice).data)

    @extend_schema(request=None, responses=ReadAllOutput, summary=_("Mark all my notices read"))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.notice_mark_all_read(actor=request.user)
        return Response({"marked": marked, "unread": selectors.unread_count(user=request.user)})

    @extend_schema(responses=UnreadCountOutput, summary=_("How many of my notices are unread"))
    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[], pagination_class=None)
    def unread_count(self, request):
        return Response({"unread": selectors.unread_count(user=request.user)})
