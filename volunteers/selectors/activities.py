"""Reads of the activities part: lists shaped for the pages and the API, each in a fixed number of queries.

Who sees an activity: the staff over its community (roles), the community's residents and the
members who reported there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from community.access import scope_for, scope_q
from community.models import Area, AreaKind, User

from ..models import Activity, Report, Signup
from ..services.common import STAFF_ROLES
from ..workflow import PLACE_STATES, ReportState, SignupState


def my_community_ids(actor: User | None) -> list[int]:
    """The communities the actor lives in or has an accepted report in (one or two queries)."""
    if actor is None or not actor.is_authenticated:
        return []
    ids = set(
        Report.objects.filter(member__person__user=actor, state=ReportState.ACCEPTED).values_list(
            "community_id", flat=True
        )
    )
    person = getattr(actor, "person", None)
    if person is not None and person.community_id:
        ids.add(person.community_id)
    return sorted(ids)


def staff_communities(actor: User | None) -> QuerySet[Area]:
    """The communities where the actor may publish activities (secretary, social worker, street, district)."""
    scope = scope_for(actor).for_roles(STAFF_ROLES)
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path")
    if scope.everything:
        return communities
    if not scope.area_paths:
        return communities.none()
    q = Q(pk__in=[])
    for path in scope.area_paths:
        q |= Q(path__startswith=path)
    return communities.filter(q)


def with_places(activities: QuerySet[Activity], actor: User | None = None) -> QuerySet[Activity]:
    """Annotate `places_taken`, `places_left` and, for a signed-in actor, `my_state` (their sign-up's state)."""
    activities = activities.annotate(
        places_taken=Count("signups", filter=Q(signups__state__in=PLACE_STATES)),
    ).annotate(places_left=ExpressionWrapper(F("capacity") - F("places_taken"), output_field=IntegerField()))
    if actor is not None and actor.is_authenticated:
        mine = Signup.objects.filter(activity=OuterRef("pk"), user=actor).values("state")[:1]
        activities = activities.annotate(my_state=Subquery(mine))
    else:
        activities = activities.annotate(my_state=Value(None, output_field=CharField()))
    return activities


def activities_visible(actor: User | None) -> QuerySet[Activity]:
    """Every activity the actor may see."""
    if actor is None or not actor.is_authenticated:
        return Activity.objects.none()
    q = scope_q(Activity, actor)
    if q is None:
        return Activity.objects.all()
    communities = my_community_ids(actor)
    if communities:
        q |= Q(community_id__in=communities)
    return Activity.objects.filter(q)


def activity_list(
    *,
    actor: User | None,
    when: str = "",
    community: Area | int | None = None,
    field: str = "",
    mine: bool = False,
    now: datetime | None = None,
) -> QuerySet[Activity]:
    """Activities for the list page and the API, shaped (community, organiser, places, my state).

    `when="upcoming"`: not cancelled and not ended, the viewer's own communities first, soonest first;
    `when="past"`: ended or cancelled, newest first; otherwise all, newest first. `mine`: those the
    actor holds a place at (not cancelled), still ahead first.
    """
    now = now or timezone.now()
    activities = with_places(activities_visible(actor), actor).select_related("community", "organiser")
    if community:
        activities = activities.filter(community=community)
    if field:
        activities = activities.filter(field=field)
    if when == "upcoming":
        return only_upcoming(only_mine(activities, actor) if mine else activities, actor, now)
    if when == "past":
        return only_past(only_mine(activities, actor) if mine else activities, now)
    if mine:
        # One's own: those still ahead first (soonest first), then the past ones (newest first).
        ahead = Q(ends_at__gt=now, cancelled_at__isnull=True)
        return only_mine(activities, actor).order_by(
            Case(When(ahead, then=Value(0)), default=Value(1)),
            Case(When(ahead, then=F("starts_at"))).asc(nulls_last=True),
            "-starts_at",
            "-pk",
        )
    return activities.order_by("-starts_at", "-pk")


def only_upcoming(activities: QuerySet[Activity], actor: User | None, now: datetime) -> QuerySet[Activity]:
    """Not cancelled and not ended; the actor's own communities first, then soonest first."""
    own = my_community_ids(actor)
    return activities.filter(cancelled_at__isnull=True, ends_at__gt=now).order_by(
        Case(When(community_id__in=own, then=Value(0)), default=Value(1)), "starts_at", "pk"
    )


def only_past(activities: QuerySet[Activity], now: datetime) -> QuerySet[Activity]:
    """Ended or cancelled, newest first."""
    return activities.filter(Q(cancelled_at__isnull=False) | Q(ends_at__lte=now)).order_by(
        "-starts_at", "-pk"
    )


def only_mine(activities: QuerySet[Activity], actor: User | None) -> QuerySet[Activity]:
    """Those the actor holds a place at (signed up, attended or marked as not come)."""
    taken = Signup.objects.filter(user=actor, state__in=PLACE_STATES).values("activity_id")
    return activities.filter(pk__in=taken)


def upcoming_activities(*, actor: User | None) -> QuerySet[Activity]:
    """Not cancelled, not ended, of the communities the actor lives in or reported to; soonest first,
    with `places_taken` and `places_left` annotated (for the member's feed page)."""
    return (
        with_places(
            Activity.objects.filter(
                community_id__in=my_community_ids(actor),
                cancelled_at__isnull=True,
                ends_at__gt=timezone.now(),
            ),
            actor,
        )
        .select_related("community", "organiser")
        .order_by("starts_at", "pk")
    )


def signups_of(*, actor: User | None) -> QuerySet[Signup]:
    """The actor's sign-ups, upcoming first (soonest first), then past ones (newest first)."""
    if actor is None or not actor.is_authenticated:
        return Signup.objects.none()
    now = timezone.now()
    upcoming = Q(activity__ends_at__gt=now, activity__cancelled_at__isnull=True)
    return (
        Signup.objects.filter(user=actor)
        .select_related("activity", "activity__community")
        .annotate(past=Case(When(upcoming, then=Value(0)), default=Value(1)))
        .order_by(
            "past",
            Case(When(upcoming, then=F("activity__starts_at"))).asc(nulls_last=True),
            "-activity__starts_at",
            "-pk",
        )
    )


def hours_of(*, user: User | None, since: datetime | None = None) -> Decimal:
    """The hours `user` served at activities they attended (since `since`, by the activity's start)."""
    if user is None or not user.is_authenticated:
        return Decimal("0.0")
    signups = Signup.objects.filter(user=user, state=SignupState.ATTENDED)
    if since is not None:
        signups = signups.filter(activity__starts_at__gte=since)
    return signups.aggregate(total=Sum("hours"))["total"] or Decimal("0.0")


def signups_for_staff(*, activity: Activity) -> QuerySet[Signup]:
    """The activity's sign-ups for its staff: who, with their person (name, phone), in sign-up order."""
    return (
        Signup.objects.filter(activity=activity)
        .select_related("user", "user__person")
        .order_by(
            Case(When(state=SignupState.CANCELLED, then=Value(1)), default=Value(0)), "signed_up_at", "pk"
        )
    )


def signups_visible(actor: User | None) -> QuerySet[Signup]:
    """The actor's own sign-ups and, for staff, those of the communities they serve."""
    return Signup.objects.visible_to(actor)
