"""Reads of contracts for pages: the public 亮约 board and one contract's public page."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, When

from audit.models import Entry
from community.access import scope_for
from community.models import Area, AreaKind, Organisation, OrgKind, Role

from .models import (
    Contract,
    Criterion,
    FulfilmentRecord,
    MenuOffer,
    Need,
    Pairing,
    PairingContact,
    RaterKind,
    Signature,
)
from .workflow import PUBLIC_STATES, ContractState


def live_signatures() -> Prefetch:
    """The signatures that stand (not voided), oldest first, as `contract.live_signatures`."""
    live = Signature.objects.filter(voided_at__isnull=True).select_related("organisation", "version")
    return Prefetch("signatures", queryset=live.order_by("signed_at"), to_attr="live_signatures")


def certificate_signatures(contract: Contract) -> QuerySet[Signature]:
    """Every signature of `contract`, voided ones too, with signer, organisation and version: the signing
    certificate as the parties and their staff see it (the certificate page and the print view)."""
    return contract.signatures.select_related("organisation", "signer", "version").order_by("signed_at", "pk")


def record_entries(contract: Contract) -> QuerySet[Entry]:
    """The public-record entries about `contract`, in the record's order."""
    return Entry.objects.filter(subject=f"contracts.Contract:{contract.pk}").order_by("seq")


def public_contracts() -> QuerySet[Contract]:
    """Contracts the public may see (published, being evaluated, evaluated), with what their pages show."""
    return (
        Contract.objects.filter(state__in=PUBLIC_STATES)
        .select_related("pairing__community", "pairing__community_org", "pairing__unit_org", "frozen_version")
        .prefetch_related(live_signatures())
        .order_by("pairing__community__path", "-term_start", "pk")
    )


def publication_entry(contract: Contract) -> Entry | None:
    return (
        Entry.objects.filter(kind="contracts.published", subject=f"contracts.Contract:{contract.pk}")
        .order_by("-seq")
        .first()
    )


def progress_by_item(contract: Contract) -> dict[int, dict]:
    """For each item with records: how many, the people served and the hours (one query)."""
    rows = (
        FulfilmentRecord.objects.filter(contract=contract)
        .values("item_index")
        .annotate(records=Count("id"), people=Sum("people_served"), hours=Sum("hours"))
        .order_by()
    )
    return {row["item_index"]: row for row in rows}


MILESTONE_SOON_DAYS = 7


def milestone_status(due: date, reached_on: date | None, today: date) -> str:
    """reached, overdue (past its date, not reached), due soon (within 7 days) or upcoming."""
    if reached_on is not None:
        return "reached"
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=MILESTONE_SOON_DAYS):
        return "due_soon"
    return "upcoming"


def milestones_reached(contracts) -> dict[int, dict[tuple[int, int], date]]:
    """For contracts (a queryset, or ids): {contract id: {(item, milestone): the day it was reached}}, one query."""
    reached: dict[int, dict[tuple[int, int], date]] = {}
    rows = (
        FulfilmentRecord.objects.filter(contract__in=contracts, milestone__isnull=False)
        .values_list("contract_id", "item_index", "milestone", "done_on")
        .order_by()
    )
    for contract_id, item_index, milestone, done_on in rows:
        reached.setdefault(contract_id, {})[(item_index, milestone)] = done_on
    return reached


def milestones_by_item(
    contract: Contract,
    items: list[dict],
    today: date,
    *,
    reached: dict[tuple[int, int], date] | None = None,
) -> dict[int, list[dict]]:
    """Each item's milestones with their status and, when reached, the date (one query).

    `reached` is this contract's part of `milestones_reached`, for a caller looking at many
    contracts: then no query.
    """
    if reached is None:
        reached = milestones_reached([contract.pk]).get(contract.pk, {})
    result = {}
    for index, item in enumerate(items):
        rows = []
        for number, milestone in enumerate(item.get("milestones") or []):
            due = date.fromisoformat(milestone["due"])
            reached_on = reached.get((index, number))
            rows.append(
                {
                    "index": number,
                    "due": due,
                    "what": milestone["what"],
                    "reached_on": reached_on,
                    "status": milestone_status(due, reached_on, today),
                }
            )
        result[index] = rows
    return result


