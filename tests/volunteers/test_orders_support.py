"""Shared pieces of the service-order tests (no tests here): a world of reported members in 越都社区,
a member reported to 府山社区, a resident's order, photos, and a snapshot of everything a refused
step must leave as it was.

`order_world(d)`: `w.members` are reported, accepted members of 越都社区 (w.members[0] is the
district's member1, an electrician); `w.resident` is 李秀英's login (resident1, living in 越都花园1幢);
`w.outsider` a member reported to 府山社区; `w.social_worker` a social worker of 越都社区.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community import services as community_services
from community.models import MembershipType
from core.models import OutboxMessage
from notices.models import Notice
from tests.factories import make_user
from tests.volunteers.support import JPG, PNG, volunteer_world
from volunteers.models import OrderEvent, OrderPhoto, ServiceOrder
from volunteers.services import orders as services
from volunteers.services import reporting

__all__ = ["JPG", "PNG"]


def order_world(d, members: int = 3):
    w = volunteer_world(d, members=members)
    w.resident = d.resident_user
    w.outsider = outside_member(d)
    return w


def outside_member(d, username: str = "fushan_member"):
    """A member living in 府山社区 and reported (accepted) there."""
    user = make_user(username)
    person = community_services.person_create(
        actor=None, name="府山党员", community=d.community3, home=d.compound3, phone="13700009999", user=user
    )
    community_services.party_member_register(
        actor=None, person=person, membership_type=MembershipType.REGISTERED, party_organisation=d.party3
    )
    user.refresh_from_db()
    report = reporting.report_submit(actor=user, service_fields=["repair"])
    reporting.report_accept(actor=None, report=report)
    return user


def window(hours: float = 24, length: float = 2):
    start = timezone.now() + timedelta(hours=hours)
    return start, start + timedelta(hours=length)


def place(w, actor=None, **fields) -> ServiceOrder:
    start, end = window()
    values = {
        "field": "repair",
        "description": "厨房水龙头一直滴水，关不紧",
        "window_start": start,
        "window_end": end,
        **fields,
    }
    return services.order_place(actor=actor or w.resident, **values)


def photo(
    name: str = "done.png", content: bytes = PNG, content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pooled(w, order=None) -> ServiceOrder:
    order = order or place(w)
    return services.order_to_pool(actor=w.d.secretary1, order=order)


def grabbed(w, member=None, order=None) -> ServiceOrder:
    return services.order_grab(actor=member or w.members[0], order=pooled(w, order))


def done(w, member=None, order=None) -> ServiceOrder:
    member = member or w.members[0]
    order = grabbed(w, member, order)
    return services.order_finish(actor=member, order=order, photos=[photo()], note="换了新的阀芯，不再滴水")


def order_awards():
    """The outbox's "order completed" payments (reports accepted in the world pay their own rule)."""
    return OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="order_completed")


def snapshot(order: ServiceOrder) -> dict:
    """Everything a refused step must leave as it was."""
    fresh = ServiceOrder.objects.get(pk=order.pk)
    fields = {
        f.attname: getattr(fresh, f.attname) for f in ServiceOrder._meta.concrete_fields if f.attname != "id"
    }
    return {
        "order": fields,
        "events": OrderEvent.objects.filter(order=order).count(),
        "photos": OrderPhoto.objects.filter(order=order).count(),
        "outbox": order_awards().count(),
        "notices": Notice.objects.count(),
    }
