"""Reads of the wishes part: the wish wall (心愿墙), my wishes, the staff's list, one wish's page.

Who sees a wish: the residents of its community and the members reported there (the wall, without
personal details), the resident it is for, whoever posted it, the members who lit it up, and the
community's staff. Only the resident and the staff see whom it is for. Every list comes with its
community, grid, the resident's home (for "a resident of <compound>") and its claim count, so that a
page costs the same queries for 3 wishes or 300.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from community.access import scope_for
from community.models import Area, AreaKind, Person, User

from ..models import Report, Wish, WishClaim, WishEvent
from ..services.common import STAFF_ROLES, is_staff_of, person_of
from ..workflow import OPEN_WISH_STATES, ReportState, WishState

RESIDENT_CHOICES = 300
UNFINISHED_STATES = (WishState.OPEN, WishState.CLAIMED, WishState.FULFILLED)


# --- Who belongs where -----------------------------------------------------------------------------


def _authenticated(actor: User | None) -> bool:
    return actor is not None and actor.is_authenticated


def reported_communities(actor: User | None) -> dict[int, int | None]:
    """{community id: grid id} of the actor's accepted reports (members serve where they reported)."""
    if not _authenticated(actor):
        return {}
    return dict(
        Report.objects.filter(member__person__user=actor, state=ReportState.ACCEPTED).values_list(
            "community_id", "grid_id"
        )
    )


def member_communities(actor: User | None) -> set[int]:
    """The communities whose wall the actor sees: where they live, and where they reported."""
    ids = set(reported_communities(actor))
    person = person_of(actor)
    if person is not None:
        ids.add(person.community_id)
    return ids


def _staff_q(actor: User | None, lookup: str = "community") -> Q | None:
    """Wishes in the communities where the actor is staff; None means every wish (a platform administrator)."""
    if not _authenticated(actor):
        return Q(pk__in=[])
    scope = scope_for(actor)
    if scope.everything:
        return None
    staff = scope.for_roles(STAFF_ROLES)
    q = Q(pk__in=[])
    for path in staff.area_paths:
        q |= Q(**{f"{lookup}__path__startswith": path})
    return q


def is_wish_staff(actor: User | None) -> bool:
    """Whether the actor is the staff of some community (the staff's list of wishes)."""
    if not _authenticated(actor):
        return False
    scope = scope_for(actor)
    return scope.everything or not scope.for_roles(STAFF_ROLES).is_empty


def staff_communities(actor: User | None) -> QuerySet[Area]:
    """The communities where the actor is staff."""
    if not _authenticated(actor):
        return Area.objects.none()
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    scope = scope_for(actor)
    if not scope.everything:
        paths = Q(pk__in=[])
        for path in scope.for_roles(STAFF_ROLES).area_paths:
            paths |= Q(path__startswith=path)
        communities = communities.filter(paths)
    return communities.order_by("path")


# --- Shaping ---------------------------------------------------------------------------------------


def shaped(wishes: QuerySet[Wish], actor: User | None = None) -> QuerySet[Wish]:
    """With what every list shows: community, grid, the home for the place, the claim count, mine."""
    wishes = wishes.select_related("community", "grid", "beneficiary__home__parent__parent").annotate(
        claim_count=Count("claims")
    )
    if _authenticated(actor):
        wishes = wishes.annotate(
            claimed_by_me=Exists(WishClaim.objects.filter(wish=OuterRef("pk"), user=actor))
        )
    else:
        wishes = wishes.annotate(claimed_by_me=Value(False))
    return wishes


def visible_wishes(actor: User | None) -> QuerySet[Wish]:
    """Every wish the actor may open: see the module's docstring."""
    if not _authenticated(actor):
        return Wish.objects.none()
    staff = _staff_q(actor)
    if staff is None:
        return Wish.objects.all()
    q = (
        staff
        | Q(community_id__in=sorted(member_communities(actor)))
        | Q(beneficiary__user=actor)
        | Q(posted_by=actor)
        | Q(pk__in=WishClaim.objects.filter(user=actor).values("wish_id"))
    )
    return Wish.objects.filter(q)


def wish_list(
    *,
    actor: User | None,
    state: str | None = None,
    category: str | None = None,
    community: Area | None = None,
    grid: Area | None = None,
    mine: bool = False,
) -> QuerySet[Wish]:
    """The wishes the actor may see, filtered, nearest date first (the API's list)."""
    wishes = visible_wishes(actor)
    if state:
        wishes = wishes.filter(state=state)
    if category:
        wishes = wishes.filter(category=category)
    if community is not None:
        wishes = wishes.filter(community=community)
    if grid is not None:
        wishes = wishes.filter(grid=grid)
    if mine:
        wishes = wishes.filter(mine_q(actor))
    return shaped(wishes, actor).order_by("due_on", "pk")


def mine_q(actor: User) -> Q:
    return (
        Q(beneficiary__user=actor)
        | Q(posted_by=actor)
        | Q(pk__in=WishClaim.objects.filter(user=actor).values("wish_id"))
    )


def with_room(wishes: QuerySet[Wish]) -> QuerySet[Wish]:
    """Open wishes, and lit-up group wishes that still need members (on a queryset with claim_count)."""
    return wishes.filter(state__in=OPEN_WISH_STATES, claim_count__lt=F("group_size"))


# --- The feed and the pages ------------------------------------------------------------------------