COMPARED_FIELDS = (
    "side",
    "kind",
    "title",
    "deliverable",
    "quantity",
    "unit",
    "schedule",
    "budget",
    "milestones",
)


def _shown(item: dict | None) -> dict | None:
    """An item as the comparison shows it: milestones as one line of text (none for an older version)."""
    if item is None:
        return None
    milestones = item.get("milestones") or []
    return {**item, "milestones": "；".join(f"{m['due']} {m['what']}" for m in milestones)}


def compare_versions(old: list[dict], new: list[dict]) -> list[dict]:
    """Item by item (by position): unchanged, changed (with the fields that differ), added or removed."""
    rows = []
    for index in range(max(len(old), len(new))):
        before = _shown(old[index]) if index < len(old) else None
        after = _shown(new[index]) if index < len(new) else None
        if before is None:
            rows.append(
                {
                    "index": index,
                    "status": "added",
                    "before": None,
                    "after": after,
                    "changed": COMPARED_FIELDS,
                }
            )
        elif after is None:
            rows.append({"index": index, "status": "removed", "before": before, "after": None, "changed": ()})
        else:
            changed = tuple(f for f in COMPARED_FIELDS if before.get(f) != after.get(f))
            rows.append(
                {
                    "index": index,
                    "status": "changed" if changed else "unchanged",
                    "before": before,
                    "after": after,
                    "changed": changed,
                }
            )
    return rows


def overall_progress(items: list[dict], progress: dict[int, dict], milestones: dict[int, list[dict]]) -> dict:
    """Items with at least one record, milestones reached and overdue, out of all."""
    rows = [m for index in range(len(items)) for m in milestones.get(index, [])]
    return {
        "items": len(items),
        "items_started": sum(1 for index in range(len(items)) if index in progress),
        "milestones": len(rows),
        "reached": sum(1 for m in rows if m["status"] == "reached"),
        "overdue": sum(1 for m in rows if m["status"] == "overdue"),
    }


def ranking(contract: Contract) -> dict | None:
    """An evaluated contract's place among the year's evaluated contracts of its street and of the district."""
    if contract.score is None:
        return None
    community = contract.pairing.community
    street = community.ancestor_of_kind(AreaKind.STREET)
    district = community.ancestor_of_kind(AreaKind.DISTRICT)
    year = Contract.objects.filter(
        state=ContractState.EVALUATED, score__isnull=False, term_start__year=contract.term_start.year
    )
    result = {}
    for name, area in (("street", street), ("district", district)):
        if area is None:
            continue
        peers = year.filter(pairing__community__path__startswith=area.path).aggregate(
            ahead=Count("pk", filter=Q(score__gt=contract.score)), total=Count("pk")
        )
        result[name] = {"area": area, "place": peers["ahead"] + 1, "of": peers["total"]}
    return result


# --- Matching the menus (by category and area) ---------------------------------------------------


def _street_path(area) -> str:
    street = area.ancestor_of_kind(AreaKind.STREET) if area.kind != AreaKind.STREET else area
    return (street or area).path


def offers_for_need(need: Need) -> QuerySet[MenuOffer]:
    """Active offers of the need's kind in the same street, the need's own community first."""
    return (
        MenuOffer.objects.filter(
            active=True, kind=need.kind, area__path__startswith=_street_path(need.community)
        )
        .exclude(organisation__area=need.community, organisation__kind="community_party")
        .select_related("organisation", "area")
        .annotate(
            same_community=Case(When(area=need.community, then=0), default=1, output_field=IntegerField())
        )
        .order_by("same_community", "title", "pk")
    )


