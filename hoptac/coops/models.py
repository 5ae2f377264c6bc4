from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hoptac.core.tenancy import CoopOwned
from hoptac.lib import places


class CoopKind(models.TextChoices):
    HTX = "htx", _("Cooperative (HTX)")
    THT = "tht", _("Cooperative group (THT)")
    UNION = "union", _("Union of cooperatives")


class Sector(models.TextChoices):
    HONEY = "honey", _("Beekeeping and honey")
    TEA = "tea", _("Tea")
    RICE = "rice", _("Rice and grains")
    FRUIT = "fruit", _("Fruit")
    HERBS = "herbs", _("Medicinal herbs")
    VEGETABLES = "vegetables", _("Vegetables")
    LIVESTOCK = "livestock", _("Livestock")
    FORESTRY = "forestry", _("Forestry")
    HANDICRAFT = "handicraft", _("Handicrafts and weaving")
    TOURISM = "tourism", _("Community tourism")
    TRADE = "trade", _("Trade and services")
    PROCESSING = "processing", _("Food processing")


tax_code_validator = RegexValidator(
    r"^\d{10}(-\d{3})?$",
    _("A tax code has 10 digits, or 10 digits, a dash and 3 digits for a branch."),
)


# How many daily backups the worker keeps (hoptac.core.backup): the chair chooses.
BACKUP_KEEP_DEFAULT, BACKUP_KEEP_MIN, BACKUP_KEEP_MAX = 14, 1, 365


