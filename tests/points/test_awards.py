"""Manual awards and deductions: who may, how much, with a published reason, and nothing changed on refusal."""

from __future__ import annotations

import json

import pytest

from audit.models import Entry
from community import services as community_services
from community.models import Role
from core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from notices.models import Notice
from points.earning import points_manual_adjust
from points.models import Account, AdjustmentDirection, ManualAdjustment, Transfer, TransferKind
from points.selectors import manual_adjustment_usage
from points.services import InsufficientPoints, community_account
from tests.factories import make_user
from tests.points.earning_support import at, funded, local, request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def d(district):
    return funded(district)


AWARD = AdjustmentDirection.AWARD
DEDUCTION = AdjustmentDirection.DEDUCTION


def adjust(actor, user, amount=50, direction=AWARD, reason="协助社区疫苗接种登记", key=None):
    return points_manual_adjust(
        actor=actor,
        user=user,
        amount=amount,
        direction=direction,
        reason=reason,
        request_key=key or request_id(),
    )


def balance(account) -> int:
    """The account's points (an issuing account's include its tills')."""
    return Account.objects.get(pk=account.pk).total_balance


def snapshot():
    return (
        ManualAdjustment.objects.count(),
        Transfer.objects.count(),
        Entry.objects.count(),
        Notice.objects.count(),
        sorted(Account.objects.values_list("pk", "balance")),
    )


@pytest.fixture
def social_worker1(d):
    return make_user("social1", Role.SOCIAL_WORKER, area=d.community1)


# --- Who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("secretary1", "ok"),
        ("social_worker1", "ok"),
        ("secretary2", NotFound),  # another community's secretary does not even see the resident
        ("secretary3", NotFound),
        ("street_admin", PermissionDenied),  # sees the resident, but awarding is the community's
        ("district_admin", PermissionDenied),
        ("convener1", NotFound),
        ("unit_contact1", NotFound),
        ("resident_user", NotFound),
        ("member_user", PermissionDenied),  # himself
    ],
)
def test_who_may_award_to_a_resident_of_community1(d, social_worker1, who, outcome):
    actor = social_worker1 if who == "social_worker1" else getattr(d, who)
    before = snapshot()

    if outcome == "ok":
        adjustment = adjust(actor, d.member_user, amount=50)
        assert adjustment.wallet == d.member_wallet and adjustment.community == d.community1
        assert balance(d.member_wallet) == 50
    else:
        with pytest.raises(outcome):
            adjust(actor, d.member_user, amount=50)
        assert snapshot() == before


def test_a_secretary_cannot_award_into_another_communitys_wallet(d):
    """A "transfer to another area's account": refused, and nothing changed."""
    resident3_user = make_user("resident3")
    community_services.person_update(actor=None, person=d.resident3, user=resident3_user)
    before = snapshot()

    with pytest.raises((NotFound, PermissionDenied)):
        adjust(d.secretary1, resident3_user)

    assert snapshot() == before


def test_a_platform_administrator_may(d):
    admin = make_user("root", is_superuser=True, is_staff=True)
    assert adjust(admin, d.resident_user, amount=10).amount == 10


# --- What is moved --------------------------------------------------------------------------------


def test_an_award_comes_from_the_community_and_a_deduction_returns_to_it(d):
    issuing = community_account(community=d.community1)
    start = balance(issuing)

    award = adjust(d.secretary1, d.member_user, amount=80)
    deduction = adjust(d.secretary1, d.member_user, amount=30, direction=DEDUCTION, reason="重复登记扣回")

    assert (award.transfer.kind, award.transfer.source_id, award.transfer.destination_id) == (
        TransferKind.MANUAL_AWARD,
        issuing.pk,
        d.member_wallet.pk,
    )
    assert (deduction.transfer.kind, deduction.transfer.source_id, deduction.transfer.destination_id) == (
        TransferKind.MANUAL_DEDUCTION,
        d.member_wallet.pk,
        issuing.pk,
    )
    assert award.transfer.created_by == d.secretary1 and award.transfer.memo == "协助社区疫苗接种登记"
    assert balance(d.member_wallet) == 50
    assert balance(issuing) == start - 50


def test_the_same_request_returns_the_first_adjustment(d):
    first = adjust(d.secretary1, d.member_user, amount=20, key="form-1")
    again = adjust(d.secretary1, d.member_user, amount=20, key="form-1")

    assert first.pk == again.pk
    assert balance(d.member_wallet) == 20
    assert Entry.objects.filter(kind="points.manual_award").count() == 1

    with pytest.raises(Conflict):
        adjust(d.secretary1, d.member_user, amount=25, key="form-1")


def test_the_holder_is_told(d):
    adjustment = adjust(d.secretary1, d.member_user, amount=20)

    notice = Notice.objects.get(recipient=d.member_user, dedupe_key=f"points-manual:{adjustment.pk}")
    assert "20" in notice.title and notice.body == "协助社区疫苗接种登记"


# --- The public record ----------------------------------------------------------------------------


