"""/api/v1/contracts/{id}/: fulfilment records (履约), ratings (评约), meetings and comments through the API."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from community import services as community_services
from community.models import MembershipType
from contracts import services
from contracts.models import Comment, FulfilmentRecord, Meeting, Rating
from contracts.workflow import ContractState
from tests.api.helpers import assert_error, ids
from tests.contracts.support import contract_in, draft, pairing_world
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/contracts/"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def record_body(**fields) -> dict:
    return {
        "item_index": 0,
        "done_on": "2026-03-07",
        "description": "社区党群服务中心义诊，量血压48人次",
        "people_served": 48,
        "hours": "3",
        **fields,
    }


def record(w, contract, done_on=date(2026, 3, 7), **fields) -> FulfilmentRecord:
    return services.contract_record(
        actor=w.d.unit_contact1,
        contract=contract,
        item_index=fields.pop("item_index", 0),
        done_on=done_on,
        description=fields.pop("description", "义诊"),
        **fields,
    )


# --- Fulfil (履约) ---------------------------------------------------------------------------------


def test_the_unit_records_what_it_did_with_a_photo_and_the_members_who_served(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    response = api(district.unit_contact1).post(
        f"{URL}{contract.pk}/record/",
        record_body(
            evidence=SimpleUploadedFile("义诊.png", PNG, content_type="image/png"),
            served_by=[district.member_user.pk],
        ),
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    saved = FulfilmentRecord.objects.get(contract=contract)
    assert body["id"] == saved.pk
    assert (body["item_index"], body["done_on"], body["people_served"], body["hours"]) == (
        0,
        "2026-03-07",
        48,
        "3.0",
    )
    assert (body["side"], body["reported_by"], body["served_by"]) == (
        "unit",
        district.unit_contact1.pk,
        [district.member_user.pk],
    )
    assert body["evidence"].startswith("http") and body["evidence"].endswith(".png")
    assert list(saved.served_by.all()) == [district.member_user]


def test_a_record_without_evidence_is_accepted_as_json(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    response = api(district.secretary1).post(f"{URL}{contract.pk}/record/", record_body(), format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["evidence"], response.json()["side"], response.json()["served_by"]) == (
        None,
        "community",
        [],
    )
    assert FulfilmentRecord.objects.filter(contract=contract).count() == 1


def test_a_record_on_a_draft_is_409_and_records_nothing(district):
    w = pairing_world(district)
    contract = draft(w)

    assert_error(
        api(district.unit_contact1).post(f"{URL}{contract.pk}/record/", record_body(), format="json"),
        409,
        "still_negotiating",
    )
    assert not FulfilmentRecord.objects.exists()


def test_evidence_of_the_wrong_type_is_400_and_records_nothing(district, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    body = assert_error(
        api(district.unit_contact1).post(
            f"{URL}{contract.pk}/record/",
            record_body(
                evidence=SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
            ),
            format="multipart",
        ),
        400,
        "evidence_type",
    )
    assert "evidence" in body["errors"]
    assert not FulfilmentRecord.objects.exists()


def member_elsewhere(d):
    """A Party member of 府山社区 and of 府山小学党支部: outside the pairing on both sides."""
    user = make_user("member3")
    person = community_services.person_create(
        actor=None, name="赵志刚", community=d.community3, phone="13900004444", user=user
    )
    community_services.party_member_register(
        actor=None, person=person, membership_type=MembershipType.IN_SERVICE, party_organisation=d.unit2
    )
    return user


@pytest.mark.parametrize("who", ["nobody", "resident", "member of another community"])
def test_served_by_names_party_members_of_the_pairing_or_is_400(district, who):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    user_id = {
        "nobody": lambda: 999_999,
        "resident": lambda: district.resident_user.pk,
        "member of another community": lambda: member_elsewhere(district).pk,
    }[who]()

    body = assert_error(
        api(district.unit_contact1).post(
            f"{URL}{contract.pk}/record/", record_body(served_by=[user_id]), format="json"
        ),
        400,
        "invalid",
    )
    assert "served_by" in body["errors"]
    assert not FulfilmentRecord.objects.exists()


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("secretary3", 404, None),
        ("unit_contact2", 404, None),
        ("district_admin", 403, "not_a_party"),
    ],
)
def test_a_record_by_someone_outside_the_pairing_is_refused_and_saves_nothing(
    district, settings, tmp_path, who, status, code
):
    settings.MEDIA_ROOT = tmp_path
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    assert_error(
        api(getattr(district, who)).post(
            f"{URL}{contract.pk}/record/",
            record_body(evidence=SimpleUploadedFile("义诊.png", PNG, content_type="image/png")),
            format="multipart",
        ),
        status,
        code,
    )
    assert not FulfilmentRecord.objects.exists()
    assert not list(tmp_path.rglob("*.png"))


def test_a_milestone_is_passed_on_to_the_service(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)

    # The support contract's items have no milestones: the service, not the API, refuses index 0.
    assert_error(
        api(district.unit_contact1).post(
            f"{URL}{contract.pk}/record/", record_body(milestone=0), format="json"
        ),
        400,
        "invalid_milestone",
    )
    assert_error(
        api(district.unit_contact1).post(
            f"{URL}{contract.pk}/record/", record_body(milestone=-1), format="json"
        ),
        400,
        "invalid",
    )
    assert not FulfilmentRecord.objects.exists()


def test_the_records_list_filters_by_item_and_date_within_the_contracts_scope(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    march = record(w, contract, done_on=date(2026, 3, 7))
    may = record(w, contract, done_on=date(2026, 5, 9), item_index=1)
    july = record(w, contract, done_on=date(2026, 7, 4))
    admin = api(district.district_admin)
    records = f"{URL}{contract.pk}/records/"

    assert ids(admin.get(records)) == {march.pk, may.pk, july.pk}
    assert [row["id"] for row in admin.get(records).json()["results"]] == [july.pk, may.pk, march.pk]
    assert ids(admin.get(records, {"item_index": 0})) == {march.pk, july.pk}
    assert ids(admin.get(records, {"done_on_after": "2026-04-01", "done_on_before": "2026-06-30"})) == {
        may.pk
    }
    assert ids(admin.get(records, {"done_on_after": "2026-05-09"})) == {may.pk, july.pk}
    assert_error(admin.get(records, {"done_on_after": "not a date"}), 400, "invalid")
    assert_error(api(district.secretary3).get(records), 404)


def test_the_records_list_costs_the_same_queries_for_two_or_twenty(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.PUBLISHED)
    client = api(district.district_admin)
    for day in (1, 2):
        record(w, contract, done_on=date(2026, 3, day), served_by=[district.member_user])
    client.get(f"{URL}{contract.pk}/records/")
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{URL}{contract.pk}/records/").status_code == 200
    for day in range(3, 21):
        record(w, contract, done_on=date(2026, 3, day), served_by=[district.member_user])
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{URL}{contract.pk}/records/")
    assert len(response.json()["results"]) == 20
    assert all(row["served_by"] == [district.member_user.pk] for row in response.json()["results"])
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- Rate (评约) -----------------------------------------------------------------------------------


def test_each_side_rates_once_in_the_evaluation_window(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)
    secretary = api(district.secretary1)

    first = secretary.post(f"{URL}{contract.pk}/rate/", {"score": 4, "comment": "义诊很及时"}, format="json")

    assert first.status_code == 201, first.content
    assert {k: first.json()[k] for k in ("rater_kind", "score", "comment")} == {
        "rater_kind": "community",
        "score": 4,
        "comment": "义诊很及时",
    }
    assert first.json()["id"] == Rating.objects.get().pk and first.json()["created_at"]
    assert_error(
        secretary.post(f"{URL}{contract.pk}/rate/", {"score": 5}, format="json"), 409, "already_rated"
    )
    assert_error(
        api(w.community_signer).post(f"{URL}{contract.pk}/rate/", {"score": 5}, format="json"),
        409,
        "already_rated",
    )
    assert Rating.objects.filter(contract=contract).count() == 1


def test_a_resident_of_the_community_rates_a_public_contract_through_the_api(district):
    w = pairing_world(district)
    contract = contract_in(w, ContractState.EVALUATING)

    response = api(district.resident_user).post(f"{URL}{contract.pk}/rate/", {"score": 5}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["rater_kind"] == "resident"
    assert_error(
        api(district.secretary3).post(f"{URL}{contract.pk}/rate/", {"score": 5}, format="json"),
        403,
        "not_a_rater",
    )
    assert Rating.objects.filter(contract=contract).count() == 1


def test_rating_outside_the_window_or_out_of_range_is_refused_and_saves_nothing(district):
    w = pairing_world(district)
    published = contract_in(w, ContractState.PUBLISHED)
    negotiating = draft(w, title="草稿")
    evaluating = contract_in(w, ContractState.EVALUATING)

    assert_error(
        api(district.secretary1).post(f"{URL}{published.pk}/rate/", {"score": 5}, format="json"),
        409,
        "not_evaluating",
    )
    # A contract still being negotiated is not public: a resident does not find it.
    assert_error(
        api(district.resident_user).post(f"{URL}{negotiating.pk}/rate/", {"score": 5}, format="json"), 404
    )
    assert_error(
        api(district.secretary1).post(f"{URL}{evaluating.pk}/rate/", {"score": 6}, format="json"),
        400,
        "invalid",
    )
    assert not Rating.objects.exists()


# --- Consult (谈约): meetings and comments --------------------------------------------------------


def meeting_body(**fields) -> dict:
    return {
        "held_on": "2026-01-05",
        "place": "越都社区党群服务中心",
        "attendees": "社区党委书记、医院党委书记",
        "minutes": "商定每月义诊一次。",
        **fields,
    }


def test_meetings_are_recorded_while_negotiating_and_listed(district):
    w = pairing_world(district)
    contract = draft(w)
    meetings = f"{URL}{contract.pk}/meetings/"

    created = api(district.unit_contact1).post(meetings, meeting_body(decisions="下周定稿"), format="json")

    assert created.status_code == 201, created.content
    saved = Meeting.objects.get()
    assert created.json() == {
        "id": saved.pk,
        "held_on": "2026-01-05",
        "place": "越都社区党群服务中心",
        "attendees": "社区党委书记、医院党委书记",
        "minutes": "商定每月义诊一次。",
        "decisions": "下周定稿",
        "recorded_by": district.unit_contact1.pk,
        "created_at": created.json()["created_at"],
    }
    later = api(district.secretary1).post(meetings, meeting_body(held_on="2026-02-01"), format="json")
    listed = api(district.district_admin).get(meetings)
    assert [row["id"] for row in listed.json()["results"]] == [later.json()["id"], saved.pk]
    assert listed.json()["count"] == 2
    assert_error(api(district.secretary3).get(meetings), 404)


def test_meetings_refused_after_negotiation_by_outsiders_or_with_bad_input(district):
    w = pairing_world(district)
    negotiating = draft(w)
    published = contract_in(w, ContractState.PUBLISHED)

    assert_error(
        api(district.secretary1).post(f"{URL}{published.pk}/meetings/", meeting_body(), format="json"), 409
    )
    assert_error(
        api(district.secretary3).post(f"{URL}{negotiating.pk}/meetings/", meeting_body(), format="json"), 404
    )
    assert_error(
        api(district.district_admin).post(f"{URL}{negotiating.pk}/meetings/", meeting_body(), format="json"),
        403,
        "not_a_party",
    )
    assert_error(
        api(district.secretary1).post(
            f"{URL}{negotiating.pk}/meetings/", meeting_body(minutes=""), format="json"
        ),
        400,
        "invalid",
    )
    assert_error(
        api(district.secretary1).post(
            f"{URL}{negotiating.pk}/meetings/", meeting_body(held_on="2099-01-01"), format="json"
        ),
        400,
        "invalid_date",
    )
    assert not Meeting.objects.exists()


def test_comments_on_a_version_and_its_items_are_added_and_listed(district):
    w = pairing_world(district)
    contract = draft(w)
    comments = f"{URL}{contract.pk}/comments/"

    whole = api(district.secretary1).post(comments, {"version": 1, "body": "总体同意"}, format="json")
    on_item = api(district.unit_contact1).post(
        comments, {"version": 1, "item_index": 0, "body": "义诊改为每季度一次？"}, format="json"
    )

    assert whole.status_code == 201, whole.content
    assert on_item.status_code == 201, on_item.content
    assert {k: on_item.json()[k] for k in ("version", "item_index", "side", "author")} == {
        "version": 1,
        "item_index": 0,
        "side": "unit",
        "author": district.unit_contact1.pk,
    }
    assert whole.json()["item_index"] is None and whole.json()["side"] == "community"
    listed = api(district.unit_contact1).get(comments)
    assert [row["id"] for row in listed.json()["results"]] == [on_item.json()["id"], whole.json()["id"]]
    assert ids(api(district.unit_contact1).get(comments, {"item_index": 0})) == {on_item.json()["id"]}
    assert Comment.objects.count() == 2


def test_comments_refused_after_negotiation_by_outsiders_or_with_bad_input(district):
    w = pairing_world(district)
    negotiating = draft(w)
    published = contract_in(w, ContractState.PUBLISHED)
    body = {"version": 1, "body": "意见"}

    assert_error(api(district.secretary1).post(f"{URL}{published.pk}/comments/", body, format="json"), 409)
    assert_error(api(district.secretary3).post(f"{URL}{negotiating.pk}/comments/", body, format="json"), 404)
    assert_error(
        api(district.secretary1).post(
            f"{URL}{negotiating.pk}/comments/", {"version": 7, "body": "意见"}, format="json"
        ),
        400,
        "invalid_version",
    )
    assert_error(
        api(district.secretary1).post(f"{URL}{negotiating.pk}/comments/", {"version": 1}, format="json"),
        400,
        "invalid",
    )
    assert not Comment.objects.exists()


# --- The OpenAPI document ----------------------------------------------------------------------------


def test_the_schema_documents_the_new_steps_and_lists(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    validate_schema(schema)
    paths = schema["paths"]

    assert set(paths[f"{URL}{{id}}/record/"]) == {"post"}
    assert set(paths[f"{URL}{{id}}/records/"]) == {"get"}
    assert set(paths[f"{URL}{{id}}/rate/"]) == {"post"}
    assert set(paths[f"{URL}{{id}}/meetings/"]) == {"get", "post"}
    assert set(paths[f"{URL}{{id}}/comments/"]) == {"get", "post"}
    record_op = paths[f"{URL}{{id}}/record/"]["post"]
    assert "multipart/form-data" in record_op["requestBody"]["content"]
    assert {"201", "400", "403", "404", "409"} <= set(record_op["responses"])
    assert record_op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/FulfilmentRecordOutput"
    )
    parameters = {p["name"] for p in paths[f"{URL}{{id}}/records/"]["get"]["parameters"]}
    assert {"item_index", "done_on_after", "done_on_before", "cursor", "page_size"} <= parameters
    assert "page" not in parameters
    listed = paths[f"{URL}{{id}}/meetings/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["$ref"].endswith("/PaginatedMeetingOutputList")
