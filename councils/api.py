"""REST API of the councils (/api/v1/): councils and seats, issues with one POST per step, motions and votes.

Reads are scoped (`visible_to`: the staff over the compound, and a resident's own issues); every
write parses an input serializer and calls one service in councils.services, whose
`ApplicationError`s become the JSON error format (400 bad input, 403 the wrong actor, 404 not
visible, 409 a step the state does not allow).
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from community.models import Area, Organisation, Person
from core.api import (
    FORBIDDEN,
    NOT_FOUND,
    CursorPagination,
    ScopedViewSet,
    VisiblePrimaryKeyField,
    step_schema,
)

from . import selectors, services
from .models import (
    Campaign,
    Council,
    Issue,
    IssueCategory,
    IssueEvent,
    Meeting,
    Motion,
    Pledge,
    PledgeKind,
    Post,
    Satisfaction,
    Seat,
    Task,
)
from .voting import ABSTAIN, Threshold
from .workflow import IssueStep, Track

# --- Councils and seats ---------------------------------------------------------------------------


class SeatOutput(serializers.ModelSerializer):
    person = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Seat
        fields = ["id", "kind", "person", "voting", "since", "until"]
        read_only_fields = fields


class CouncilOutput(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    voting_seats = serializers.IntegerField(read_only=True)

    class Meta:
        model = Council
        fields = ["id", "name", "compound", "compound_name", "convener_org", "voting_seats"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary=_("Councils you may see (红管家议事厅)")),
    retrieve=extend_schema(summary=_("One council"), responses={200: CouncilOutput, 404: NOT_FOUND}),
)
class CouncilViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = CouncilOutput
    filterset_fields = ["compound"]
    search_fields = ["name", "compound__name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Council.objects.none()
        active = Q(seats__voting=True, seats__until__isnull=True)
        return (
            Council.objects.visible_to(self.request.user)
            .select_related("compound")
            .annotate(voting_seats=Count("seats", filter=active))
            .order_by("compound__path", "pk")
        )

    @extend_schema(summary=_("The council's seats, current first"), responses={200: SeatOutput(many=True)})
    @action(detail=True, methods=["get"])
    def seats(self, request, pk=None):
        council = self.get_object()
        seats = council.seats.select_related("person").order_by("until", "kind", "pk")
        return Response(SeatOutput(seats, many=True).data)


# --- Issues ---------------------------------------------------------------------------------------


class IssueEventOutput(serializers.ModelSerializer):
    class Meta:
        model = IssueEvent
        fields = ["step", "from_state", "to_state", "at", "note"]
        read_only_fields = fields


class IssueOutput(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    photo = serializers.FileField(read_only=True, allow_null=True)
    recorded_for_resident = serializers.SerializerMethodField()

    class Meta:
        model = Issue
        fields = [
            "id",
            "council",
            "compound",
            "compound_name",
            "category",
            "title",
            "description",
            "building",
            "photo",
            "state",
            "track",
            "triage_by",
            "due_on",
            "reason",
            "merged_into",
            "recorded_for_resident",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_recorded_for_resident(self, issue) -> bool:
        return issue.recorded_by_id is not None


class IssueDetailOutput(IssueOutput):
    events = IssueEventOutput(many=True, read_only=True)

    class Meta(IssueOutput.Meta):
        fields = [*IssueOutput.Meta.fields, "events"]
        read_only_fields = fields


class IssueInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=IssueCategory.choices)
    title = serializers.CharField(max_length=80)
    description = serializers.CharField(max_length=2000)
    building = VisiblePrimaryKeyField(queryset=Area.objects.all(), required=False, allow_null=True)
    photo = serializers.FileField(
        required=False, allow_null=True, help_text=_("A JPG or PNG picture, at most 8 MB.")
    )
    on_behalf_of = VisiblePrimaryKeyField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A social worker recording the issue for a resident: the resident's id."),
    )


class TriageInput(serializers.Serializer):
    track = serializers.ChoiceField(choices=Track.choices)
    due_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class IssueReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class MergeInput(serializers.Serializer):
    into = VisiblePrimaryKeyField(queryset=Issue.objects.all())


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PostOutput(serializers.ModelSerializer):
    body = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = ["id", "body", "hidden", "hidden_reason", "created_at"]
        read_only_fields = fields

    def get_body(self, post) -> str:
        return "" if post.hidden_at else post.body

    def get_hidden(self, post) -> bool:
        return post.hidden_at is not None


class PostInput(serializers.Serializer):
    body = serializers.CharField(max_length=1000)


class ResultRateInput(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Satisfaction.choices)


class ResultRateOutput(serializers.Serializer):
    rating = serializers.CharField()
    round = serializers.IntegerField()


class IssueFilter(django_filters.FilterSet):
    class Meta:
        model = Issue
        fields = ["state", "track", "category", "compound", "council"]


class IssuePagination(CursorPagination):
    # Newest first, on the (-created_at, -id) index; `?ordering=` picks another order, still keyed.
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(summary=_("Issues you may see: your own, or those of the compounds you serve")),
    retrieve=extend_schema(
        summary=_("One issue with its timeline"), responses={200: IssueDetailOutput, 404: NOT_FOUND}
    ),
)
class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = IssueOutput
    filterset_class = IssueFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "due_on", "state"]
    pagination_class = IssuePagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Issue.objects.none()
        issues = selectors.in_my_community(Issue.objects.all(), self.request.user, "compound")
        return issues.select_related("compound").order_by("-created_at", "-pk")

    def get_serializer_class(self):
        return IssueDetailOutput if self.action == "retrieve" else IssueOutput

    def retrieve(self, request, *args, **kwargs):
        issue = self.get_object()
        issue = Issue.objects.select_related("compound").prefetch_related("events").get(pk=issue.pk)
        return Response(IssueDetailOutput(issue, context=self.get_serializer_context()).data)

    def _output(self, issue, code=200):
        fresh = Issue.objects.select_related("compound").prefetch_related("events").get(pk=issue.pk)
        return Response(IssueDetailOutput(fresh, context=self.get_serializer_context()).data, status=code)

    @step_schema(
        _("Raise an issue in your compound (民提), or record one for a resident"),
        IssueInput,
        201,
        IssueDetailOutput,
    )
    def create(self, request):
        data = IssueInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        person = values.get("on_behalf_of") or getattr(request.user, "person", None)
        council = services.council_for(person)
        issue = services.issue_raise(actor=request.user, council=council, **values)
        return self._output(issue, status.HTTP_201_CREATED)

    @step_schema(
        _("Triage the issue (四事分流): micro, small, big or hard"), TriageInput, 200, IssueDetailOutput
    )
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        data = TriageInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.issue_triage(actor=request.user, issue=self.get_object(), **data.validated_data)
        )

    @step_schema(_("Do not take the issue up, with a reason"), IssueReasonInput, 200, IssueDetailOutput)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = IssueReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.issue_reject(actor=request.user, issue=self.get_object(), **data.validated_data)
        )

    @step_schema(_("Merge a duplicate into another open issue"), MergeInput, 200, IssueDetailOutput)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        data = MergeInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return self._output(
            services.issue_merge(actor=request.user, issue=self.get_object(), **data.validated_data)
        )

    def _advance(self, request, step):
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        issue = services.issue_advance(
            actor=request.user, issue=self.get_object(), step=step, **data.validated_data
        )
        return self._output(issue)

    @step_schema(_("The council decided: the issue goes to be handled"), NoteInput, 200, IssueDetailOutput)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        return self._advance(request, IssueStep.DECIDE)

    @step_schema(
        _("The street or department responded to an escalated issue"), NoteInput, 200, IssueDetailOutput
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        return self._advance(request, IssueStep.RESPOND)

    @step_schema(_("The issue is resolved"), NoteInput, 200, IssueDetailOutput)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._advance(request, IssueStep.RESOLVE)

    @step_schema(_("Reopen a resolved issue"), NoteInput, 200, IssueDetailOutput)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._advance(request, IssueStep.REOPEN)

    @extend_schema(
        methods=["GET"],
        summary=_("The issue's discussion (云协商), oldest first"),
        responses={200: PostOutput(many=True)},
    )
    @step_schema(_("Take part in the discussion of an open issue"), PostInput, 201, PostOutput)
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def posts(self, request, pk=None):
        issue = self.get_object()
        if request.method == "GET":
            return Response(PostOutput(issue.posts.order_by("created_at", "pk"), many=True).data)
        data = PostInput(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_add(actor=request.user, issue=issue, **data.validated_data)
        return Response(PostOutput(post).data, status=status.HTTP_201_CREATED)

    @step_schema(
        _("Rate how the issue was resolved (民评): satisfied, basically, unsatisfied"),
        ResultRateInput,
        201,
        ResultRateOutput,
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        data = ResultRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.result_rate(actor=request.user, issue=self.get_object(), **data.validated_data)
        return Response(ResultRateOutput(rating).data, status=status.HTTP_201_CREATED)


# --- Motions and votes ----------------------------------------------------------------------------


class MotionOutput(serializers.ModelSerializer):
    class Meta:
        model = Motion
        fields = [
            "id",
            "council",
            "issue",
            "title",
            "description",
            "options",
            "quorum",
            "threshold",
            "secret",
            "changeable",
            "opens_at",
            "closes_at",
            "state",
            "rule_hash",
            "outcome",
            "result",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class MotionInput(serializers.Serializer):
    council = VisiblePrimaryKeyField(queryset=Council.objects.all())
    issue = VisiblePrimaryKeyField(queryset=Issue.objects.all(), required=False, allow_null=True)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    options = serializers.ListField(child=serializers.CharField(max_length=60), min_length=2, max_length=10)
    quorum = serializers.DecimalField(max_digits=4, decimal_places=3, min_value=0, max_value=1)
    threshold = serializers.ChoiceField(choices=Threshold.choices)
    secret = serializers.BooleanField(required=False, default=False)
    changeable = serializers.BooleanField(required=False, default=False)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()


class RuleInput(serializers.Serializer):
    options = serializers.ListField(
        child=serializers.CharField(max_length=60), min_length=2, max_length=10, required=False
    )
    quorum = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=0, max_value=1, required=False
    )
    threshold = serializers.ChoiceField(choices=Threshold.choices, required=False)
    secret = serializers.BooleanField(required=False)
    changeable = serializers.BooleanField(required=False)
    opens_at = serializers.DateTimeField(required=False)
    closes_at = serializers.DateTimeField(required=False)


class VoteInput(serializers.Serializer):
    option = serializers.IntegerField(
        min_value=ABSTAIN, help_text=_("The option's index (0 for the first), or -1 to abstain.")
    )


class ReceiptOutput(serializers.Serializer):
    token = serializers.CharField(
        help_text=_("Your ballot's token: find it among the closed motion's receipts.")
    )
    voted = serializers.BooleanField()


@extend_schema_view(
    list=extend_schema(summary=_("Motions of the councils you may see")),
    retrieve=extend_schema(
        summary=_("One motion, its rule and, once closed, its tally"),
        responses={200: MotionOutput, 404: NOT_FOUND},
    ),
)
class MotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = MotionOutput
    filterset_fields = ["council", "state", "issue"]
    search_fields = ["title"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Motion.objects.none()
        user = self.request.user
        visible = Motion.objects.visible_to(user)
        person = getattr(user, "person", None)
        if person is not None:
            # A seat holder sees the motions of their council.
            seated = Motion.objects.filter(council__seats__person=person, council__seats__until__isnull=True)
            visible = Motion.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=seated.values("pk")))
        return visible.order_by("-opens_at", "-pk")

    @step_schema(_("Draft a motion with its rule (民决)"), MotionInput, 201, MotionOutput)
    def create(self, request):
        data = MotionInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        motion = services.motion_create(actor=request.user, **data.validated_data)
        return Response(MotionOutput(motion).data, status=status.HTTP_201_CREATED)

    @step_schema(_("Change a draft motion's rule (refused once voting opened)"), RuleInput, 200, MotionOutput)
    @action(detail=True, methods=["post"], url_path="change-rule")
    def change_rule(self, request, pk=None):
        data = RuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        motion = services.motion_change_rule(
            actor=request.user, motion=self.get_object(), **data.validated_data
        )
        return Response(MotionOutput(motion).data)

    @step_schema(
        _("Open voting: the voting seats and the rule are fixed and published"), None, 200, MotionOutput
    )
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        return Response(MotionOutput(services.motion_open(actor=request.user, motion=self.get_object())).data)

    @step_schema(_("Vote for your seat"), VoteInput, 200, ReceiptOutput)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        data = VoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        ballot = services.vote_cast(actor=request.user, motion=self.get_object(), **data.validated_data)
        return Response({"token": ballot.token, "voted": True})

    @extend_schema(
        summary=_("Your ballot's receipt for this motion"), responses={200: ReceiptOutput, 403: FORBIDDEN}
    )
    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        motion = self.get_object()
        seat = services.voter_seat(request.user, motion)
        if seat is None:
            return Response(
                {"detail": str(_("You hold no voting seat for this motion.")), "code": "no_voting_seat"},
                status=status.HTTP_403_FORBIDDEN,
            )
        token = services.ballot_token(motion, seat)
        return Response({"token": token, "voted": motion.ballots.filter(token=token).exists()})

    @step_schema(_("Close voting after its window: the result by the stated rule"), None, 200, MotionOutput)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(
            MotionOutput(services.motion_close(actor=request.user, motion=self.get_object())).data
        )


# --- Meetings (民议) ------------------------------------------------------------------------------


class CouncilMeetingOutput(serializers.ModelSerializer):
    agenda = serializers.SerializerMethodField()
    attendees = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "council",
            "title",
            "starts_at",
            "place",
            "online",
            "state",
            "agenda",
            "attendees",
            "minutes",
            "decisions",
            "summary",
            "approved_at",
        ]
        read_only_fields = fields

    def get_agenda(self, meeting) -> list[int]:
        return [item.issue_id for item in meeting.items.all()]

    def get_attendees(self, meeting) -> int:
        return len(meeting.attendees.all())


class CouncilMeetingInput(serializers.Serializer):
    council = VisiblePrimaryKeyField(queryset=Council.objects.all())
    title = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=120, required=False, allow_blank=True)
    online = serializers.BooleanField(required=False, default=False)
    issues = VisiblePrimaryKeyField(queryset=Issue.objects.all(), many=True, required=False)


class MinutesInput(serializers.Serializer):
    attendees = serializers.PrimaryKeyRelatedField(queryset=Seat.objects.all(), many=True)
    minutes = serializers.CharField(max_length=10000)
    decisions = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class SummaryInput(serializers.Serializer):
    summary = serializers.CharField(max_length=3000)


@extend_schema_view(
    list=extend_schema(summary=_("Council meetings you may see")),
    retrieve=extend_schema(
        summary=_("One council meeting"), responses={200: CouncilMeetingOutput, 404: NOT_FOUND}
    ),
)
class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = CouncilMeetingOutput
    filterset_fields = ["council", "state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return (
            Meeting.objects.visible_to(self.request.user)
            .prefetch_related("items", "attendees")
            .order_by("-starts_at", "-pk")
        )

    def _output(self, meeting, code=200):
        return Response(CouncilMeetingOutput(self.get_queryset().get(pk=meeting.pk)).data, status=code)

    @step_schema(
        _("Schedule a council meeting with its agenda"), CouncilMeetingInput, 201, CouncilMeetingOutput
    )
    def create(self, request):
        data = CouncilMeetingInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        meeting = services.meeting_schedule(actor=request.user, **data.validated_data)
        return self._output(meeting, status.HTTP_201_CREATED)

    @step_schema(
        _("Record who attended, the minutes and the decisions"), MinutesInput, 200, CouncilMeetingOutput
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        data = MinutesInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.meeting_record(actor=request.user, meeting=self.get_object(), **data.validated_data)
        )

    @step_schema(_("Approve the minutes and publish the summary"), SummaryInput, 200, CouncilMeetingOutput)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = SummaryInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.meeting_approve(actor=request.user, meeting=self.get_object(), **data.validated_data)
        )

    @step_schema(_("Cancel a scheduled meeting, with a reason"), IssueReasonInput, 200, CouncilMeetingOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = IssueReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._output(
            services.meeting_cancel(actor=request.user, meeting=self.get_object(), **data.validated_data)
        )


# --- Crowdfunding (居民众筹) ----------------------------------------------------------------------


class CampaignOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "council",
            "issue",
            "title",
            "description",
            "money_goal",
            "hours_goal",
            "materials",
            "closes_on",
            "progress",
        ]
        read_only_fields = fields

    def get_progress(self, campaign) -> dict[str, int]:
        return {
            "money_pledged": campaign.money_pledged or 0,
            "money_given": campaign.money_given or 0,
            "hours_pledged": campaign.hours_pledged or 0,
            "hours_given": campaign.hours_given or 0,
        }


class CampaignInput(serializers.Serializer):
    issue = VisiblePrimaryKeyField(queryset=Issue.objects.all())
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    money_goal = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    hours_goal = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    materials = serializers.CharField(max_length=300, required=False, allow_blank=True)
    closes_on = serializers.DateField()


class PledgeInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PledgeKind.choices)
    amount = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    hours = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    what = serializers.CharField(max_length=200, required=False, allow_blank=True)
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A unit's contact pledging for their unit: the unit's id."),
    )


class PledgeOutput(serializers.ModelSerializer):
    class Meta:
        model = Pledge
        fields = [
            "id",
            "campaign",
            "kind",
            "amount",
            "hours",
            "what",
            "organisation",
            "fulfilled_at",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary=_("Crowdfunding campaigns you may see, with their progress")),
    retrieve=extend_schema(summary=_("One campaign"), responses={200: CampaignOutput, 404: NOT_FOUND}),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = CampaignOutput
    filterset_fields = ["council", "issue"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        campaigns = selectors.in_my_community(Campaign.objects.all(), self.request.user, "council__compound")
        return selectors.with_progress(campaigns).order_by("-created_at", "-pk")

    @step_schema(
        _("Open a crowdfunding campaign for a decided project (居民众筹)"), CampaignInput, 201, CampaignOutput
    )
    def create(self, request):
        data = CampaignInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        campaign = services.campaign_open(actor=request.user, **data.validated_data)
        return Response(
            CampaignOutput(self.get_queryset().get(pk=campaign.pk)).data, status=status.HTTP_201_CREATED
        )

    @step_schema(_("Pledge money, hours of labour or materials"), PledgeInput, 201, PledgeOutput)
    @action(detail=True, methods=["post"])
    def pledge(self, request, pk=None):
        data = PledgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = self.get_object()
        pledge = services.pledge_make(actor=request.user, campaign=campaign, **data.validated_data)
        return Response(PledgeOutput(pledge).data, status=status.HTTP_201_CREATED)


class PledgeViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = PledgeOutput
    filterset_fields = ["campaign", "kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pledge.objects.none()
        return Pledge.objects.visible_to(self.request.user).order_by("-created_at", "-pk")

    @step_schema(_("Record a pledge as given (labour earns points)"), None, 200, PledgeOutput)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        return Response(
            PledgeOutput(services.pledge_fulfil(actor=request.user, pledge=self.get_object())).data
        )


# --- Tasks (民办) ---------------------------------------------------------------------------------


class TaskOutput(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "issue", "title", "owner", "due_on", "done_at"]
        read_only_fields = fields


class TaskInput(serializers.Serializer):
    issue = VisiblePrimaryKeyField(queryset=Issue.objects.all())
    title = serializers.CharField(max_length=120)
    owner = serializers.CharField(max_length=60)
    due_on = serializers.DateField()


class ReportInput(serializers.Serializer):
    note = serializers.CharField(max_length=500)
    photo = serializers.FileField(required=False, allow_null=True)
    done = serializers.BooleanField(required=False, default=False)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = TaskOutput
    filterset_fields = ["issue"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return Task.objects.visible_to(self.request.user).order_by("due_on", "pk")

    @step_schema(_("Add a task to an issue being handled (民办)"), TaskInput, 201, TaskOutput)
    def create(self, request):
        data = TaskInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return Response(
            TaskOutput(services.task_add(actor=request.user, **data.validated_data)).data, status=201
        )

    @step_schema(_("Report progress, with a photo; done marks the task done"), ReportInput, 200, TaskOutput)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        task = self.get_object()
        services.task_report(actor=request.user, task=task, **data.validated_data)
        task.refresh_from_db()
        return Response(TaskOutput(task).data)
