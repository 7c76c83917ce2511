"""Demo service orders in 越都社区: a dozen residents' orders in every state of the loop (点单 → 发单 →
接单/抢单 → 晒单 → 评单), some by jumin_li (李秀英), some placed by the social worker for elderly
residents without a phone; one pooled order that dangyuan_wang (王建国) can grab, and one done order
awaiting jumin_li's rating.

Every order goes through volunteers.services.orders; finished ones are written "as of" the days they
happened (like points.demo). An order is found again by its description, so seeding twice adds nothing.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

from django.core.files.base import ContentFile
from django.utils import timezone

from community import services as community_services
from community.models import Area, AreaKind, PartyMember, Person, User
from core.seeding import DEMO_PASSWORD, DemoContext

from .models import Report, ServiceOrder
from .services import orders as services
from .services import reporting
from .workflow import ACTIVE_REPORT_STATES, OrderState, ReportState

# (who orders: "jumin_li" or a resident's name ordered for by the social worker, service, what is
#  needed, the state to reach, who serves: "wang" or "other", days ago it was ordered, rating)
ORDERS = [
    (
        "jumin_li",
        "repair",
        "卫生间水龙头漏水，关不紧，想请人帮忙换个阀芯。",
        OrderState.ORDERED,
        None,
        0,
        None,
    ),
    (
        "张桂兰",
        "electricity",
        "家里电路老化，插座经常跳闸，想请懂电的党员来检查一下电路。",
        OrderState.ORDERED,
        None,
        0,
        None,
    ),
    (
        "张桂兰",
        "everyday",
        "下周三要去市人民医院复查，儿女在外地，想请人陪同挂号、取药。",
        OrderState.ASSIGNED,
        "other",
        0,
        None,
    ),
    (
        "jumin_li",
        "everyday",
        "帮忙到社区卫生服务站代买降压药（硝苯地平缓释片），药钱当面结清。",
        OrderState.POOLED,
        None,
        0,
        None,
    ),
    (
        "张桂兰",
        "environment",
        "楼道里堆了不少旧纸箱和杂物，想请志愿者帮忙一起清理。",
        OrderState.POOLED,
        None,
        0,
        None,
    ),
    (
        "jumin_li",
        "repair",
        "洗衣机不脱水，转几下就停，想请懂家电维修的党员看看。",
        OrderState.ACCEPTED,
        "wang",
        0,
        None,
    ),
    (
        "张桂兰",
        "hardship",
        "独居，想请人每周来测一次血压，讲讲用药要注意什么。",
        OrderState.STARTED,
        "other",
        1,
        None,
    ),
    ("jumin_li", "repair", "家里电视机没有信号了，请帮忙调试一下机顶盒。", OrderState.DONE, "wang", 2, None),
    (
        "张桂兰",
        "everyday",
        "阳台上的旧柜子想搬下楼，自己搬不动，请人帮忙。",
        OrderState.DONE,
        "other",
        1,
        None,
    ),
    (
        "jumin_li",
        "electricity",
        "厨房的灯管坏了，请帮忙换一根新的。",
        OrderState.RATED,
        "wang",
        12,
        (5, "王师傅来得很快，换得很好，谢谢！"),
    ),
    (
        "张桂兰",
        "mediation",
        "楼上卫生间漏水渗到我家天花板，想请人帮忙和楼上邻居协商。",
        OrderState.RATED,
        "other",
        20,
        (4, "调解得很耐心，问题解决了。"),
    ),
    (
        "jumin_li",
        "everyday",
        "想学用智能手机和外地的孙子视频通话，请人教一教。",
        OrderState.CLOSED,
        "other",
        15,
        None,
    ),
    ("jumin_li", "everyday", "厨房下水道堵了，想请人帮忙疏通。", OrderState.CANCELLED, None, 3, None),
]
DONE_NOTES = {
    "repair": "上门检查后更换了损坏的零件，试用正常。",
    "electricity": "检查了线路并更换了老化部件，已试通电，一切正常。",
    "everyday": "按约定时间上门，事情已经办好，老人很满意。",
    "hardship": "测量了血压，讲解了用药注意事项，约好下周再来。",
    "mediation": "约双方当面沟通，楼上同意维修防水，已达成一致。",
    "environment": "和邻居们一起清理了楼道杂物，已恢复通畅。",
}
# Members who report to 越都社区 if the reporting demo has not made any: (username, name, phone, skills, fields).
EXTRA_MEMBERS = [
    ("dangyuan_chen", "陈晓燕", "13705759011", "护理、陪诊", ["everyday", "hardship", "epidemic"]),
    ("dangyuan_zhao", "赵志强", "13705759012", "调解、搬运", ["mediation", "everyday", "environment"]),
]


@contextmanager
def _as_of(when: datetime) -> Iterator[None]:
    """Make `timezone.now()` (and so every auto_now_add) answer `when` while the history is written."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def _png(rgb: tuple[int, int, int], size: int = 32) -> bytes:
    """A small plain-coloured PNG (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * size
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def _ensure_reported(user: User | None, community: Area, skills: str, fields: list[str]) -> bool:
    """The member's accepted report to the community, made through the reporting services if missing."""
    if user is None:
        return False
    member = PartyMember.objects.filter(person__user=user).select_related("person").first()
    if member is None or member.person.community_id != community.pk:
        return False
    report = Report.objects.filter(member=member, state__in=ACTIVE_REPORT_STATES).first()
    if report is None:
        report = reporting.report_submit(
            actor=user, community=community, skills=skills, service_fields=fields
        )
    if report.community_id != community.pk:
        return False
    if report.state == ReportState.PENDING:
        reporting.report_accept(actor=None, report=report, grid=member.grid)
    return True


