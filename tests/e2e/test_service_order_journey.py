"""The service-order loop in the browser: a resident orders on a phone (群众点单), the secretary opens it
to grab on a desktop (社区发单), a member grabs it on a phone (随时抢单) and marks it done with a photo
(实时晒单), the resident rates it (服务评单), and the member sees the points on /points/."""

from __future__ import annotations

import re

import pytest

from core.models import OutboxMessage
from points.models import EventType, Transfer
from points.tasks import points_award_for_event_task
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import build_district
from tests.points.earning_support import make_rule
from tests.points.market_support import fund
from tests.volunteers.support import PNG, volunteer_world
from volunteers.models import ServiceOrder
from volunteers.workflow import OrderState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_service_order_from_the_residents_phone_to_the_members_points(live_server, new_page, screenshot):
    d = build_district()
    w = volunteer_world(d)
    fund(d.community1)
    make_rule(district=d.district, event_type=EventType.ORDER_COMPLETED, points=8)
    base = live_server.url

    # 群众点单: the resident orders from a phone; the address is their home by default.
    resident = new_page(viewport=PHONE)
    sign_in(resident, base, "resident1")
    resident.goto(f"{base}/volunteers/orders/new/")
    assert resident.locator("#id_address").input_value() == "越都花园1幢"
    resident.locator("label[for=id_field_7]").click()  # 家电维修 (appliance repair)
    resident.locator("#id_description").fill("洗衣机不脱水，转几下就停")
    screenshot(resident, "1-order")
    resident.get_by_test_id("submit-order").click()
    resident.wait_for_url(f"{base}/volunteers/orders/mine/")
    order = ServiceOrder.objects.get()
    assert (order.field, order.state, order.address) == ("repair", OrderState.ORDERED, "越都花园1幢")
    card = resident.locator(f"[data-testid=my-order][data-order='{order.pk}']")
    assert card.get_by_test_id("order-state").get_attribute("data-state") == "ordered"

    # 社区发单: the secretary, on a desktop, opens it to grab from the dispatch board.
    secretary = new_page()
    sign_in(secretary, base, "secretary1")
    secretary.goto(f"{base}/volunteers/orders/board/")
    row = secretary.locator(f"[data-testid=board-order][data-order='{order.pk}']")
    assert "越都花园1幢" in row.inner_text()
    screenshot(secretary, "2-board")
    row.get_by_test_id("to-pool").click()
    secretary.wait_for_url(f"{base}/volunteers/orders/board/")
    assert ServiceOrder.objects.get(pk=order.pk).state == OrderState.POOLED

    # 随时抢单: a reported member grabs it on a phone; the full address shows once it is theirs.
    member = new_page(viewport=PHONE)
    sign_in(member, base, "member1")
    member.goto(f"{base}/volunteers/orders/pool/")
    pool_card = member.locator(f"[data-testid=pool-order][data-order='{order.pk}']")
    assert "越都花园1幢" not in pool_card.inner_text() and "越都花****" in pool_card.inner_text()
    screenshot(member, "3-pool")
    pool_card.get_by_test_id("grab").click()
    member.wait_for_url(f"{base}/volunteers/orders/{order.pk}/")
    assert member.get_by_test_id("order-address").inner_text().startswith("越都花园1幢")
    assert ServiceOrder.objects.get(pk=order.pk).member == w.members[0]

    # 实时晒单: done, with a photo and a note.
    member.locator("#id_photos").set_input_files(
        [{"name": "done.png", "mimeType": "image/png", "buffer": PNG}]
    )
    member.locator("#id_note").fill("更换了排水泵，试机正常")
    screenshot(member, "4-finish")
    member.get_by_test_id("finish").click()
    member.wait_for_url(f"{base}/volunteers/orders/{order.pk}/")
    assert member.get_by_test_id("order-state").get_attribute("data-state") == "done"
    assert member.get_by_test_id("order-photo").count() == 1

    # 服务评单: the resident rates it on "my orders".
    resident.goto(f"{base}/volunteers/orders/mine/")
    card = resident.locator(f"[data-testid=my-order][data-order='{order.pk}']")
    card.get_by_test_id("stars-5").click()
    card.locator("input[name=comment]").fill("师傅很专业，谢谢！")
    screenshot(resident, "5-rate")
    card.get_by_test_id("rate").click()
    resident.wait_for_url(f"{base}/volunteers/orders/mine/")
    assert card.get_by_test_id("order-state").get_attribute("data-state") == "rated"
    assert ServiceOrder.objects.get(pk=order.pk).stars == 5

    # The worker pays the earning rule from the outbox; a redelivery pays nothing more.
    [award] = OutboxMessage.objects.filter(task_name="points.award_for_event", args__0="order_completed")
    points_award_for_event_task(*award.args, **award.kwargs)
    points_award_for_event_task(*award.args, **award.kwargs)
    assert Transfer.objects.filter(key=f"earn:service-order:{order.pk}").count() == 1

    member.goto(f"{base}/points/")
    assert member.get_by_test_id("balance").inner_text().strip() == "8"
    assert re.search(r"\+\s*8", member.get_by_test_id("statement-line").first.inner_text())
    screenshot(member, "6-points")
