"""Demo co-construction activities (共建活动) in 越都社区: past ones closed with attendance, hours and a
no-show; a free clinic with the hospital tomorrow with a few places left (for dangyuan_wang and
jumin_li to sign up to); a full one; a cancelled one; members-only and open ones ahead.

Idempotent: an activity is looked up by its title in the community, and made (with its history) only
when missing. The past is written through the real services while the clock is set back (`_as_of`),
as the points demo does; closing pays the hours through the outbox like the periodic job.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.utils import timezone

from community import services as community_services
from community.models import Area, AreaKind, Organisation, Person, User
from core.exceptions import ApplicationError
from core.seeding import DEMO_PASSWORD, DemoContext
from points.earning import earning_rule_save
from points.models import EventType
from points.selectors import earning_rule_for

from .models import Activity, Signup
from .services import activities as services
from .workflow import ReportState

COMMUNITY = "越都社区"
# Residents of 越都社区 who volunteer (logins with the demo password; not printed with the role logins).
VOLUNTEERS = [
    ("yuedu_zyz1", "俞国良", "13705759101", "越都花园"),
    ("yuedu_zyz2", "沈桂芳", "13705759102", "越都花园"),
    ("yuedu_zyz3", "陶建明", "13705759103", "和畅苑"),
    ("yuedu_zyz4", "金月娥", "13705759104", "和畅苑"),
    ("yuedu_zyz5", "鲁志华", "13705759105", "塔山新村"),
    ("yuedu_zyz6", "章丽萍", "13705759106", "塔山新村"),
]

# (title, field, place, days from today, start "HH:MM", hours, places, paired unit, open to residents,
#  what happens, details)
ACTIVITIES = [
    (
        "垃圾分类宣传进小区",
        "waste",
        "越都花园中心广场",
        -24,
        "09:00",
        2.5,
        10,
        None,
        True,
        "past",
        "在小区广场设宣传点，向居民讲解四分类知识，现场指导垃圾投放，发放宣传资料和分类垃圾袋。",
    ),
    (
        "独居老人家庭用电安全检查",
        "electricity",
        "社区党群服务中心集合，分组入户（越都花园、和畅苑）",
        -17,
        "14:00",
        3,
        6,
        "国网越城供电公司党支部",
        True,
        "past",
        "与供电公司党员服务队一起，为辖区独居老人检查家中线路、插座和燃气报警器，更换老化插线板。",
    ),
    (
        "周末治安联防巡逻",
        "patrol",
        "社区警务室集合，塔山新村至和畅苑沿线",
        -6,
        "19:00",
        2,
        8,
        None,
        True,
        "past",
        "佩戴红袖章分组巡逻，重点查看楼道消防通道、电动车充电和独居老人家门窗。",
    ),
    (
        "义诊进社区：量血压、测血糖",
        "everyday",
        "越都社区党群服务中心一楼大厅",
        1,
        "08:30",
        3,
        12,
        "越城区人民医院党委",
        True,
        "open",
        "人民医院党员医生坐诊：免费量血压、测血糖，解答慢病用药问题。志愿者负责引导排队、登记和搀扶老人。",
    ),
    (
        "法律咨询进社区",
        "legal",
        "越都社区党群服务中心二楼调解室",
        3,
        "14:00",
        2,
        4,
        None,
        True,
        "full",
        "律师志愿者现场解答婚姻家庭、房屋租赁、养老赡养等法律问题；志愿者协助登记和维持秩序。",
    ),
    (
        "楼道堆积物清理",
        "environment",
        "和畅苑1至4幢楼道",
        5,
        "09:00",
        2,
        15,
        None,
        True,
        "cancelled",
        "清理楼道杂物，消除消防隐患。请自带手套。",
    ),
    (
        "党员防汛应急演练",
        "rescue",
        "越都社区防汛物资仓库",
        8,
        "09:00",
        2,
        20,
        None,
        False,
        "open",
        "熟悉防汛物资存放和沙袋装运，演练低洼小区人员转移。仅限已报到的党员参加。",
    ),
    (
        "家电义务维修进小区",
        "repair",
        "塔山新村南门",
        12,
        "09:00",
        3,
        8,
        None,
        True,
        "open",
        "为居民免费检修小家电；会修电器的志愿者请报名，其他志愿者负责登记和送还。",
    ),
]


@contextmanager
def _as_of(when: datetime):
    """Make `timezone.now()` (and so every auto_now_add) answer `when` while the history is written."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def _volunteer(username: str, name: str, phone: str, compound_name: str, community: Area) -> User | None:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = community_services.user_create(
            actor=None, username=username, password=DEMO_PASSWORD, display_name=f"居民 {name}", phone=phone
        )
    if getattr(user, "person", None) is None:
        compound = Area.objects.filter(parent=community, kind=AreaKind.COMPOUND, name=compound_name).first()
        home = Area.objects.filter(parent=compound).order_by("path").first() if compound else None
        person = Person.objects.filter(name=name, community=community, user__isnull=True).first()
        if person is None:
            community_services.person_create(
                actor=None, name=name, community=community, home=home, phone=phone, user=user
            )
        else:
            community_services.person_update(actor=None, person=person, user=user)
        user.refresh_from_db()
    return user


