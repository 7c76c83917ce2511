"""Places, organisations, people and roles.

Every object of the platform belongs to an area of the tree (district → street → community →
compound → building → …; grids overlay communities). Access is decided by the area subtrees and
organisations a user's roles cover: see `community.access`.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .access import ScopedQuerySet

phone_validator = RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mainland mobile number starting with 1."))


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


class UserQuerySet(models.QuerySet):
    def visible_to(self, user) -> UserQuerySet:
        from .access import user_scope_q

        q = user_scope_q(user)
        return self.all() if q is None else self.filter(q)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    """Django's user manager, plus `visible_to(user)` like every other model of the platform."""


class User(AbstractUser):
    """A login. Signs in with a username or with the mobile number."""

    phone = models.CharField(
        _("mobile number"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator]
    )
    display_name = models.CharField(_("full name"), max_length=50, blank=True)

    objects = ScopedUserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def get_short_name(self) -> str:
        # The admin greets users by this; a Chinese name reads better than an upper-cased login.
        return self.display_name or super().get_short_name() or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone or "")


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street / township")
    COMMUNITY = "community", _("Community / village")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Building unit")
    HOUSEHOLD = "household", _("Party-member household")
    GRID = "grid", _("Grid")


class Area(TimeStampedModel):
    """A node of the governance tree. Depth is not fixed: any kind may sit under any other.

    `path` is the materialised path of ids ("/1/4/17/"): a subtree is `path__startswith`.
    Grids are children of their community; a compound or building names the grid that covers it.
    """

    SCOPE_AREA = ""  # an area is scoped by its own path

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    code = models.CharField(_("administrative code"), max_length=32, blank=True)
    grid = models.ForeignKey(
        "self",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covered_areas",
        limit_choices_to={"kind": AreaKind.GRID},
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="area_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: Area) -> bool:
        return self.path.startswith(other.path)

    def ancestor_of_kind(self, kind: str) -> Area | None:
        if self.kind == kind:
            return self
        ids = self.ancestor_ids()
        return Area.objects.filter(pk__in=ids, kind=kind).first()


class OrgKind(models.TextChoices):
    DISTRICT_DEPARTMENT = "district_dept", _("District Party organisation department")
    STREET_PARTY = "street_party", _("Street Party working committee")
    COMMUNITY_PARTY = "community_party", _("Community Party organisation")
    COMPOUND_BRANCH = "compound_branch", _("Compound Party branch")
    UNIT_PARTY = "unit_party", _("Unit Party organisation")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PROPERTY_COMPANY = "property_company", _("Property-service company")
    SOCIAL_ORG = "social_org", _("Social organisation")
    VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
    # A shop or service provider that offers goods in the livelihood market without being a Party organisation.
    MERCHANT = "merchant", _("Merchant")


PARTY_ORG_KINDS = {
    OrgKind.DISTRICT_DEPARTMENT,
    OrgKind.STREET_PARTY,
    OrgKind.COMMUNITY_PARTY,
    OrgKind.COMPOUND_BRANCH,
    OrgKind.UNIT_PARTY,
}


class PartyLevel(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General Party branch")
    BRANCH = "branch", _("Party branch")


class UnitType(models.TextChoices):
    AGENCY = "agency", _("Government agency")
    ENTERPRISE = "enterprise", _("Enterprise")
    INSTITUTION = "institution", _("Public institution")
    TWO_NEW = "two_new", _("New economic or social organisation")


class Organisation(TimeStampedModel):
    """Any organisation of DOMAIN §2, attached to the area it sits in."""

    SCOPE_AREA = "area"
    SCOPE_ORG = ""  # an organisation is in scope for its own contacts

    name = models.CharField(_("name"), max_length=150)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrgKind.choices)
    party_level = models.CharField(
        _("Party organisation level"), max_length=20, choices=PartyLevel.choices, blank=True
    )
    unit_type = models.CharField(_("unit type"), max_length=20, choices=UnitType.choices, blank=True)
    sector = models.CharField(
        _("sector"), max_length=50, blank=True, help_text=_("e.g. school, hospital, bank")
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="organisations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["area__path", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="org_unique_name_in_area")]
        indexes = [models.Index(fields=["kind", "area"], name="org_kind_area_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_party_org(self) -> bool:
        return self.kind in PARTY_ORG_KINDS


class Person(TimeStampedModel):
    """Someone the platform knows about, with or without a login (an elderly resident may have none)."""

    SCOPE_AREA = "community"
    SCOPE_OWNER = "user"

    user = models.OneToOneField(
        User, verbose_name=_("login"), null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("mobile number"), max_length=11, blank=True, validators=[phone_validator])
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="people",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
    )
    home = models.ForeignKey(
        Area,
        verbose_name=_("home (compound or building)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    is_resident = models.BooleanField(_("resident"), default=True)
    is_owner = models.BooleanField(_("owner"), default=False)
    is_social_worker = models.BooleanField(_("social worker"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["community__path", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class MembershipType(models.TextChoices):
    REGISTERED = "registered", _("Registered member")
    IN_SERVICE = "in_service", _("In-service member")


class PartyMember(TimeStampedModel):
    """A Party member: where the membership is held, and the residential community reported to."""

    SCOPE_AREA = "person__community"
    SCOPE_OWNER = "person__user"

    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="party_member"
    )
    membership_type = models.CharField(_("membership"), max_length=20, choices=MembershipType.choices)
    party_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("Party organisation holding the membership"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    workplace = models.ForeignKey(
        Organisation,
        verbose_name=_("workplace"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employed_members",
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_members",
        limit_choices_to={"kind": AreaKind.GRID},
    )
    is_leading_cadre = models.BooleanField(_("leading cadre"), default=False)
    joined_party_on = models.DateField(_("joined the Party on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["person__community__path", "person__name"]

    def __str__(self) -> str:
        return str(self.person)


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    STREET_ADMIN = "street_admin", _("Street administrator")
    COMMUNITY_SECRETARY = "community_secretary", _("Community Party secretary")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COUNCIL_CONVENER = "council_convener", _("Council convener")
    UNIT_CONTACT = "unit_contact", _("Unit contact")


# Which kind of area each area-scoped role is granted on; unit contacts are granted on an organisation.
ROLE_AREA_KIND = {
    Role.DISTRICT_ADMIN: AreaKind.DISTRICT,
    Role.STREET_ADMIN: AreaKind.STREET,
    Role.COMMUNITY_SECRETARY: AreaKind.COMMUNITY,
    Role.SOCIAL_WORKER: AreaKind.COMMUNITY,
    Role.GRID_WORKER: AreaKind.GRID,
    Role.COUNCIL_CONVENER: AreaKind.COMPOUND,
}
ORGANISATION_ROLES = {Role.UNIT_CONTACT}
# Roles that work in the back office (/admin/).
STAFF_ROLES = {
    Role.DISTRICT_ADMIN,
    Role.STREET_ADMIN,
    Role.COMMUNITY_SECRETARY,
    Role.SOCIAL_WORKER,
    Role.COUNCIL_CONVENER,
}
# Who manages what inside their areas (community.rules holds the whole table; services check the same).
# Managers shape the area tree and appoint people to roles.
MANAGER_ROLES = {Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY}
# Caseworkers keep the registers: organisations, people, Party members.
CASEWORK_ROLES = MANAGER_ROLES | {Role.SOCIAL_WORKER}
# Those who must contact residents see their full phone and ID numbers (personal-information minimisation).
CONTACT_ROLES = {Role.COMMUNITY_SECRETARY, Role.SOCIAL_WORKER}


class RoleGrant(TimeStampedModel):
    """A role held within an area subtree or within one organisation."""

    # A unit contact's grant hangs from the organisation, which sits in an area: both count.
    SCOPE_AREA = ("area", "organisation__area")
    SCOPE_ORG = "organisation"
    SCOPE_OWNER = "user"

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(area__isnull=False, organisation__isnull=True)
                    | models.Q(area__isnull=True, organisation__isnull=False)
                ),
                name="rolegrant_area_xor_organisation",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                name="rolegrant_unique_area",
                condition=models.Q(area__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                name="rolegrant_unique_org",
                condition=models.Q(organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area or self.organisation}"
