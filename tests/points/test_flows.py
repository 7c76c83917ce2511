"""points.flows: the totals per community and local day that the dashboards sum instead of the transfers.

Every transfer that issues points into a wallet, spends a wallet's points at the market, or reverses
one of those, is counted once on its community and local day, whatever path wrote it; folding moves
the pending rows into the days' totals without changing any total; verify_ledger catches a total
that does not match the transfers.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from points import flows, ledger
from points.ledger import verify_ledger
from points.models import Flow, FlowDay, FlowPending, Transfer
from points.services import points_reverse, points_transfer
from tests.concurrency import run_together
from tests.points.ledger_world import funded_world, tampering

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(district):
    return funded_world(district)


def totals() -> dict[tuple[str, int, date], int]:
    """(flow, community id, day) → points, from the view, leaving out totals of 0."""
    rows = Flow.objects.values("flow", "area", "day").annotate(points=Sum("amount")).order_by()
    return {(r["flow"], r["area"], r["day"]): r["points"] for r in rows if r["points"]}


def local_day(transfer: Transfer) -> date:
    return transfer.created_at.astimezone(SHANGHAI).date()


def test_earnings_into_wallets_count_on_the_wallets_community_and_local_day(world, district):
    # funded_world: the fund allocated 1,000 to two communities (not wallets: not counted), and
    # three wallets earned 100 each; a wallet's area is its holder's community.
    today = local_day(Transfer.objects.latest("pk"))
    expected: dict = {}
    for wallet in (world.wallet1, world.wallet2, world.wallet3):
        key = ("issued", wallet.area_id, today)
        expected[key] = expected.get(key, 0) + 100
    assert len(expected) == 2  # wallets 1 and 2 are in one community
    assert totals() == expected
    assert FlowPending.objects.count() == 3 and not FlowDay.objects.exists()


def test_a_redemption_is_spent_and_a_reversal_takes_back_on_the_originals_day(world, district):
    earning = Transfer.objects.get(key="test:earn:1")
    order = points_transfer(
        source=world.wallet1, destination=world.merchant, amount=60, key="order:1", kind="redemption"
    )
    award = points_transfer(
        source=world.community1, destination=world.wallet1, amount=5, key="award:1", kind="manual_award"
    )
    today = local_day(order)
    c1 = world.wallet1.area_id  # wallet2 is of the same community: it earned 100 there too
    assert world.wallet2.area_id == c1
    assert totals()[("spent", c1, today)] == 60
    assert totals()[("issued", c1, today)] == 205

    points_reverse(transfer=order, memo="cancelled")
    points_reverse(transfer=earning, memo="paid by mistake")
    after = totals()
    assert ("spent", c1, today) not in after  # 60 − 60
    assert after[("issued", c1, today)] == 100 + award.amount
    # A deduction or a move between communities is no flow of a wallet.
    points_transfer(
        source=world.wallet3, destination=world.community3, amount=10, key="deduct:3", kind="manual_deduction"
    )
    assert totals() == after


def test_a_transfer_late_in_the_utc_evening_counts_on_the_next_local_day(world, district):
    with tampering() as cursor:
        late = datetime(2026, 3, 31, 16, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on 1 April in Shanghai
        cursor.execute(
            "INSERT INTO points_transfer (key, kind, source_id, destination_id, amount, cause, memo, created_at) "
            "VALUES ('late', 'earning', %s, %s, 7, '', '', %s)",
            [world.community1.pk, world.wallet1.pk, late],
        )
    assert totals()[("issued", district.community1.pk, date(2026, 4, 1))] == 7
    assert ("issued", district.community1.pk, date(2026, 3, 31)) not in totals()


def test_folding_moves_the_pending_rows_and_changes_no_total(world):
    points_transfer(source=world.wallet1, destination=world.merchant, amount=30, key="o:1", kind="redemption")
    before = totals()
    assert FlowPending.objects.count() == 4

    assert flows.fold() == 3  # issued in two communities, spent in one: three (flow, community, day)
    assert not FlowPending.objects.exists()
    assert totals() == before
    assert flows.fold() == 0  # a second run has nothing to do
    assert totals() == before

    points_transfer(source=world.community1, destination=world.wallet2, amount=9, key="e:9", kind="earning")
    flows.fold()
    assert FlowDay.objects.count() == 3  # the same community and day: its row grew
    assert sum(totals().values()) == sum(before.values()) + 9


def test_the_job_folds(world):
    from points.tasks import fold_flows_task

    before = totals()
    assert fold_flows_task.apply().get() == 2  # issued in two communities today
    assert fold_flows_task.apply().get() == 0
    assert totals() == before and not FlowPending.objects.exists()


def test_rebuild_gives_the_same_totals_from_the_transfers(world):
    order = points_transfer(
        source=world.wallet2, destination=world.merchant, amount=40, key="o:2", kind="redemption"
    )
    points_reverse(transfer=order, memo="")
    flows.fold()
    before = totals()
    flows.rebuild()
    assert totals() == before and not FlowPending.objects.exists()
    assert flows.mismatches() == (0, [])


def test_verify_ledger_names_a_total_that_does_not_match_the_transfers(world, district):
    flows.fold()
    FlowDay.objects.filter(area_id=world.wallet3.area_id).update(amount=101)
    report = verify_ledger()
    assert report.codes() == {ledger.FLOW_MISMATCH}
    (breach,) = report.breaches
    assert f"area {world.wallet3.area_id}" in breach.detail and "make 100" in breach.detail
    assert "totals 101" in breach.detail


def test_the_dashboards_figure_sums_the_flows(world, district):
    from dashboards.figures import compute
    from dashboards.periods import Period

    today = local_day(Transfer.objects.latest("pk"))
    period = Period(start=today - timedelta(days=3), end=today)
    values = compute(["points.issued", "points.spent"], district.district, period)
    assert values == {"points.issued": 300, "points.spent": 0}
    flows.fold()
    assert compute(["points.issued"], world.wallet3.area, period) == {"points.issued": 100}


@pytest.mark.django_db(transaction=True)
def test_folds_at_once_with_transfers_going_on_count_every_move_once(require_postgres, district):
    """Four threads each make 25 earnings while two others fold over and over: the totals equal the
    transfers' at the end, and nothing is left pending after a last fold."""
    world = funded_world(district)
    earners_done: list[int] = []

    def work(n: int) -> None:
        if n >= 4:  # a folder: folds until the four earners are done
            while len(earners_done) < 4:
                flows.fold()
            return
        try:
            for k in range(25):
                points_transfer(
                    source=world.community1,
                    destination=world.wallet1,
                    amount=1,
                    key=f"c:{n}:{k}",
                    kind="earning",
                )
        finally:
            earners_done.append(n)

    _results, errors = run_together(6, work)
    assert errors == []
    flows.fold()
    assert not FlowPending.objects.exists()
    assert sum(totals().values()) == 300 + 100
    assert flows.mismatches() == (0, [])