def _reported_users(community: Area) -> list[User]:
    return [
        report.member.person.user
        for report in Report.objects.filter(community=community, state=ReportState.ACCEPTED)
        .filter(member__person__user__isnull=False)
        .select_related("member__person__user")
        .order_by("pk")
    ]


def _other_members(community: Area, wang: User | None) -> list[User]:
    others = [user for user in _reported_users(community) if wang is None or user.pk != wang.pk]
    if others:
        return others
    for username, name, phone, skills, fields in EXTRA_MEMBERS:
        person = Person.objects.filter(name=name, community=community).first()
        if person is None or not PartyMember.objects.filter(person=person).exists():
            continue
        user = person.user or User.objects.filter(username=username).first()
        if user is None:
            user = community_services.user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                display_name=f"党员 {name}",
                phone=phone,
            )
        if person.user_id is None:
            community_services.person_update(actor=None, person=person, user=user)
        _ensure_reported(user, community, skills, fields)
    return [user for user in _reported_users(community) if wang is None or user.pk != wang.pk]


def _at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed(ctx: DemoContext) -> None:
    yuedu = Area.objects.filter(name="越都社区", kind=AreaKind.COMMUNITY).first()
    if yuedu is None:
        return
    resident = User.objects.filter(username="jumin_li").first()
    wang = User.objects.filter(username="dangyuan_wang").first()
    secretary = User.objects.filter(username="yuedu_shuji").first()
    social_worker = User.objects.filter(username="yuedu_shegong").first()
    elder = Person.objects.filter(name="张桂兰", community=yuedu).first()
    if resident is None or not hasattr(resident, "person"):
        return
    if not _ensure_reported(wang, yuedu, "电工、家电维修", ["repair", "electricity", "everyday"]):
        wang = None
    others = _other_members(yuedu, wang)
    servers = {"wang": wang or (others[0] if others else None), "other": others[0] if others else wang}
    for n, (who, field, description, state, server_key, days_ago, rating) in enumerate(ORDERS):
        if ServiceOrder.objects.filter(community=yuedu, description=description).exists():
            continue
        server = servers.get(server_key) if server_key else None
        if server_key and server is None:
            continue
        if who == "jumin_li" or elder is None or social_worker is None:
            orderer, for_person = resident, None
        else:
            orderer, for_person = social_worker, elder
        _order(
            n,
            days_ago=days_ago,
            orderer=orderer,
            for_person=for_person,
            field=field,
            description=description,
            state=state,
            server=server,
            staff=secretary,
            rating=rating,
        )


@contextmanager
def _on(day, hour: int, minute: int = 0) -> Iterator[None]:
    """The history of an order served on a past day happens at daytime hours of that day."""
    if day is None:
        yield
    else:
        with _as_of(_at(day, hour, minute)):
            yield


def _order(n, *, days_ago, orderer, for_person, field, description, state, server, staff, rating) -> None:
    """Place the order and take it to `state`: today's open orders are for tomorrow morning; an order
    served `days_ago` days ago was placed at 8:00 that day, taken at 9:30 and done by 11:00."""
    today = timezone.localdate()
    day = today - timedelta(days=days_ago) if days_ago else None
    window_day = day or today + timedelta(days=1)
    with _on(day, 8):
        order = services.order_place(
            actor=orderer,
            for_person=for_person,
            field=field,
            description=description,
            window_start=_at(window_day, 9),
            window_end=_at(window_day, 12),
            address="" if for_person is None else "和畅苑3幢1单元201",
        )
    with _on(day, 8, 30):
        if state == OrderState.ORDERED:
            return
        if state == OrderState.CANCELLED:
            services.order_cancel(actor=orderer, order=order, reason="已请物业处理好了")
            return
        if state == OrderState.POOLED:
            services.order_to_pool(actor=staff, order=order)
            return
        if server is None or server.pk == getattr(orderer, "pk", None):
            return
        # Dispatched ones alternate with grabbed ones, as in the pilot.
        if state == OrderState.ASSIGNED or n % 2 == 0:
            order = services.order_dispatch(actor=staff, order=order, member=server)
            if state == OrderState.ASSIGNED:
                return
            order = services.order_accept(actor=server, order=order)
        else:
            order = services.order_grab(actor=server, order=services.order_to_pool(actor=staff, order=order))
    if state == OrderState.ACCEPTED:
        return
    with _on(day, 9, 30):
        order = services.order_start(actor=server, order=order)
    if state == OrderState.STARTED:
        return
    photos = [
        ContentFile(_png((178, 18, 31)), name=f"demo-order-{n}-1.png"),
        ContentFile(_png((240, 200, 120)), name=f"demo-order-{n}-2.png"),
    ]
    with _on(day, 11):
        order = services.order_finish(
            actor=server, order=order, photos=photos, note=DONE_NOTES.get(field, "已完成。")
        )
    if state == OrderState.RATED and rating:
        with _on(day + timedelta(days=1) if day else None, 10):
            services.order_rate(actor=orderer, order=order, stars=rating[0], comment=rating[1])
    elif state == OrderState.CLOSED:
        services.order_close(order=order)