def _people(community: Area) -> dict[str, list[User]]:
    """Who takes part: dangyuan_wang and jumin_li, the other reported members, the residents with logins."""
    reported = list(
        User.objects.filter(
            person__party_member__reports__community=community,
            person__party_member__reports__state=ReportState.ACCEPTED,
        )
        .distinct()
        .order_by("pk")
    )
    residents = list(User.objects.filter(person__community=community, is_active=True).order_by("pk"))
    stars = [u for u in residents if u.username in ("dangyuan_wang", "jumin_li")]
    others = [u for u in residents if u not in stars]
    return {
        "stars": stars,
        "others": others,
        "members": [u for u in reported if u.username != "dangyuan_wang"],
        "all": stars + others,
    }


def _start(today, days: int, clock: str) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone())


def _sign_up(user: User, activity: Activity) -> Signup | None:
    try:
        return services.signup_create(actor=user, activity=activity)
    except ApplicationError:
        return None  # not eligible in this demo (say, not reported yet): leave them out


def _past(activity: Activity, staff: User, signups: list[Signup]) -> None:
    """Check-ins by the venue code (one by hand with corrected hours), the last one a no-show; closed."""
    attending = signups[:-1]  # the last one never comes: closing marks them as not having come
    for index, signup in enumerate(attending):
        moment = activity.starts_at - timedelta(minutes=15) + timedelta(minutes=3 * index)
        if index == 1:
            services.signup_check_in_by_hand(actor=staff, signup=signup, now=moment)
            with _as_of(activity.ends_at):
                services.signup_record_hours(
                    actor=staff, signup=signup, hours=services.duration_hours(activity) - Decimal("0.5")
                )
        else:
            with _as_of(moment):
                services.signup_check_in(
                    actor=signup.user,
                    activity=activity,
                    code=services.checkin_code(activity, now=moment),
                    now=moment,
                )
    closing = activity.ends_at + services.checkin_margin() + timedelta(minutes=10)
    with _as_of(closing):
        services.activity_close(activity=activity, now=closing)


def _ensure_rule(community: Area) -> None:
    """Hours earn points only with an active rule (points.demo makes one; this keeps the demo whole)."""
    if earning_rule_for(event_type=EventType.ACTIVITY_HOURS, community=community, on=timezone.localdate()):
        return
    district = community.ancestor_of_kind(AreaKind.DISTRICT)
    if district is not None:
        earning_rule_save(
            actor=None,
            event_type=EventType.ACTIVITY_HOURS,
            district=district,
            community=None,
            points=5,
            unit_label="小时",
            valid_from=timezone.localdate().replace(month=1, day=1),
            note="参加志愿服务活动，按小时计",
        )


def seed(ctx: DemoContext) -> None:
    """Create (or complete) this part's demo data; safe to run again."""
    community = Area.objects.filter(kind=AreaKind.COMMUNITY, name=COMMUNITY).first()
    secretary = User.objects.filter(username="yuedu_shuji").first()
    social_worker = User.objects.filter(username="yuedu_shegong").first()
    if community is None or secretary is None:
        return
    social_worker = social_worker or secretary
    _ensure_rule(community)
    for username, name, phone, compound in VOLUNTEERS:
        _volunteer(username, name, phone, compound, community)
    people = _people(community)
    units = {o.name: o for o in Organisation.objects.filter(name__in=[a[7] for a in ACTIVITIES if a[7]])}
    now = timezone.now()
    today = timezone.localdate(now)
    for index, (
        title,
        field,
        place,
        days,
        clock,
        hours,
        places,
        unit,
        open_to_residents,
        what,
        details,
    ) in enumerate(ACTIVITIES):
        if Activity.objects.filter(community=community, title=title).exists():
            continue
        starts = _start(today, days, clock)
        if what != "past" and starts <= now + timedelta(hours=2):
            starts += timedelta(days=1)  # run late in the evening: keep "tomorrow" in the future
        ends = starts + timedelta(hours=hours)
        staff = secretary if index % 2 == 0 else social_worker
        published = starts - timedelta(days=7) if what == "past" else now
        deadline = starts - timedelta(days=1) if what == "past" else starts - timedelta(hours=1)
        with _as_of(published):
            activity = services.activity_publish(
                actor=staff,
                community=community,
                title=title,
                field=field,
                place=place,
                description=details,
                starts_at=starts,
                ends_at=ends,
                signup_deadline=deadline,
                capacity=places,
                organiser=units.get(unit),
                open_to_residents=open_to_residents,
            )
        pool = people["all"] if open_to_residents else [*people["stars"], *people["members"]]
        if what == "past":
            with _as_of(published + timedelta(hours=3)):
                signups = [s for s in (_sign_up(user, activity) for user in pool[:places]) if s]
            _past(activity, staff, signups)
        elif what == "open" and unit:
            # A few places left for dangyuan_wang and jumin_li to take.
            for user in people["others"][: max(0, places - 3)]:
                _sign_up(user, activity)
        elif what == "full":
            takers = people["others"][:places]
            for user in takers:
                _sign_up(user, activity)
            if len(takers) < places:
                services.activity_update(actor=staff, activity=activity, capacity=max(1, len(takers)))
        elif what == "cancelled":
            for user in people["all"][:3]:
                _sign_up(user, activity)
            services.activity_cancel(
                actor=staff, activity=activity, reason="施工单位进场时间调整，活动延期，另行通知"
            )
        else:
            for user in (people["members"] if not open_to_residents else people["others"])[:2]:
                _sign_up(user, activity)
