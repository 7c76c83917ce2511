"""Reports (党员报到) and pledges (锋领十条 · 人人契约).

A Party member reports to their residential community with skills and the services they offer; the
community's secretary or a social worker accepts (placing them in a grid) or declines; the member can
update their skills, move to another grid, leave, or move to another community (leave and report
again, one step). Accepting pays the "member reported" earning rule once per member and community.

The secretary publishes the year's pledge text; a new version supersedes the last. Members who have
reported sign the current version online, once; the signature's hash goes into the public record.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import text_hash
from audit.services import audit_append
from community.models import Area, AreaKind, PartyMember, User
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from points.models import EventType

from ..models import PledgeSignature, PledgeText, Report
from ..workflow import REPORT_TABLE, ReportState, ServiceField
from .common import member_of, pay, refusal, require_reported_member, require_staff

SKILLS_MAX = 200
PLEDGE_TITLE_MAX = 100
PLEDGE_BODY_MAX = 5000


# --- Reports --------------------------------------------------------------------------------------


def _clean_fields(service_fields: Any) -> list[str]:
    if service_fields is None:
        return []
    if isinstance(service_fields, str) or not isinstance(service_fields, list | tuple):
        raise ValidationFailed(
            _("Choose the services you offer from the list."), code="invalid_service_fields"
        )
    values = []
    for value in service_fields:
        if value not in ServiceField.values:
            raise ValidationFailed(
                _("Choose the services you offer from the list."),
                code="invalid_service_fields",
                extra={"service_fields": [_("Not a service on the list.")]},
            )
        if value not in values:
            values.append(value)
    return values


def _clean_skills(skills: Any) -> str:
    skills = (skills or "").strip() if isinstance(skills, str) or skills is None else None
    if skills is None or len(skills) > SKILLS_MAX:
        raise ValidationFailed(
            _("Describe your skills in at most %(max)s characters.") % {"max": SKILLS_MAX},
            code="invalid_skills",
            extra={"skills": [_("At most %(max)s characters.") % {"max": SKILLS_MAX}]},
        )
    return skills


def _require_member(actor: User | None) -> PartyMember:
    member = member_of(actor)
    if member is None:
        raise PermissionDenied(
            _(
                "Only Party members can report to a community. Ask your community to register your membership."
            ),
            code="not_a_member",
        )
    return member


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("member__person", "community").get(pk=report.pk)


def _check_grid(grid: Area | None, community: Area) -> None:
    if grid is not None and (grid.kind != AreaKind.GRID or not grid.is_within(community)):
        raise ValidationFailed(
            _("Choose a grid of this community."),
            code="invalid_grid",
            extra={"grid": [_("Not a grid here.")]},
        )


@transaction.atomic
def report_submit(
    *,
    actor: User,
    community: Area | None = None,
    skills: str = "",
    service_fields: list[str] | None = None,
    note: str = "",
) -> Report:
    """The member reports to their residential community (or `community`, if they live elsewhere in its area)."""
    member = _require_member(actor)
    community = community or member.person.community
    if community is None or community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("Choose the community you live in."), code="invalid_community")
    skills = _clean_skills(skills)
    fields = _clean_fields(service_fields)
    note = (note or "").strip()[:200]
    PartyMember.objects.select_for_update().get(pk=member.pk)  # one report at a time per member
    active = Report.objects.filter(
        member=member, state__in=[ReportState.PENDING, ReportState.ACCEPTED]
    ).first()
    if active is not None:
        if active.community_id == community.pk:
            raise Conflict(_("You have already reported to this community."), code="already_reported")
        raise Conflict(
            _("You are reported to %(community)s. Move instead, so your service there ends first.")
            % {"community": active.community.name},
            code="reported_elsewhere",
        )
    return Report.objects.create(
        member=member, community=community, skills=skills, service_fields=fields, note=note
    )


@transaction.atomic
def report_update(
    *, actor: User, report: Report, skills: str | None = None, service_fields: list[str] | None = None
) -> Report:
    """The member changes their skills and the services they offer."""
    report = _locked(report)
    if report.member.person.user_id != getattr(actor, "pk", None):
        raise refusal(
            actor, report.community, _("Only the member can change their skills."), "not_own_report"
        )
    REPORT_TABLE.check("leave", report.state)  # pending or accepted
    if skills is not None:
        report.skills = _clean_skills(skills)
    if service_fields is not None:
        report.service_fields = _clean_fields(service_fields)
    report.save(update_fields=["skills", "service_fields"])
    return report


@transaction.atomic
def report_accept(*, actor: User | None, report: Report, grid: Area | None = None) -> Report:
    """The community accepts the member and places them in a grid; the member-reported points are paid once."""
    report = _locked(report)
    require_staff(actor, report.community)
    REPORT_TABLE.check("accept", report.state)
    _check_grid(grid, report.community)
    member = report.member
    if grid is None and member.grid_id and member.grid.is_within(report.community):
        grid = member.grid  # accepted without a choice: the grid the member already has there stays
    report.state, report.grid = ReportState.ACCEPTED, grid
    report.decided_at, report.decided_by = timezone.now(), actor
    report.save(update_fields=["state", "grid", "decided_at", "decided_by"])
    member.grid = grid
    member.save(update_fields=["grid", "updated_at"])
    if member.person.user_id:
        pay(
            EventType.MEMBER_REPORTED,
            member.person.user_id,
            report.community,
            f"member-report:{member.pk}:{report.community_id}",
            cause=f"volunteers.Report:{report.pk}",
            memo=report.community.name,
        )
    return report


@transaction.atomic
def report_decline(*, actor: User | None, report: Report, reason: str) -> Report:
    report = _locked(report)
    require_staff(actor, report.community)
    REPORT_TABLE.check("decline", report.state)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationFailed(
            _("Say why, in at most 200 characters: the member reads it."),
            code="reason_required",
            extra={"reason": [_("Required.")]},
        )
    report.state, report.note = ReportState.DECLINED, reason
    report.decided_at, report.decided_by = timezone.now(), actor
    report.save(update_fields=["state", "note", "decided_at", "decided_by"])
    return report


@transaction.atomic
def report_place(*, actor: User | None, report: Report, grid: Area | None) -> Report:
    """Move an accepted member to another grid of the community."""
    report = _locked(report)
    require_staff(actor, report.community)
    REPORT_TABLE.check("place", report.state)
    _check_grid(grid, report.community)
    report.grid = grid
    report.save(update_fields=["grid"])
    member = report.member
    member.grid = grid
    member.save(update_fields=["grid", "updated_at"])
    return report


@transaction.atomic
def report_leave(*, actor: User | None, report: Report) -> Report:
    """The member (or the community's staff) ends the member's service in the community."""
    report = _locked(report)
    own = actor is not None and report.member.person.user_id == actor.pk
    if not own:
        require_staff(actor, report.community)
    REPORT_TABLE.check("leave", report.state)
    report.state, report.left_at = ReportState.LEFT, timezone.now()
    report.save(update_fields=["state", "left_at"])
    member = report.member
    if member.grid_id and report.grid_id == member.grid_id:
        member.grid = None
        member.save(update_fields=["grid", "updated_at"])
    return report


@transaction.atomic
def report_move(
    *, actor: User, community: Area, skills: str | None = None, service_fields: list[str] | None = None
) -> Report:
    """Leave the current community and report to `community`, in one step (the new one decides)."""
    member = _require_member(actor)
    PartyMember.objects.select_for_update().get(pk=member.pk)
    active = Report.objects.filter(
        member=member, state__in=[ReportState.PENDING, ReportState.ACCEPTED]
    ).first()
    if active is not None and active.community_id == community.pk:
        raise Conflict(_("You have already reported to this community."), code="already_reported")
    if active is not None:
        skills = active.skills if skills is None else skills
        service_fields = active.service_fields if service_fields is None else service_fields
        report_leave(actor=actor, report=active)
    return report_submit(actor=actor, community=community, skills=skills or "", service_fields=service_fields)


# --- Pledges --------------------------------------------------------------------------------------


def current_pledge(community: Area, year: int | None = None) -> PledgeText | None:
    """The newest version of the community's pledge for `year` (this year by default)."""
    year = year or timezone.localdate().year
    return PledgeText.objects.filter(community=community, year=year).order_by("-version").first()


@transaction.atomic
def pledge_publish(
    *, actor: User | None, community: Area, title: str, body: str, year: int | None = None
) -> PledgeText:
    """Publish the year's pledge text (or a new version of it); its hash goes into the public record."""
    require_staff(actor, community)
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationFailed(_("A pledge is published by a community."), code="invalid_community")
    title = (title or "").strip() if isinstance(title, str) or title is None else ""
    body = (body or "").strip() if isinstance(body, str) or body is None else ""
    errors = {}
    if not title or len(title) > PLEDGE_TITLE_MAX:
        errors["title"] = [_("Required, at most %(max)s characters.") % {"max": PLEDGE_TITLE_MAX}]
    if not body or len(body) > PLEDGE_BODY_MAX:
        errors["body"] = [_("Required, at most %(max)s characters.") % {"max": PLEDGE_BODY_MAX}]
    this_year = timezone.localdate().year
    year = this_year if year is None else year
    if not isinstance(year, int) or not this_year - 1 <= year <= this_year + 1:
        errors["year"] = [_("Last year, this year or next year.")]
    if errors:
        raise ValidationFailed(
            _("Please correct the pledge. Nothing was published."), code="invalid_pledge", extra=errors
        )
    # Versions of one community's year take turns; the unique constraint is the last word.
    last = (
        PledgeText.objects.select_for_update()
        .filter(community=community, year=year)
        .order_by("-version")
        .first()
    )
    version = (last.version + 1) if last else 1
    try:
        with transaction.atomic():
            text = PledgeText.objects.create(
                community=community,
                year=year,
                version=version,
                title=title,
                body=body,
                text_hash=text_hash(f"{title}\n{body}"),
                published_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            _("Someone published a version at the same moment; reload and try again."), code="version_taken"
        ) from None
    audit_append(
        kind="volunteers.pledge_published",
        subject=f"volunteers.PledgeText:{text.pk}",
        payload={"community_id": community.pk, "year": year, "version": version, "text_hash": text.text_hash},
        area=community,
    )
    return text


@transaction.atomic
def pledge_sign(*, actor: User, text: PledgeText) -> PledgeSignature:
    """A reported member signs the current version of their community's pledge, once."""
    text = PledgeText.objects.select_related("community").get(pk=text.pk)
    report = require_reported_member(actor, text.community)
    newest = current_pledge(text.community, text.year)
    # A later year's pledge supersedes last year's too, not only a newer version of the same year.
    later_year = PledgeText.objects.filter(community=text.community, year__gt=text.year).exists()
    if (newest is not None and newest.pk != text.pk) or later_year:
        raise Conflict(
            _("A newer version of this pledge has been published; read and sign that one."), code="superseded"
        )
    if PledgeSignature.objects.filter(text=text, member=report.member).exists():
        raise Conflict(_("You have already signed this pledge."), code="already_signed")
    try:
        with transaction.atomic():
            signature = PledgeSignature.objects.create(text=text, member=report.member)
    except IntegrityError:
        raise Conflict(_("You have already signed this pledge."), code="already_signed") from None
    entry = audit_append(
        kind="volunteers.pledge_signed",
        subject=f"volunteers.PledgeSignature:{signature.pk}",
        payload={
            "pledge_id": text.pk,
            "community_id": text.community_id,
            "year": text.year,
            "version": text.version,
            "text_hash": text.text_hash,
            "member_ref": signature.member_id,
        },
        area=text.community,
    )
    signature.record_hash = entry.entry_hash
    signature.save(update_fields=["record_hash"])
    return signature


def get_report(*, actor: User, pk: int) -> Report:
    """A report the actor may see (their own, or one in their communities); else 404."""
    report = (
        Report.objects.visible_to(actor)
        .select_related("member__person", "community", "grid")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFound(_("Not found."), code="not_found")
    return report