class Cooperative(models.Model):
    """Hợp tác xã, tổ hợp tác or liên hiệp: the tenant. Everything else belongs to one."""

    kind = models.CharField(_("kind"), max_length=8, choices=CoopKind.choices, default=CoopKind.HTX)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("short address"),
        max_length=60,
        unique=True,
        help_text=_("Used in web addresses, e.g. tuan-dung."),
    )
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True, validators=[tax_code_validator])
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    province_code = models.PositiveIntegerField(_("province"), default=places.TUYEN_QUANG)
    commune_code = models.PositiveIntegerField(_("commune / ward"))
    village = models.CharField(_("village (thôn/bản)"), max_length=120, blank=True)
    street = models.CharField(_("house number, street"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True)
    email = models.EmailField(_("email"), blank=True)
    description = models.TextField(_("description"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="coops/logos/", blank=True)
    kg_per_ta = models.PositiveSmallIntegerField(
        _("kilograms in one tạ"),
        choices=[(100, "100 kg"), (60, "60 kg")],
        default=100,
        help_text=_("A tạ is 100 kg by law; some places still count 60 kg."),
    )
    backup_keep = models.PositiveSmallIntegerField(
        _("daily backups to keep"),
        default=BACKUP_KEEP_DEFAULT,
        validators=[MinValueValidator(BACKUP_KEEP_MIN), MaxValueValidator(BACKUP_KEEP_MAX)],
        help_text=_(
            "The worker makes a backup every day into the backup folder and deletes the oldest "
            "beyond this number."
        ),
    )
    # The chair may let the provincial alliance read members' phones, e-mails, bank accounts
    # and notes (core.roles.PERSONAL_MEMBER_FIELDS); every such read is audited (coops.access).
    shares_personal_data = models.BooleanField(
        _("share members' contact and bank details with the provincial alliance"),
        default=False,
        help_text=_("Officers of the alliance then see phones, e-mails, bank accounts and notes; each visit is recorded."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")

    def __str__(self) -> str:
        return self.name

    @property
    def commune_name(self) -> str:
        return places.commune_name(self.commune_code)

    @property
    def province_name(self) -> str:
        return places.province_name(self.province_code)

    @property
    def address(self) -> str:
        parts = [self.street, self.village, self.commune_name, self.province_name]
        return ", ".join(p for p in parts if p)

    def sector_labels(self) -> list[str]:
        labels = dict(Sector.choices)
        return [str(labels.get(s, s)) for s in self.sectors]


class Village(CoopOwned):
    """Thôn / bản: where households live. Villages are not in any national list, so each
    cooperative keeps its own, each in one commune."""

    name = models.CharField(_("village"), max_length=120)
    commune_code = models.PositiveIntegerField(_("commune / ward"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "commune_code", "name"], name="village_unique_in_commune"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def commune_name(self) -> str:
        return places.commune_name(self.commune_code)


class GroupKind(models.TextChoices):
    VILLAGE = "village", _("By village")
    PRODUCT = "product", _("By product")
    MANUAL = "manual", _("Chosen by hand")


class MemberGroup(CoopOwned):
    """A group of member households: a village team, a product team, or any list."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=GroupKind.choices, default=GroupKind.MANUAL)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("member group")
        verbose_name_plural = _("member groups")
        constraints = [models.UniqueConstraint(fields=["cooperative", "name"], name="group_name_unique")]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Ethnicity(models.TextChoices):
    """The 54 peoples of the official list (Tổng cục Thống kê, 1979), the northern mountains
    first, then Other. Old and common names (Mèo, Mán, Xá Cẩu…) are read by
    :mod:`hoptac.coops.ethnicities`."""

    HMONG = "hmong", _("H'Mông")
    DAO = "dao", _("Dao")
    TAY = "tay", _("Tày")
    NUNG = "nung", _("Nùng")
    GIAY = "giay", _("Giáy")
    LOLO = "lolo", _("Lô Lô")
    PUPEO = "pupeo", _("Pu Péo")
    PATHEN = "pathen", _("Pà Thẻn")
    BOY = "boy", _("Bố Y")
    LACHI = "lachi", _("La Chí")
    COLAO = "colao", _("Cờ Lao")
    PHULA = "phula", _("Phù Lá")
    SANCHAY = "sanchay", _("Sán Chay")
    KINH = "kinh", _("Kinh")
    THAI = "thai", _("Thái")
    MUONG = "muong", _("Mường")
    HOA = "hoa", _("Hoa")
    SANDIU = "sandiu", _("Sán Dìu")
    NGAI = "ngai", _("Ngái")
    HANHI = "hanhi", _("Hà Nhì")
    LAHU = "lahu", _("La Hủ")
    LU = "lu", _("Lự")
    CONG = "cong", _("Cống")
    SILA = "sila", _("Si La")
    MANG = "mang", _("Mảng")
    KHANG = "khang", _("Kháng")
    KHOMU = "khomu", _("Khơ Mú")
    XINHMUN = "xinhmun", _("Xinh Mun")
    LAHA = "laha", _("La Ha")
    LAO = "lao", _("Lào")
    THO = "tho", _("Thổ")
    ODU = "odu", _("Ơ Đu")
    CHUT = "chut", _("Chứt")
    KHMER = "khmer", _("Khmer")
    CHAM = "cham", _("Chăm")
    GIARAI = "giarai", _("Gia Rai")
    EDE = "ede", _("Ê Đê")
    BANA = "bana", _("Ba Na")
    XODANG = "xodang", _("Xơ Đăng")
    COHO = "coho", _("Cơ Ho")
    HRE = "hre", _("Hrê")
    MNONG = "mnong", _("Mnông")
    RAGLAI = "raglai", _("Ra Glai")
    XTIENG = "xtieng", _("Xtiêng")
    BRUVANKIEU = "bruvankieu", _("Bru - Vân Kiều")
    COTU = "cotu", _("Cơ Tu")
    GIETRIENG = "gietrieng", _("Giẻ Triêng")
    MA = "ma", _("Mạ")
    CO = "co", _("Co")
    TAOI = "taoi", _("Tà Ôi")
    CHORO = "choro", _("Chơ Ro")
    CHURU = "churu", _("Chu Ru")
    BRAU = "brau", _("Brâu")
    ROMAM = "romam", _("Rơ Măm")
    OTHER = "other", _("Other")


class MemberType(models.TextChoices):
    OFFICIAL = "official", _("Official member")
    ASSOCIATE = "associate", _("Associate member")


# Ways to reach a member, in order of preference: the first channel that works is used,
# the next ones are the fallbacks when it fails for good (hoptac.outbox).
CHANNEL_ORDERS = [
    ("sms", _("SMS")),
    ("zalo,sms", _("Zalo, then SMS")),
    ("app,sms", _("In the app, then SMS")),
    ("app,zalo,sms", _("In the app, then Zalo, then SMS")),
    ("email,sms", _("Email, then SMS")),
    ("zalo", _("Zalo only")),
    ("app", _("In the app only")),
    ("email", _("Email only")),
]


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEFT = "left", _("Left")


class Member(CoopOwned):
    """Thành viên: a member household. Most have no user account; staff act for them."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=120)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=10, choices=Ethnicity.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    phone = models.CharField(_("phone"), max_length=11, null=True, blank=True)
    village = models.ForeignKey(
        Village,
        verbose_name=_("village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    commune_code = models.PositiveIntegerField(_("commune / ward"))
    member_type = models.CharField(
        _("member type"), max_length=10, choices=MemberType.choices, default=MemberType.OFFICIAL
    )
    joined_on = models.DateField(_("join date"))
    capital_vnd = models.BigIntegerField(_("capital contributed (VND)"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    left_on = models.DateField(_("date left"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=300, blank=True)
    bank_bin = models.CharField(_("bank"), max_length=8, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=19, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    trace_consent = models.BooleanField(
        _("name may be shown on public trace pages"),
        default=False,
        help_text=_("Only with the household's consent; otherwise trace pages count it without its name."),
    )
    email = models.EmailField(_("email"), blank=True)
    channels = models.CharField(
        _("how to reach them"),
        max_length=40,
        choices=CHANNEL_ORDERS,
        default="sms",
        help_text=_("Messages go by the first channel that works; the next ones are the fallbacks."),
    )
    messages_stopped_at = models.DateTimeField(
        _("stopped messages on"),
        null=True,
        blank=True,
        help_text=_("Set when the member texts HUY; cleared by DK. Announcements are not sent meanwhile."),
    )
    groups = models.ManyToManyField(MemberGroup, verbose_name=_("groups"), blank=True, related_name="members")
    search_text = models.CharField(max_length=400, editable=False, db_index=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            # A household that left may give its number up; active ones never share one.
            models.UniqueConstraint(
                fields=["cooperative", "phone"],
                condition=Q(phone__isnull=False, status="active"),
                name="member_phone_unique_in_coop",
            ),
            models.CheckConstraint(condition=Q(capital_vnd__gte=0), name="member_capital_not_negative"),
            models.CheckConstraint(
                condition=Q(status="active", left_on__isnull=True) | Q(status="left", left_on__isnull=False),
                name="member_left_has_date",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "status"])]

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]

    def __str__(self) -> str:
        return self.full_name

    @property
    def commune_name(self) -> str:
        return places.commune_name(self.commune_code)

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE

    @property
    def bank_name(self) -> str:
        from hoptac.lib.banks import bank_name

        return bank_name(self.bank_bin)

    @property
    def bank_short_name(self) -> str:
        from hoptac.lib.banks import bank_short_name

        return bank_short_name(self.bank_bin)


class InvitationStatus(models.TextChoices):
    # A context of their own: "Accepted" of a message means its gateway took it.
    PENDING = "pending", pgettext_lazy("invitation", "Waiting for an answer")
    ACCEPTED = "accepted", pgettext_lazy("invitation", "Accepted")
    DECLINED = "declined", pgettext_lazy("invitation", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("invitation", "Cancelled")
    EXPIRED = "expired", pgettext_lazy("invitation", "Expired")


class StaffInvitation(CoopOwned):
    """A role offered by the chair to a phone number: the role starts only when the person
    with that phone accepts through the link (signing in, or creating their account).

    The link's token is random and stored hashed (SHA-256): the database alone does not give
    a working link. "Send again" draws a new token and a new expiry.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    phone = models.CharField(_("phone"), max_length=11)
    full_name = models.CharField(_("full name"), max_length=120)
    role = models.CharField(_("role"), max_length=16)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        indexes = [models.Index(fields=["cooperative", "phone", "status"])]

    def __str__(self) -> str:
        return f"{self.phone} — {self.role} — {self.status}"

    @property
    def state(self) -> str:
        """The status, with a pending invitation past its expiry seen as expired."""
        from django.utils import timezone

        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return self.status

    @property
    def state_label(self) -> str:
        return str(InvitationStatus(self.state).label)

    @property
    def role_label(self) -> str:
        from hoptac.core.roles import Role

        return str(Role(self.role).label)