def wish_wall(*, actor: User | None, community: Area | None = None) -> QuerySet[Wish]:
    """心愿墙: open wishes with room in the communities where the actor lives or reported; the actor's
    own grid first, then the nearest date. `community` narrows it to one of them (or, for its staff,
    shows that community's wall)."""
    ids = member_communities(actor)
    if community is not None:
        ids = {community.pk} if community.pk in ids or is_staff_of(actor, community) else set()
    wishes = with_room(shaped(Wish.objects.filter(community_id__in=sorted(ids)), actor))
    grids = {grid for grid in reported_communities(actor).values() if grid}
    person = person_of(actor)
    if person is not None and person.home_id:
        home = person.home
        if home is not None and (home.grid_id or home.kind == AreaKind.GRID):
            grids.add(home.grid_id or home.pk)
    near = Case(When(grid_id__in=sorted(grids), then=Value(0)), default=Value(1), output_field=IntegerField())
    return wishes.annotate(near=near).order_by("near", "due_on", "pk")


def _unfinished_first():
    return Case(
        When(state__in=UNFINISHED_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


def wishes_claimed(*, actor: User | None) -> QuerySet[Wish]:
    """The wishes the actor lit up: unfinished first, then by date."""
    if not _authenticated(actor):
        return Wish.objects.none()
    wishes = Wish.objects.filter(pk__in=WishClaim.objects.filter(user=actor).values("wish_id"))
    return (
        shaped(wishes, actor).annotate(unfinished=_unfinished_first()).order_by("unfinished", "due_on", "pk")
    )


def wishes_posted(*, actor: User | None) -> QuerySet[Wish]:
    """The wishes for the actor (as the resident) or posted by them: unfinished first, newest first."""
    if not _authenticated(actor):
        return Wish.objects.none()
    wishes = Wish.objects.filter(Q(beneficiary__user=actor) | Q(posted_by=actor))
    return (
        shaped(wishes, actor)
        .select_related("beneficiary")
        .annotate(unfinished=_unfinished_first())
        .order_by("unfinished", "-created_at", "-pk")
    )


def wishes_for_staff(
    *,
    actor: User | None,
    state: str | None = None,
    category: str | None = None,
    grid: Area | None = None,
) -> QuerySet[Wish] | None:
    """Every wish of the communities where the actor is staff, filtered; None for anyone else."""
    if not is_wish_staff(actor):
        return None
    q = _staff_q(actor)
    wishes = Wish.objects.all() if q is None else Wish.objects.filter(q)
    if state:
        wishes = wishes.filter(state=state)
    if category:
        wishes = wishes.filter(category=category)
    if grid is not None:
        wishes = wishes.filter(grid=grid)
    return (
        shaped(wishes, actor)
        .select_related("beneficiary", "posted_by")
        .annotate(unfinished=_unfinished_first())
        .order_by("unfinished", "due_on", "pk")
    )


def staff_grid_choices(actor: User | None) -> QuerySet[Area]:
    q = _staff_q(actor, lookup="parent")
    grids = Area.objects.filter(kind=AreaKind.GRID)
    if q is not None:
        grids = grids.filter(q)
    return grids.select_related("parent").order_by("path")


def resident_choices(actor: User | None) -> list[Person]:
    """The residents the staff may post a wish for (their communities'), by name."""
    q = _staff_q(actor)
    if not is_wish_staff(actor):
        return []
    people = Person.objects.filter(is_resident=True)
    if q is not None:
        people = people.filter(q)
    return list(
        people.select_related("community", "home").order_by("community__path", "name", "pk")[
            :RESIDENT_CHOICES
        ]
    )


def wish_for_page(*, actor: User | None, pk: int) -> Wish | None:
    """One wish with its beneficiary, poster and claim count, if the actor may see it."""
    return (
        shaped(visible_wishes(actor).filter(pk=pk), actor)
        .select_related("beneficiary__user", "posted_by")
        .first()
    )


def wish_claims(wish: Wish) -> list[WishClaim]:
    return list(wish.claims.select_related("user").order_by("claimed_at", "pk"))


def wish_timeline(wish: Wish) -> QuerySet[WishEvent]:
    return wish.events.select_related("actor").order_by("created_at", "pk")


# --- What a viewer may read ----------------------------------------------------------------------


def may_see_beneficiary(actor: User | None, wish: Wish) -> bool:
    """The resident's name only to the resident themself and to the community's staff."""
    if not _authenticated(actor):
        return False
    return wish.beneficiary.user_id == actor.pk or is_staff_of(actor, wish.community)


def _compound(area: Area | None) -> Area | None:
    # The home is a compound, or a building (or a unit or household) below one: three levels are loaded.
    for _step in range(3):
        if area is None:
            return None
        if area.kind == AreaKind.COMPOUND:
            return area
        area = area.parent
    return None


def wish_place(wish: Wish) -> str:
    """Where the wish is, without saying who: "a resident of 越都花园" (or of the grid, or community)."""
    home = wish.beneficiary.home if wish.beneficiary_id else None
    compound = _compound(home)
    place = compound.name if compound else (wish.grid.name if wish.grid_id else wish.community.name)
    return _("A resident of %(place)s") % {"place": place}


def with_places(wishes: Iterable[Wish]) -> list[Wish]:
    """The wishes as a list, each with `place` set (for the templates)."""
    rows = list(wishes)
    for wish in rows:
        wish.place = wish_place(wish)
    return rows
