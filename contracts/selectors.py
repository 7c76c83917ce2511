"""Reads of contracts for pages: the public 亮约 board and one contract's public page."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, When

from audit.models import Entry
from community.access import scope_for
from community.models import AreaKind, Role

from .models import Contract, FulfilmentRecord, MenuOffer, Need, Pairing, PairingContact, Signature
from .workflow import PUBLIC_STATES


def live_signatures() -> Prefetch:
    """The signatures that stand (not voided), oldest first, as `contract.live_signatures`."""
    live = Signature.objects.filter(voided_at__isnull=True).select_related("organisation", "version")
    return Prefetch("signatures", queryset=live.order_by("signed_at"), to_attr="live_signatures")


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


COMPARED_FIELDS = ("side", "kind", "title", "deliverable", "quantity", "unit", "schedule", "budget")


def compare_versions(old: list[dict], new: list[dict]) -> list[dict]:
    """Item by item (by position): unchanged, changed (with the fields that differ), added or removed."""
    rows = []
    for index in range(max(len(old), len(new))):
        before = old[index] if index < len(old) else None
        after = new[index] if index < len(new) else None
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
