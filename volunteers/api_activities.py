"""/api/v1/ resources of the activities part: activities/ (list, one, publish; signup/, cancel-signup/,
check-in/, cancel/) and activity-signups/ (one's own, and for staff their community's; record-hours/,
check-in-by-hand/).

Reads are scoped (the community's staff, its residents and reported members); every write parses an
input serializer and calls one service in volunteers.services.activities, whose errors become the
JSON error format (400 bad input, 403 the wrong actor, 404 not visible, 409 a step the state does
not allow).
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from community.models import Area, AreaKind, Organisation
from core.api import (
    NOT_FOUND,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    step_schema,
)

from .models import Activity, Signup
from .selectors import activities as selectors
from .services import activities as services
from .workflow import ServiceField, SignupState

# --- Serializers ----------------------------------------------------------------------------------


class ActivityOutput(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    organiser_name = serializers.CharField(
        source="organiser.name", read_only=True, allow_null=True, default=None
    )
    places_taken = serializers.IntegerField(read_only=True)
    places_left = serializers.IntegerField(read_only=True)
    my_signup_state = serializers.ChoiceField(
        source="my_state",
        choices=SignupState.choices,
        read_only=True,
        allow_null=True,
        help_text=_("The state of your own sign-up, if you signed up."),
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "community",
            "community_name",
            "organiser",
            "organiser_name",
            "title",
            "description",
            "field",
            "place",
            "starts_at",
            "ends_at",
            "signup_deadline",
            "capacity",
            "places_taken",
            "places_left",
            "open_to_residents",
            "my_signup_state",
            "cancelled_at",
            "cancel_reason",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields


class ActivityInput(serializers.Serializer):
    # Any community (their names are public); the service answers 403 or 404 to those who may not publish.
    community = serializers.PrimaryKeyRelatedField(queryset=Area.objects.filter(kind=AreaKind.COMMUNITY))
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True)
    field = serializers.ChoiceField(choices=ServiceField.choices)
    place = serializers.CharField(max_length=services.PLACE_MAX)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    signup_deadline = serializers.DateTimeField(help_text=_("At the latest when the activity starts."))
    capacity = serializers.IntegerField(help_text=_("Places, 1 to 1000."))
    organiser = VisiblePrimaryKeyField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A paired unit's Party organisation that runs it with the community, if any."),
    )
    open_to_residents = serializers.BooleanField(
        required=False, default=True, help_text=_("False: only Party members who reported to the community.")
    )


class ActivityCheckInInput(serializers.Serializer):
    code = serializers.CharField(
        max_length=200, help_text=_("The code from the venue screen's QR code link.")
    )


class ActivityCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REASON_MAX)


class ActivitySignupOutput(serializers.ModelSerializer):
    activity_title = serializers.CharField(source="activity.title", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = Signup
        fields = [
            "id",
            "activity",
            "activity_title",
            "user",
            "name",
            "state",
            "signed_up_at",
            "checked_in_at",
            "hours",
        ]
        read_only_fields = fields

    def get_name(self, signup) -> str:
        person = getattr(signup.user, "person", None)
        return person.name if person is not None else str(signup.user)


class SignupHoursInput(serializers.Serializer):
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text=_("0 to 24, at most one decimal.")
    )


# --- Activities -----------------------------------------------------------------------------------


class ActivityFilter(django_filters.FilterSet):
    when = django_filters.ChoiceFilter(
        choices=[("upcoming", _("Upcoming")), ("past", _("Past"))],
        method="filter_when",
        label=_("upcoming (not ended, not cancelled; your communities first) or past"),
    )
    signed_up = django_filters.ChoiceFilter(
        choices=[("mine", _("Mine"))], method="filter_signed_up", label=_("mine: those you signed up for")
    )

    class Meta:
        model = Activity
        fields = ["community", "field"]

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            return selectors.only_upcoming(queryset, self.request.user, now)
        return selectors.only_past(queryset, now)

    def filter_signed_up(self, queryset, name, value):
        return selectors.only_mine(queryset, self.request.user)


@extend_schema_view(
    list=extend_schema(summary=_("Co-construction activities you may see (共建活动)")),
    retrieve=extend_schema(
        summary=_("One activity with its places left"), responses={200: ActivityOutput, 404: NOT_FOUND}
    ),
)
class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ActivityOutput
    filterset_class = ActivityFilter
    search_fields = ["title", "place"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return selectors.activity_list(actor=self.request.user)

    def _output(self, activity, code=200):
        fresh = selectors.activity_list(actor=self.request.user).get(pk=activity.pk)
        return Response(ActivityOutput(fresh, context=self.get_serializer_context()).data, status=code)

    def _signup(self, signup, code=200):
        fresh = Signup.objects.select_related("activity", "user__person").get(pk=signup.pk)
        return Response(ActivitySignupOutput(fresh, context=self.get_serializer_context()).data, status=code)

    @step_schema(_("Publish an activity (the community's staff)"), ActivityInput, 201, ActivityOutput)
    def create(self, request):
        data = ActivityInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        activity = services.activity_publish(actor=request.user, **data.validated_data)
        return self._output(activity, status.HTTP_201_CREATED)

    @step_schema(
        _("Sign up for the activity (before the deadline, while places are left)"),
        None,
        201,
        ActivitySignupOutput,
    )
    @action(detail=True, methods=["post"])
    def signup(self, request, pk=None):
        return self._signup(
            services.signup_create(actor=request.user, activity=self.get_object()), status.HTTP_201_CREATED
        )

    @step_schema(_("Cancel your sign-up before the activity starts"), None, 200, ActivitySignupOutput)
    @action(detail=True, methods=["post"], url_path="cancel-signup")
    def cancel_signup(self, request, pk=None):
        signup = services.signup_of(actor=request.user, activity=self.get_object())
        return self._signup(services.signup_cancel(actor=request.user, signup=signup))

    @step_schema(
        _("Check in with the code of the venue screen"), ActivityCheckInInput, 200, ActivitySignupOutput
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        data = ActivityCheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._signup(
            services.signup_check_in(actor=request.user, activity=self.get_object(), **data.validated_data)
        )

    @step_schema(
        _("Cancel the activity with a reason (the community's staff)"),
        ActivityCancelInput,
        200,
        ActivityOutput,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = ActivityCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.activity_cancel(actor=request.user, activity=self.get_object(), **data.validated_data)
        )


# --- Sign-ups -------------------------------------------------------------------------------------


class ActivitySignupFilter(django_filters.FilterSet):
    class Meta:
        model = Signup
        fields = ["activity", "state"]


@extend_schema_view(
    list=extend_schema(summary=_("Activity sign-ups: your own, and for staff those of their communities")),
    retrieve=extend_schema(summary=_("One sign-up"), responses={200: ActivitySignupOutput, 404: NOT_FOUND}),
)
class ActivitySignupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = ActivitySignupOutput
    filterset_class = ActivitySignupFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Signup.objects.none()
        return (
            selectors.signups_visible(self.request.user)
            .select_related("activity", "user__person")
            .order_by("-activity__starts_at", "signed_up_at", "pk")
        )

    def _output(self, signup):
        fresh = Signup.objects.select_related("activity", "user__person").get(pk=signup.pk)
        return Response(ActivitySignupOutput(fresh, context=self.get_serializer_context()).data)

    @step_schema(
        _("Correct the hours of a sign-up, until the activity is closed (staff)"),
        SignupHoursInput,
        200,
        ActivitySignupOutput,
    )
    @action(detail=True, methods=["post"], url_path="record-hours")
    def record_hours(self, request, pk=None):
        data = SignupHoursInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.signup_record_hours(actor=request.user, signup=self.get_object(), **data.validated_data)
        )

    @step_schema(_("Check someone in by hand (staff)"), None, 200, ActivitySignupOutput)
    @action(detail=True, methods=["post"], url_path="check-in-by-hand")
    def check_in_by_hand(self, request, pk=None):
        return self._output(services.signup_check_in_by_hand(actor=request.user, signup=self.get_object()))


def register(router) -> None:
    """Register this part's viewsets on the volunteers' router."""
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("activity-signups", ActivitySignupViewSet, basename="activity-signup")