def test_the_public_record_names_nobody(d):
    adjustment = adjust(d.secretary1, d.member_user, amount=40, reason="组织楼道清理志愿活动")

    entry = Entry.objects.get(kind="points.manual_award")
    assert adjustment.record == entry
    assert entry.subject == f"points.ManualAdjustment:{adjustment.pk}"
    assert entry.area == d.community1
    assert entry.payload == {
        "community_id": d.community1.pk,
        "community": "越都社区",
        "direction": "award",
        "amount": 40,
        "reason": "组织楼道清理志愿活动",
        "transfer_id": adjustment.transfer_id,
        "recipient": "王**",
    }
    published = json.dumps(entry.payload, ensure_ascii=False)
    for personal in ("王建国", "13900001111", "member1", str(d.member_user.pk)):
        assert personal not in published


def test_a_deduction_is_published_too(d):
    adjust(d.secretary1, d.resident_user, amount=40)
    adjust(d.secretary1, d.resident_user, amount=15, direction=DEDUCTION, reason="活动未到场扣回")

    entry = Entry.objects.get(kind="points.manual_deduction")
    assert (entry.payload["amount"], entry.payload["recipient"]) == (15, "李**")


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "好人", None])
def test_a_reason_is_required(d, reason):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        adjust(d.secretary1, d.member_user, reason=reason)

    assert refused.value.code == "reason_required"
    assert snapshot() == before


@pytest.mark.parametrize(
    "reason", ["感谢王建国协助巡逻", "电话13900001111联系过", "身份证330602199001011234"]
)
def test_a_reason_carrying_personal_data_is_refused(d, reason):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        adjust(d.secretary1, d.member_user, reason=reason)

    assert refused.value.code == "personal_data_in_reason"
    assert snapshot() == before


@pytest.mark.parametrize("amount", [0, -10, 2.5, True, "30", None, 501, 10**12])
def test_a_bad_amount_is_refused(d, amount):
    before = snapshot()

    with pytest.raises(ValidationFailed):
        adjust(d.secretary1, d.member_user, amount=amount)

    assert snapshot() == before


def test_an_unknown_direction_is_refused(d):
    with pytest.raises(ValidationFailed):
        adjust(d.secretary1, d.member_user, direction="gift")


def test_a_deduction_beyond_the_balance_is_refused(d):
    adjust(d.secretary1, d.member_user, amount=30)
    before = snapshot()

    with pytest.raises(InsufficientPoints):
        adjust(d.secretary1, d.member_user, amount=31, direction=DEDUCTION, reason="重复登记扣回")

    assert snapshot() == before
    assert balance(d.member_wallet) == 30


def test_the_per_award_maximum_follows_the_setting(d, settings):
    settings.POINTS_MANUAL_MAX_PER_AWARD = 100

    with pytest.raises(ValidationFailed):
        adjust(d.secretary1, d.member_user, amount=101)
    assert adjust(d.secretary1, d.member_user, amount=100).amount == 100


# --- The monthly limit ----------------------------------------------------------------------------


def test_the_monthly_limit_per_community(d, settings, social_worker1):
    settings.POINTS_MANUAL_MONTHLY_LIMIT = 100

    with at(local(2026, 3, 1, 0, 0)):
        adjust(d.secretary1, d.member_user, amount=60)
    with at(local(2026, 3, 31, 23, 59)):
        # Colleagues in the same community share the limit.
        adjust(social_worker1, d.resident_user, amount=40)
        before = snapshot()
        with pytest.raises(Conflict) as refused:
            adjust(d.secretary1, d.member_user, amount=1)
        assert refused.value.code == "monthly_limit_reached"
        assert snapshot() == before
        usage = manual_adjustment_usage(community=d.community1, month=local(2026, 3, 5))
        assert (usage["awarded"], usage["award_remaining"]) == (100, 0)
        # Another community has its own limit; deductions have theirs.
        assert adjust(d.secretary2, make_resident(d.community2), amount=100).amount == 100
        assert adjust(d.secretary1, d.member_user, amount=10, direction=DEDUCTION, reason="重复登记扣回")
    with at(local(2026, 4, 1, 0, 0)):
        assert adjust(d.secretary1, d.member_user, amount=100).amount == 100


def test_the_deduction_limit_is_separate(d, settings):
    settings.POINTS_MANUAL_DEDUCTION_MONTHLY_LIMIT = 20
    adjust(d.secretary1, d.member_user, amount=100)

    adjust(d.secretary1, d.member_user, amount=20, direction=DEDUCTION, reason="重复登记扣回")
    with pytest.raises(Conflict):
        adjust(d.secretary1, d.member_user, amount=1, direction=DEDUCTION, reason="重复登记扣回")
    assert balance(d.member_wallet) == 80


def make_resident(community):
    user = make_user(f"resident-{community.pk}")
    community_services.person_create(actor=None, name="陈美玲", community=community, user=user)
    return user


def test_every_refusal_is_an_application_error(d):
    """Pages, the API and the admin map these to a message; none is a 500."""
    for call in (
        lambda: adjust(d.secretary1, d.member_user, amount=0),
        lambda: adjust(d.secretary2, d.member_user),
        lambda: adjust(d.secretary1, d.member_user, reason=""),
    ):
        with pytest.raises(ApplicationError):
            call()
