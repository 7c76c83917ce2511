"""The back office, scoped: a community secretary sees and edits only their community's records;
a district administrator sees all; unit contacts and residents get no back office at all."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from community import services
from community.models import (
    Area,
    AreaKind,
    MembershipType,
    Organisation,
    OrgKind,
    PartyMember,
    Person,
    Role,
    RoleGrant,
    User,
)
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

MODELS = ["area", "organisation", "person", "partymember", "rolegrant", "user"]
# Names that belong to the other two communities: none may appear on secretary1's pages.
FOREIGN_NAMES = [
    "治平社区",
    "府山社区",
    "治平小区",
    "府山新村",
    "府山小学党支部",
    "张桂兰",
    "secretary2",
    "secretary3",
]


@pytest.fixture
def d(district):
    district.member3 = services.party_member_register(
        actor=None,
        person=district.resident3,
        membership_type=MembershipType.REGISTERED,
        party_organisation=district.party3,
    )
    return district


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(model: str, *parts) -> str:
    return "/".join(["/admin/community", model, *(str(p) for p in parts)]) + "/"


def listed(client, model, **params) -> set[int]:
    response = client.get(url(model), params)
    assert response.status_code == 200, response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


def in_scope(d) -> dict[str, set[int]]:
    return {
        "area": {d.community1.pk, d.grid1.pk, d.compound1.pk, d.building1.pk},
        "organisation": {d.party1.pk, d.unit1.pk},
        "person": {d.member_person.pk, d.resident.pk},
        "partymember": {d.member.pk},
        "rolegrant": set(
            RoleGrant.objects.filter(user__in=[d.secretary1, d.convener1, d.unit_contact1]).values_list(
                "pk", flat=True
            )
        ),
        "user": {u.pk for u in (d.secretary1, d.convener1, d.unit_contact1, d.member_user, d.resident_user)},
    }


def out_of_scope(d) -> dict[str, int]:
    return {
        "area": d.community3.pk,
        "organisation": d.party3.pk,
        "person": d.resident3.pk,
        "partymember": d.member3.pk,
        "rolegrant": RoleGrant.objects.get(user=d.secretary3).pk,
        "user": d.secretary3.pk,
    }


def form_data(response) -> dict:
    """The POST body a browser would send for the form on `response`, as it was rendered."""
    data: dict = {}

    def put(form, name):
        field = form.fields[name]
        if field.disabled:
            return
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None:
            data[key] = ""
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in formset.forms:
            for name in inline_form.fields:
                put(inline_form, name)
    return data


# --- Lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_secretary_lists_only_their_community(d, model):
    client = signed_in(d.secretary1)

    assert listed(client, model) == in_scope(d)[model]
    html = client.get(url(model)).content.decode()
    assert not [name for name in FOREIGN_NAMES if name in html]


@pytest.mark.parametrize("model", MODELS)
def test_secretary_search_and_filters_stay_in_scope(d, model):
    client = signed_in(d.secretary1)

    assert listed(client, model, q="府山") == set()


@pytest.mark.parametrize(
    ("model", "count"),
    [
        ("area", lambda: Area.objects.count()),
        ("organisation", lambda: Organisation.objects.count()),
        ("person", lambda: Person.objects.count()),
        ("partymember", lambda: PartyMember.objects.count()),
        ("rolegrant", lambda: RoleGrant.objects.count()),
        ("user", lambda: User.objects.filter(is_superuser=False).count()),
    ],
)
def test_district_admin_lists_everything(d, model, count):
    assert len(listed(signed_in(d.district_admin), model)) == count()


def test_list_filters(d):
    client = signed_in(d.district_admin)

    assert listed(client, "area", kind=AreaKind.COMPOUND) == {d.compound1.pk, d.compound2.pk, d.compound3.pk}
    assert listed(client, "area", depth=1) == {d.street1.pk, d.street2.pk}
    assert listed(client, "organisation", kind=OrgKind.UNIT_PARTY) == {d.unit1.pk, d.unit2.pk}
    assert listed(client, "organisation", unit_type="institution", party_level="branch") == {d.unit2.pk}
    assert listed(client, "person", community__id__exact=d.community3.pk) == {d.resident3.pk}
    assert listed(client, "partymember", membership_type="registered") == {d.member3.pk}
    assert listed(client, "rolegrant", role=Role.UNIT_CONTACT) == set(
        RoleGrant.objects.filter(role=Role.UNIT_CONTACT).values_list("pk", flat=True)
    )
    assert listed(client, "person", q="李") == {d.resident.pk}


def test_the_community_filter_offers_only_visible_communities(d):
    html = signed_in(d.secretary1).get(url("person")).content.decode()

    assert "越都社区" in html
    assert "府山社区" not in html and "治平社区" not in html


# --- Objects outside the scope --------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("view", ["change", "history"])
def test_another_communitys_object_is_404(d, model, view):
    pk = out_of_scope(d)[model]

    assert signed_in(d.secretary1).get(url(model, pk, view)).status_code == 404
    assert signed_in(d.secretary3).get(url(model, pk, view)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_posting_to_another_communitys_object_is_404_and_changes_nothing(d, model):
    pk = out_of_scope(d)[model]
    model_class = {
        "area": Area,
        "organisation": Organisation,
        "person": Person,
        "partymember": PartyMember,
        "rolegrant": RoleGrant,
        "user": User,
    }[model]
    before = model_class.objects.filter(pk=pk).values().get()

    response = signed_in(d.secretary1).post(url(model, pk, "change"), {"name": "改名", "username": "x"})

    # A role grant is never edited, in scope or not: 403 before any lookup. Everything else: 404.
    assert response.status_code == (403 if model == "rolegrant" else 404)
    assert model_class.objects.filter(pk=pk).values().get() == before


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("bad_id", ["abc", "1.5", "99999"])
def test_malformed_and_unknown_ids_are_404(d, model, bad_id):
    assert signed_in(d.secretary1).get(url(model, bad_id, "change")).status_code == 404


def test_role_grant_delete_of_another_community_is_404(d):
    grant = RoleGrant.objects.get(user=d.secretary3)
    client = signed_in(d.secretary1)

    assert client.get(url("rolegrant", grant.pk, "delete")).status_code == 404
    assert client.post(url("rolegrant", grant.pk, "delete"), {"post": "yes"}).status_code == 404
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


@pytest.mark.parametrize("model", ["area", "organisation", "person", "partymember", "user"])
def test_registers_are_never_deleted_from_the_admin(d, model):
    """Nothing here is deleted (organisations are deactivated): the same 403 inside and outside the scope."""
    client = signed_in(d.district_admin)
    pk = out_of_scope(d)[model]

    assert client.get(url(model, pk, "delete")).status_code == 403
    assert signed_in(d.secretary1).get(url(model, pk, "delete")).status_code == 403


def test_another_communitys_password_page_is_404(d):
    response = signed_in(d.secretary1).get(url("user", d.secretary3.pk, "password"))

    assert response.status_code == 404


# --- Adding: never into another community -------------------------------------------------------


def test_an_area_cannot_be_added_under_another_community(d):
    before = Area.objects.count()

    response = signed_in(d.secretary1).post(
        url("area", "add"), {"name": "新小区", "kind": AreaKind.COMPOUND, "parent": d.community3.pk}
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Area.objects.count() == before


def test_an_organisation_cannot_be_added_in_another_community(d):
    response = signed_in(d.secretary1).post(
        url("organisation", "add"), {"name": "新单位", "kind": OrgKind.UNIT_PARTY, "area": d.community3.pk}
    )

    assert "area" in response.context["adminform"].form.errors
    assert not Organisation.objects.filter(name="新单位").exists()


def test_a_person_cannot_be_added_to_another_community(d):
    response = signed_in(d.secretary1).post(
        url("person", "add"), {"name": "新居民", "community": d.community3.pk}
    )

    assert "community" in response.context["adminform"].form.errors
    assert not Person.objects.filter(name="新居民").exists()


def test_a_party_member_cannot_be_registered_for_another_communitys_person(d):
    person = services.person_create(actor=None, name="新党员", community=d.community3)

    response = signed_in(d.secretary1).post(
        url("partymember", "add"),
        {
            "person": person.pk,
            "membership_type": MembershipType.REGISTERED,
            "party_organisation": d.party1.pk,
        },
    )

    assert "person" in response.context["adminform"].form.errors
    assert not PartyMember.objects.filter(person=person).exists()


def test_a_role_cannot_be_granted_in_another_community(d):
    before = RoleGrant.objects.count()

    response = signed_in(d.secretary1).post(
        url("rolegrant", "add"),
        {"user": d.member_user.pk, "role": Role.SOCIAL_WORKER, "area": d.community3.pk},
    )

    assert "area" in response.context["adminform"].form.errors
    assert RoleGrant.objects.count() == before


def test_a_login_cannot_be_created_for_another_community(d):
    response = signed_in(d.secretary1).post(
        url("user", "add"),
        {
            "username": "newworker",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": Role.SOCIAL_WORKER,
            "area": d.community3.pk,
        },
    )

    assert "area" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newworker").exists()


def test_add_forms_offer_only_visible_choices(d):
    client = signed_in(d.secretary1)

    form = client.get(url("organisation", "add")).context["adminform"].form
    assert set(form.fields["area"].queryset.values_list("pk", flat=True)) == in_scope(d)["area"]
    assert set(form.fields["parent"].queryset.values_list("pk", flat=True)) == in_scope(d)["organisation"]
    person_form = client.get(url("person", "add")).context["adminform"].form
    assert list(person_form.fields["community"].queryset) == [d.community1]
    grant_form = client.get(url("rolegrant", "add")).context["adminform"].form
    assert set(grant_form.fields["user"].queryset.values_list("pk", flat=True)) == in_scope(d)["user"]
    for model in ["area", "organisation", "person", "partymember", "rolegrant", "user"]:
        html = client.get(url(model, "add")).content.decode()
        assert not [name for name in FOREIGN_NAMES if name in html], model


# --- Adding and changing in one's own community: through the services, with history -----------


def test_secretary_adds_an_organisation_through_the_service(d):
    client = signed_in(d.secretary1)

    response = client.post(
        url("organisation", "add"),
        {
            "name": "越都幼儿园党支部",
            "kind": OrgKind.UNIT_PARTY,
            "unit_type": "institution",
            "area": d.compound1.pk,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    org = Organisation.objects.get(name="越都幼儿园党支部")
    assert org.is_active and org.area == d.compound1
    assert org.history.get().history_user == d.secretary1


def test_secretary_adds_an_area_and_the_tree_is_kept(d):
    response = signed_in(d.secretary1).post(
        url("area", "add"),
        {"name": "2幢", "kind": AreaKind.BUILDING, "parent": d.compound1.pk, "grid": d.grid1.pk},
    )

    assert response.status_code == 302
    area = Area.objects.get(name="2幢")
    assert area.path == f"{d.compound1.path}{area.pk}/" and area.depth == d.compound1.depth + 1


def test_a_service_refusal_shows_on_the_form_and_changes_nothing(d):
    # No parent: only a platform administrator may start a new tree. The form is fine, the service refuses.
    before = Area.objects.count()

    response = signed_in(d.secretary1).post(url("area", "add"), {"name": "新区", "kind": AreaKind.DISTRICT})

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert Area.objects.count() == before


def test_the_refusal_speaks_the_users_language(d):
    client = signed_in(d.secretary1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post(url("area", "add"), {"name": "新区", "kind": AreaKind.DISTRICT})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.post(url("area", "add"), {"name": "新区", "kind": AreaKind.DISTRICT})

    assert "Only a platform administrator can create a top-level area." in english.content.decode()
    assert "只有平台管理员才能创建顶级区域" in chinese.content.decode()


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        ("area", {"name": "长" * 101, "kind": AreaKind.COMPOUND}, "name"),
        ("area", {"kind": AreaKind.COMPOUND}, "name"),
        ("organisation", {"name": "长" * 151, "kind": OrgKind.UNIT_PARTY}, "name"),
        ("organisation", {"name": "新单位"}, "kind"),
        ("person", {"name": "长" * 51}, "name"),
        ("person", {"name": "新居民", "phone": "12345"}, "phone"),
        ("rolegrant", {"role": Role.SOCIAL_WORKER}, "user"),
    ],
)
def test_missing_or_oversized_fields_are_form_errors_and_change_nothing(d, model, body, field):
    parent_field = {"area": "parent", "organisation": "area", "person": "community", "rolegrant": "area"}[
        model
    ]
    body = {parent_field: d.community1.pk, **body}
    counts = [m.objects.count() for m in (Area, Organisation, Person, RoleGrant)]

    response = signed_in(d.secretary1).post(url(model, "add"), body)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert [m.objects.count() for m in (Area, Organisation, Person, RoleGrant)] == counts


def test_changing_an_organisation_goes_through_the_service_and_keeps_history(d):
    client = signed_in(d.secretary1)
    page = client.get(url("organisation", d.unit1.pk, "change"))
    data = form_data(page) | {"short_name": "区医院"}

    response = client.post(url("organisation", d.unit1.pk, "change"), data)

    assert response.status_code == 302
    d.unit1.refresh_from_db()
    assert d.unit1.short_name == "区医院"
    assert d.unit1.history.count() == 2
    history = client.get(url("organisation", d.unit1.pk, "history"))
    assert history.status_code == 200
    assert "区医院" in history.content.decode()


def test_moving_an_organisation_to_another_community_is_refused(d):
    client = signed_in(d.secretary1)
    data = form_data(client.get(url("organisation", d.unit1.pk, "change"))) | {"area": d.community3.pk}

    response = client.post(url("organisation", d.unit1.pk, "change"), data)

    assert "area" in response.context["adminform"].form.errors
    d.unit1.refresh_from_db()
    assert d.unit1.area == d.community1


def test_history_is_shown_but_never_reverted(d):
    client = signed_in(d.secretary1)
    services.organisation_update(actor=d.secretary1, organisation=d.unit1, short_name="区医院")
    first = d.unit1.history.earliest()

    assert client.get(url("organisation", d.unit1.pk, "history", first.history_id)).status_code == 200
    response = client.post(url("organisation", d.unit1.pk, "history", first.history_id), {"name": "x"})

    assert response.status_code == 403
    d.unit1.refresh_from_db()
    assert d.unit1.short_name == "区医院"
    other = d.party3.history.earliest()
    assert client.get(url("organisation", d.party3.pk, "history", other.history_id)).status_code == 404


# --- People: numbers masked -------------------------------------------------------------------------


def test_person_list_masks_numbers_for_everyone(d):
    for user in (d.secretary1, d.district_admin):
        html = signed_in(user).get(url("person")).content.decode()
        assert "13900002222" not in html
        assert "139****2222" in html


def test_person_change_form_shows_full_numbers_only_to_community_staff(d):
    secretary_form = signed_in(d.secretary1).get(url("person", d.resident.pk, "change"))
    district_page = signed_in(d.district_admin).get(url("person", d.resident.pk, "change"))

    assert secretary_form.context["adminform"].form["phone"].value() == "13900002222"
    assert "phone" not in district_page.context["adminform"].form.fields
    html = district_page.content.decode()
    assert "13900002222" not in html and "139****2222" in html


def test_person_history_masks_numbers_for_those_who_may_not_contact(d):
    services.person_update(actor=None, person=d.resident, phone="13911112222")

    district_html = signed_in(d.district_admin).get(url("person", d.resident.pk, "history")).content.decode()
    secretary_html = signed_in(d.secretary1).get(url("person", d.resident.pk, "history")).content.decode()

    assert "13911112222" not in district_html and "139****2222" in district_html
    assert "13911112222" in secretary_html


def test_a_district_admin_changing_a_person_keeps_the_numbers(d):
    client = signed_in(d.district_admin)
    data = form_data(client.get(url("person", d.resident.pk, "change"))) | {"note": "独居老人"}

    response = client.post(url("person", d.resident.pk, "change"), data)

    assert response.status_code == 302
    d.resident.refresh_from_db()
    assert (d.resident.note, d.resident.phone) == ("独居老人", "13900002222")


# --- Logins and roles ---------------------------------------------------------------------------------


def test_secretary_creates_a_social_worker_login(d):
    response = signed_in(d.secretary1).post(
        url("user", "add"),
        {
            "username": "newworker",
            "display_name": "新社工",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": Role.SOCIAL_WORKER,
            "area": d.community1.pk,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="newworker")
    assert user.is_staff and user.check_password(PASSWORD)
    assert user.role_grants.get().granted_by == d.secretary1


def test_a_new_login_must_be_placed(d):
    response = signed_in(d.secretary1).post(
        url("user", "add"),
        {"username": "floating", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not User.objects.filter(username="floating").exists()


def test_secretary_cannot_make_a_superuser_or_staff(d):
    client = signed_in(d.secretary1)
    page = client.get(url("user", d.member_user.pk, "change"))
    assert "is_superuser" not in page.context["adminform"].form.fields
    data = form_data(page) | {"is_superuser": "on", "is_staff": "on", "display_name": "王师傅"}

    response = client.post(url("user", d.member_user.pk, "change"), data)

    assert response.status_code == 302
    d.member_user.refresh_from_db()
    assert d.member_user.display_name == "王师傅"
    assert not d.member_user.is_superuser and not d.member_user.is_staff


def test_secretary_cannot_change_a_login_with_roles_above_them(d):
    services.person_create(actor=None, name="区管理员", community=d.community1, user=d.district_admin)
    client = signed_in(d.secretary1)

    page = client.get(url("user", d.district_admin.pk, "change"))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(url("user", d.district_admin.pk, "change"), {"username": "hijacked"})
    assert response.status_code == 403
    assert client.get(url("user", d.district_admin.pk, "password")).status_code == 403
    d.district_admin.refresh_from_db()
    assert d.district_admin.username == "district_admin"


def test_secretary_revokes_a_grant(d):
    grant = RoleGrant.objects.get(user=d.convener1)

    response = signed_in(d.secretary1).post(url("rolegrant", grant.pk, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    d.convener1.refresh_from_db()
    assert not d.convener1.is_staff


def test_grants_are_added_and_revoked_inline_on_the_login(d):
    client = signed_in(d.secretary1)
    page = client.get(url("user", d.member_user.pk, "change"))
    data = form_data(page)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data |= {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-role": Role.SOCIAL_WORKER,
        f"{prefix}-0-area": str(d.community1.pk),
        f"{prefix}-0-organisation": "",
        f"{prefix}-0-user": str(d.member_user.pk),
    }

    response = client.post(url("user", d.member_user.pk, "change"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    grant = RoleGrant.objects.get(user=d.member_user)
    assert grant.granted_by == d.secretary1
    d.member_user.refresh_from_db()
    assert d.member_user.is_staff

    page = client.get(url("user", d.member_user.pk, "change"))
    data = form_data(page) | {f"{prefix}-0-DELETE": "on"}
    response = client.post(url("user", d.member_user.pk, "change"), data)

    assert response.status_code == 302
    assert not RoleGrant.objects.filter(user=d.member_user).exists()


def test_social_worker_sees_grants_but_cannot_grant_or_revoke(d):
    worker = make_user("worker1", Role.SOCIAL_WORKER, area=d.community1)
    client = signed_in(worker)
    grant = RoleGrant.objects.get(user=d.convener1)

    assert client.get(url("rolegrant")).status_code == 200
    assert client.get(url("rolegrant", "add")).status_code == 403
    assert client.post(url("rolegrant", grant.pk, "delete"), {"post": "yes"}).status_code == 403
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


# --- Who gets a back office at all --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["unit_contact1", "resident_user", "member_user"])
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/community/", "/admin/community/person/", "/admin/community/area/add/"]
)
def test_unit_contacts_and_residents_get_no_back_office(d, who, path):
    response = signed_in(getattr(d, who)).get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_signing_in_to_the_admin_as_a_resident_is_refused(d):
    client = Client()

    response = client.post(
        "/admin/login/", {"username": "resident1", "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 200  # the login form again, with its message
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_council_convener_sees_the_compound_only(d):
    client = signed_in(d.convener1)

    assert listed(client, "area") == {d.compound1.pk, d.building1.pk}
    assert client.get(url("person")).status_code == 403
    assert client.get(url("area", d.community1.pk, "change")).status_code == 404
    page = client.get(url("area", d.compound1.pk, "change"))
    assert page.status_code == 200 and not page.context["has_change_permission"]


def test_admin_index_lists_the_models_the_user_may_use(d):
    secretary = signed_in(d.secretary1).get("/admin/").content.decode()
    convener = signed_in(d.convener1).get("/admin/").content.decode()

    assert "/admin/community/rolegrant/" in secretary and "/admin/community/person/" in secretary
    assert "/admin/community/area/" in convener and "/admin/community/person/" not in convener


# --- Query counts ------------------------------------------------------------------------------------------

_n = itertools.count(1)


def grow(d, model, count):
    for _ in range(count):
        n = next(_n)
        if model == "area":
            services.area_create(
                actor=None, name=f"小区{n}", kind=AreaKind.COMPOUND, parent=d.community1, grid=d.grid1
            )
        elif model == "organisation":
            services.organisation_create(
                actor=None, name=f"单位{n}", kind=OrgKind.UNIT_PARTY, area=d.compound1, parent=d.party1
            )
        elif model == "person":
            services.person_create(actor=None, name=f"居民{n}", community=d.community1, home=d.building1)
        elif model == "partymember":
            person = services.person_create(actor=None, name=f"党员{n}", community=d.community1)
            services.party_member_register(
                actor=None,
                person=person,
                membership_type=MembershipType.IN_SERVICE,
                party_organisation=d.unit1,
                workplace=d.unit1,
                grid=d.grid1,
            )
        elif model in ("rolegrant", "user"):
            make_user(f"grid{n}", Role.GRID_WORKER, area=d.grid1)


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_is_bounded(d, model):
    client = signed_in(d.secretary1)
    grow(d, model, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(model)).status_code == 200

    grow(d, model, 18)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(model))

    assert len(response.context["cl"].result_list) >= 20
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 25


def test_a_refusal_half_way_through_undoes_the_first_half(d):
    """The login would be created, then the grant refused (a district role on a community): neither stays."""
    response = signed_in(d.secretary1).post(
        url("user", "add"),
        {
            "username": "halfway",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": Role.DISTRICT_ADMIN,
            "area": d.community1.pk,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not User.objects.filter(username="halfway").exists()
    assert not User.history.filter(username="halfway").exists()


def test_bulk_revoke_reaches_only_grants_in_scope(d):
    mine = RoleGrant.objects.get(user=d.convener1)
    theirs = RoleGrant.objects.get(user=d.secretary3)
    client = signed_in(d.secretary1)

    response = client.post(
        url("rolegrant"),
        {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not RoleGrant.objects.filter(pk=mine.pk).exists()
    assert RoleGrant.objects.filter(pk=theirs.pk).exists()


def test_secretary_renames_their_community_keeping_its_parent_street(d):
    """The parent street is outside the secretary's scope: kept as it is, never offered for others."""
    client = signed_in(d.secretary1)
    page = client.get(url("area", d.community1.pk, "change"))
    parent_choices = set(
        page.context["adminform"].form.fields["parent"].queryset.values_list("pk", flat=True)
    )
    assert parent_choices == in_scope(d)["area"] | {d.street1.pk}
    data = form_data(page) | {"name": "越都社区（老城）"}

    response = client.post(url("area", d.community1.pk, "change"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    d.community1.refresh_from_db()
    assert (d.community1.name, d.community1.parent) == ("越都社区（老城）", d.street1)
    assert (
        client.post(url("area", d.community1.pk, "change"), data | {"parent": d.street2.pk}).status_code
        == 200
    )
    d.community1.refresh_from_db()
    assert d.community1.parent == d.street1


def test_an_in_service_members_workplace_elsewhere_is_kept(d):
    person = services.person_create(actor=None, name="赵老师", community=d.community1)
    member = services.party_member_register(
        actor=None,
        person=person,
        membership_type=MembershipType.IN_SERVICE,
        party_organisation=d.unit2,  # the school's branch, in 府山社区
        workplace=d.unit2,
    )
    client = signed_in(d.secretary1)
    data = form_data(client.get(url("partymember", member.pk, "change"))) | {"is_leading_cadre": "on"}

    response = client.post(url("partymember", member.pk, "change"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.is_leading_cadre and member.party_organisation == d.unit2


def test_the_back_office_carries_the_platforms_titles(d):
    client = signed_in(d.secretary1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/admin/").content.decode()

    assert "Yuecheng Co-construction Platform · Back office" in html