def needs_for_offer(offer: MenuOffer) -> QuerySet[Need]:
    """Open needs of the offer's kind in the same street, the offer's own community first."""
    return (
        Need.objects.filter(open=True, kind=offer.kind, community__path__startswith=_street_path(offer.area))
        .select_related("community")
        .annotate(
            same_community=Case(When(community=offer.area, then=0), default=1, output_field=IntegerField())
        )
        .order_by("same_community", "-created_at", "pk")
    )


def offers_chosen(raw_ids) -> list[MenuOffer]:
    """Active offers by id (ids as typed in a query string; anything else is ignored), in the order given."""
    ids = [int(raw) for raw in raw_ids if raw.isascii() and raw.isdigit()][:30]
    offers = MenuOffer.objects.filter(active=True, pk__in=ids).select_related("organisation")
    by_id = {offer.pk: offer for offer in offers}
    return [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id]


def pairing_for_offers(pairings: QuerySet[Pairing], offers: list[MenuOffer]) -> Pairing | None:
    """The one pairing of `pairings` whose organisations made the offers, if there is exactly one."""
    orgs = {offer.organisation_id for offer in offers}
    if not orgs:
        return None
    matching = [p for p in pairings if orgs <= {p.community_org_id, p.unit_org_id}]
    return matching[0] if len(matching) == 1 else None


def party_pairings(user) -> QuerySet[Pairing]:
    """The active pairings `user` may act for on either side, in one query (the sides of services.sides_of)."""
    scope = scope_for(user)
    q = Q(pk__in=PairingContact.objects.filter(user=user).values("pairing_id"))
    if not scope.everything:
        for path in scope.for_roles((Role.COMMUNITY_SECRETARY,)).area_paths:
            q |= Q(community__path__startswith=path)
    org_ids = scope.for_roles((Role.UNIT_CONTACT,)).org_ids
    if org_ids:
        q |= Q(unit_org__in=sorted(org_ids))
    return (
        Pairing.objects.visible_to(user)
        .filter(active=True)
        .filter(q)
        .select_related("community_org", "unit_org")
    )


def menu_organisations(user) -> QuerySet:
    """The organisations whose menus `user` may change: their units (contact), their communities (secretary)."""
    scope = scope_for(user)
    if scope.everything:
        return Organisation.objects.filter(kind__in=(OrgKind.UNIT_PARTY, OrgKind.COMMUNITY_PARTY)).order_by(
            "name"
        )
    q = Q(pk__in=sorted(scope.for_roles((Role.UNIT_CONTACT,)).org_ids), kind=OrgKind.UNIT_PARTY)
    for path in scope.for_roles((Role.COMMUNITY_SECRETARY,)).area_paths:
        q |= Q(kind=OrgKind.COMMUNITY_PARTY, area__path__startswith=path)
    return Organisation.objects.filter(q).order_by("name")


def need_communities(user) -> QuerySet:
    """The communities whose needs `user` may post (as their secretary)."""
    scope = scope_for(user)
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path")
    if scope.everything:
        return communities
    q = Q(pk__in=[])
    for path in scope.for_roles((Role.COMMUNITY_SECRETARY,)).area_paths:
        q |= Q(path__startswith=path)
    return communities.filter(q)


def side_ratings(contract: Contract) -> list[dict]:
    """How each side rated the other, criterion by criterion, for the public page."""
    rows = []
    for rating in contract.ratings.exclude(rater_kind=RaterKind.RESIDENT).order_by("rater_kind"):
        rows.append(
            {
                "by": rating.get_rater_kind_display(),
                "score": rating.score,
                # In the criteria's own order (a JSON object keeps no order in PostgreSQL).
                "criteria": [
                    (Criterion(code).label, rating.scores[code])
                    for code in Criterion.values
                    if code in rating.scores
                ],
            }
        )
    return rows
