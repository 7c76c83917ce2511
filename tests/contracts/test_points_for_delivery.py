"""A delivered item pays the members who served, through the points service, once per record and person."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import services
from contracts.workflow import ContractState
from core.exceptions import ApplicationError
from core.models import OutboxMessage
from points.models import EventType, Transfer
from points.services import wallet_for
from points.tasks import points_award_for_event_task
from tests.contracts.support import contract_in, pairing_world
from tests.factories import make_user
from tests.points.earning_support import make_rule
from tests.points.market_support import fund

pytestmark = pytest.mark.django_db


def test_the_members_who_served_earn_the_rules_points_once(district):
    d = district
    w = pairing_world(d)
    contract = contract_in(w, ContractState.PUBLISHED)
    fund(d.community1)
    make_rule(district=d.district, event_type=EventType.CONTRACT_ITEM_DELIVERED, points=20)

    record = services.contract_record(
        actor=d.unit_contact1,
        contract=contract,
        item_index=0,
        done_on=date(2026, 3, 7),
        description="义诊",
        served_by=[d.member_user],
    )

    message = OutboxMessage.objects.get(task_name="points.award_for_event")
    assert list(record.served_by.all()) == [d.member_user]
    # The worker runs it, and runs it again (a redelivery): one payment.
    first = points_award_for_event_task(*message.args, **message.kwargs)
    again = points_award_for_event_task(*message.args, **message.kwargs)
    assert first == again
    assert Transfer.objects.filter(destination=wallet_for(user=d.member_user), kind="earning").count() == 1
    assert wallet_for(user=d.member_user).balance == 20


def test_someone_without_a_registration_cannot_be_credited_and_nothing_is_recorded(district):
    d = district
    w = pairing_world(d)
    contract = contract_in(w, ContractState.PUBLISHED)
    stranger = make_user("stranger")
    with pytest.raises(ApplicationError) as error:
        services.contract_record(
            actor=d.unit_contact1,
            contract=contract,
            item_index=0,
            done_on=date(2026, 3, 7),
            description="义诊",
            served_by=[stranger],
        )
    assert error.value.code == "invalid_server"
    assert (
        not contract.records.exists()
        and not OutboxMessage.objects.filter(task_name="points.award_for_event").exists()
    )
