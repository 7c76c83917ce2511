"""Reads of service orders: who sees which order, the pool, a member's and a resident's lists, the
community's dispatch board, and what each viewer may see of the resident's address and phone.

Every list is shaped (`select_related`) so that a page of orders costs the same number of queries
for 3 orders as for 20. Templates and serializers never read `order.address` or `order.contact_phone`
directly: `with_contact` sets `shown_address`, `shown_phone` and `shown_resident` for the viewer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import BooleanField, Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from community.access import scope_for, scope_q
from community.models import Area, AreaKind, Person, User

from ..models import OrderEvent, Report, ServiceOrder
from ..services.common import STAFF_ROLES, is_staff_of
from ..services.orders import ORDERING_ROLES, is_holder, is_orderer
from ..workflow import HELD_ORDER_STATES, OPEN_ORDER_STATES, ORDER_TABLE, OrderState, OrderStep, ReportState

S = OrderState
# States in which the order has not been served yet: past its window, it is overdue.
NOT_DONE_STATES = (S.ORDERED, S.ASSIGNED, S.POOLED, S.ACCEPTED, S.STARTED)
# The board's order of states: what needs the community first.
BOARD_STATE_RANK = [
    S.ORDERED,
    S.ASSIGNED,
    S.POOLED,
    S.ACCEPTED,
    S.STARTED,
    S.DONE,
    S.RATED,
    S.CLOSED,
    S.CANCELLED,
]


def _authenticated(actor: User | None) -> bool:
    return actor is not None and actor.is_authenticated


def _shaped(queryset: QuerySet | None = None) -> QuerySet:
    queryset = ServiceOrder.objects.all() if queryset is None else queryset
    return queryset.select_related("community", "grid", "resident", "member", "ordered_by")


def reported_communities(actor: User | None) -> list[tuple[int, int | None]]:
    """(community id, grid id) of each accepted report of the actor (a member has at most one active)."""
    if not _authenticated(actor):
        return []
    return list(
        Report.objects.filter(member__person__user=actor, state=ReportState.ACCEPTED).values_list(
            "community_id", "grid_id"
        )
    )


def orders_visible(*, actor: User | None) -> QuerySet:
    """Orders the actor may open: the staff's communities', their own (as resident or who ordered for
    one), those they hold, and the pooled orders of the communities they reported to."""
    if not _authenticated(actor):
        return ServiceOrder.objects.none()
    q = scope_q(ServiceOrder, actor)
    if q is None:
        return _shaped()
    q |= Q(ordered_by=actor) | Q(member=actor)
    communities = [community for community, _grid in reported_communities(actor)]
    if communities:
        q |= Q(state=S.POOLED, community_id__in=communities)
    return _shaped(ServiceOrder.objects.filter(q))


def orders_for_steps(*, actor: User | None) -> QuerySet:
    """Orders the actor may try a step on: what they see, and any order of the communities they reported
    to (so that a late grab hears "already taken", not "not found"; the services decide)."""
    if not _authenticated(actor):
        return ServiceOrder.objects.none()
    communities = [community for community, _grid in reported_communities(actor)]
    visible = orders_visible(actor=actor)
    if not communities:
        return visible
    return _shaped(
        ServiceOrder.objects.filter(Q(pk__in=visible.values("pk")) | Q(community_id__in=communities))
    )


def order_detail(*, actor: User | None, pk: int) -> ServiceOrder | None:
    """One order the actor may see, with its photos and its timeline; None if they may not."""
    events = OrderEvent.objects.select_related("actor").order_by("created_at", "pk")
    return (
        orders_visible(actor=actor)
        .prefetch_related("photos", Prefetch("events", queryset=events))
        .filter(pk=pk)
        .first()
    )


def order_pool(*, actor: User | None) -> QuerySet:
    """抢单: the pooled orders of the communities where the actor has an accepted report, their own grid
    first, then the soonest; their own orders are left out."""
    reports = reported_communities(actor)
    if not reports:
        return ServiceOrder.objects.none()
    communities = [community for community, _grid in reports]
    grids = [grid for _community, grid in reports if grid]
    own_grid = Case(
        When(grid_id__in=grids, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    return (
        _shaped()
        .filter(state=S.POOLED, community_id__in=communities)
        .exclude(resident__user=actor)
        .annotate(in_own_grid=own_grid)
        .order_by("-in_own_grid", "window_start", "pk")
    )


def orders_held(*, actor: User | None) -> QuerySet:
    """The orders whose member is the actor: those awaiting them first (dispatched, accepted, started),
    soonest first; then those awaiting the rating; then the finished, newest first."""
    if not _authenticated(actor):
        return ServiceOrder.objects.none()
    rank = Case(
        When(state__in=(S.ASSIGNED, S.ACCEPTED, S.STARTED), then=Value(0)),
        When(state=S.DONE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    soonest = Case(When(state__in=(S.ASSIGNED, S.ACCEPTED, S.STARTED, S.DONE), then=F("window_start")))
    return (
        _shaped()
        .filter(member=actor)
        .annotate(rank=rank, soonest=soonest)
        .order_by("rank", "soonest", "-created_at", "-pk")
    )


def orders_ordered(*, actor: User | None) -> QuerySet:
    """The actor's orders as a resident (and those a social worker or secretary ordered for a resident):
    those awaiting a rating first, then the open ones, then the rest, newest first; with their photos."""
    if not _authenticated(actor):
        return ServiceOrder.objects.none()
    rank = Case(
        When(state=S.DONE, then=Value(0)),
        When(state__in=OPEN_ORDER_STATES, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        _shaped()
        .filter(Q(resident__user=actor) | Q(ordered_by=actor))
        .prefetch_related("photos")
        .annotate(rank=rank)
        .order_by("rank", "-created_at", "-pk")
    )


# --- The dispatch board (社区发单) -------------------------------------------------------------------


def staff_scope(actor: User | None):
    return scope_for(actor).for_roles(STAFF_ROLES)


def is_board_user(actor: User | None) -> bool:
    return _authenticated(actor) and not staff_scope(actor).is_empty


def overdue_q(now=None) -> Q:
    """Past the accept-by time while waiting for a member, or past the window while not done."""
    now = now or timezone.now()
    return Q(state__in=(S.ASSIGNED, S.POOLED), accept_by__lt=now) | Q(
        state__in=NOT_DONE_STATES, window_end__lt=now
    )


def order_board(
    *,
    actor: User | None,
    state: str = "open",
    field: str = "",
    grid: Area | None = None,
    community: Area | None = None,
) -> QuerySet | None:
    """The orders of the communities the actor runs (secretary, social worker, street or district),
    by state (the community's work first), overdue first within a state; None for anyone else.

    `state`: "open" (not yet finished), "overdue", "" (all), or one state.
    """
    if not is_board_user(actor):
        return None
    scope = staff_scope(actor)
    q = scope_q(ServiceOrder, actor, scope, include_owner=False)
    orders = _shaped() if q is None else _shaped(ServiceOrder.objects.filter(q))
    now = timezone.now()
    overdue = overdue_q(now)
    if state == "open":
        orders = orders.filter(state__in=OPEN_ORDER_STATES)
    elif state == "overdue":
        orders = orders.filter(overdue)
    elif state:
        orders = orders.filter(state=state)
    if field:
        orders = orders.filter(field=field)
    if grid is not None:
        orders = orders.filter(grid=grid)
    if community is not None:
        orders = orders.filter(community=community)
    rank = Case(
        *[When(state=value, then=Value(n)) for n, value in enumerate(BOARD_STATE_RANK)],
        output_field=IntegerField(),
    )
    return orders.annotate(
        state_rank=rank,
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()),
    ).order_by("state_rank", "-is_overdue", "window_start", "pk")


def board_grids(actor: User | None) -> QuerySet:
    """The grids of the communities the actor runs (the board's grid filter)."""
    scope = staff_scope(actor)
    grids = Area.objects.filter(kind=AreaKind.GRID)
    if scope.everything:
        return grids.order_by("path")
    q = Q(pk__in=[])
    for path in scope.area_paths:
        q |= Q(path__startswith=path)
    return grids.filter(q).order_by("path")


def dispatch_candidates(community_ids: Iterable[int]) -> dict[int, list[Report]]:
    """The members reported to (and accepted by) each community, with their grid and skills, by name."""
    community_ids = sorted(set(community_ids))
    found: dict[int, list[Report]] = defaultdict(list)
    if not community_ids:
        return found
    reports = (
        Report.objects.filter(community_id__in=community_ids, state=ReportState.ACCEPTED)
        .filter(member__person__user__isnull=False, member__person__user__is_active=True)
        .select_related("member__person__user", "grid")
        .order_by("grid__name", "member__person__name", "pk")
    )
    for report in reports:
        found[report.community_id].append(report)
    return found


def candidates_for(order: ServiceOrder, candidates: dict[int, list[Report]]) -> list[Report]:
    """The community's reported members for `order`: those who offer its service first, never the resident."""
    reports = [
        r for r in candidates.get(order.community_id, []) if r.member.person.user_id != order.resident.user_id
    ]
    return sorted(reports, key=lambda r: order.field not in (r.service_fields or []))


# --- What a viewer may see and do ------------------------------------------------------------------


def contact_visible(actor: User | None, order: ServiceOrder) -> bool:
    """The full address and phone: to the member holding the order (accepted, started, done), the
    resident and whoever ordered for them, and the community's staff; masked to everyone else."""
    if not _authenticated(actor):
        return False
    if order.member_id == actor.pk and order.state in HELD_ORDER_STATES:
        return True
    if is_orderer(actor, order):
        return True
    return is_staff_of(actor, order.community)


def mask_name(name: str) -> str:
    """李**: the first character only."""
    name = (name or "").strip()
    return f"{name[0]}{'*' * max(1, len(name) - 1)}" if name else ""


def with_contact(orders: Iterable[ServiceOrder], actor: User | None) -> list[ServiceOrder]:
    """Set what `actor` may see of each order's resident: `contact_visible`, `shown_address`,
    `shown_phone`, `shown_resident` (no query beyond the actor's cached scope)."""
    orders = list(orders)
    for order in orders:
        visible = contact_visible(actor, order)
        order.contact_visible = visible
        order.shown_address = order.address if visible else order.masked_address
        order.shown_phone = order.contact_phone if visible else order.masked_phone
        order.shown_resident = order.resident.name if visible else mask_name(order.resident.name)
    return orders


def order_steps(actor: User | None, order: ServiceOrder) -> list[str]:
    """The steps `actor` may take on `order` now (for the buttons; the services decide)."""
    if not _authenticated(actor):
        return []
    state, steps = order.state, []
    holder = is_holder(actor, order)
    staff = is_staff_of(actor, order.community)
    if holder:
        steps += [
            step
            for step in (
                OrderStep.ACCEPT,
                OrderStep.DECLINE,
                OrderStep.START,
                OrderStep.RELEASE,
                OrderStep.FINISH,
            )
            if ORDER_TABLE.can(step, state)
        ]
    if state == S.POOLED and order.resident.user_id != actor.pk:
        if any(community == order.community_id for community, _grid in reported_communities(actor)):
            steps.append(OrderStep.GRAB)
    if staff:
        steps += [step for step in (OrderStep.DISPATCH, OrderStep.POOL) if ORDER_TABLE.can(step, state)]
    if is_orderer(actor, order) and ORDER_TABLE.can(OrderStep.RATE, state):
        steps.append(OrderStep.RATE)
    if (staff or is_orderer(actor, order)) and ORDER_TABLE.can(OrderStep.CANCEL, state):
        steps.append(OrderStep.CANCEL)
    return steps


def is_overdue(order: ServiceOrder, now=None) -> bool:
    now = now or timezone.now()
    if order.state in (S.ASSIGNED, S.POOLED) and order.accept_by and order.accept_by < now:
        return True
    return order.state in NOT_DONE_STATES and order.window_end < now


def waiting_for_community(actor: User | None) -> int:
    """How many orders of the actor's communities await dispatch (for a badge)."""
    board = order_board(actor=actor, state=S.ORDERED)
    return 0 if board is None else board.count()


ORDER_FOR_CHOICES = 300


def orderable_people(actor: User | None) -> list[Person] | None:
    """The residents a social worker or secretary may order for (their communities), by name; None
    for anyone else."""
    if not _authenticated(actor):
        return None
    scope = scope_for(actor).for_roles(ORDERING_ROLES)
    if scope.is_empty:
        return None
    q = scope_q(Person, actor, scope, include_owner=False)
    people = Person.objects.all() if q is None else Person.objects.filter(q)
    return list(people.select_related("community").order_by("name", "pk")[:ORDER_FOR_CHOICES])
