from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.coops.models import (
    CHANNEL_ORDERS,
    Cooperative,
    CoopKind,
    Ethnicity,
    Gender,
    GroupKind,
    MemberGroup,
    MemberStatus,
    MemberType,
    Sector,
    Village,
)
from hoptac.coops.services import MemberInput
from hoptac.core.fields import DATE_WIDGET, BoundedMoneyField, DateField, LargeAmountConfirmMixin, PhoneField
from hoptac.core.roles import STAFF_ROLES
from hoptac.lib import bounds, places
from hoptac.lib.banks import bank_choices

BLANK = [("", "—")]


class MemberForm(forms.Form):
    """A member household, as staff type it. The import reads each Excel row through it too."""

    full_name = forms.CharField(label=_("Full name"), max_length=120)
    gender = forms.ChoiceField(label=_("Gender"), choices=BLANK + Gender.choices, required=False)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=BLANK + Ethnicity.choices, required=False)
    birth_year = forms.IntegerField(
        label=_("Year of birth"), required=False, min_value=bounds.BIRTH_YEAR_MIN, max_value=9999
    )
    phone = PhoneField(label=_("Phone"), required=False)
    commune_code = forms.TypedChoiceField(label=_("Commune / ward"), coerce=int)
    village_name = forms.CharField(
        label=_("Village (thôn/bản)"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"list": "village-names", "autocomplete": "off"}),
    )
    member_type = forms.ChoiceField(
        label=_("Member type"), choices=MemberType.choices, initial=MemberType.OFFICIAL
    )
    joined_on = DateField(label=_("Join date"), kind="join")
    capital_vnd = BoundedMoneyField(label=_("Capital contributed (VND)"), kind="capital", required=False)
    bank_bin = forms.ChoiceField(label=_("Bank"), required=False)
    bank_account = forms.RegexField(
        label=_("Bank account number"),
        regex=r"^\d{6,19}$",
        required=False,
        error_messages={"invalid": _("An account number has 6 to 19 digits, without spaces.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    groups = forms.TypedMultipleChoiceField(
        label=_("Groups"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    email = forms.EmailField(label=_("Email"), required=False)
    channels = forms.ChoiceField(
        label=_("How to reach them"),
        choices=CHANNEL_ORDERS,
        required=False,
        help_text=_("Messages go by the first channel that works; the next ones are the fallbacks."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, cooperative: Cooperative, **kwargs):
        super().__init__(*args, **kwargs)
        self.cooperative = cooperative
        self.fields["commune_code"].choices = BLANK + list(places.commune_choices(cooperative.province_code))
        self.fields["bank_bin"].choices = BLANK + bank_choices()
        self.fields["groups"].choices = list(MemberGroup.objects.values_list("id", "name"))
        self.fields["joined_on"].initial = timezone.localdate
        self.fields["commune_code"].initial = cooperative.commune_code

    def village_names(self) -> list[str]:
        return list(Village.objects.values_list("name", flat=True).distinct())

    def clean_birth_year(self):
        year = self.cleaned_data.get("birth_year")
        if year and year > timezone.localdate().year - 10:
            raise forms.ValidationError(_("The year of birth is too recent for a member."))
        return year

    def clean_joined_on(self):
        joined = self.cleaned_data["joined_on"]
        if joined > timezone.localdate():
            raise forms.ValidationError(_("The join date cannot be in the future."))
        return joined

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("bank_bin")) != bool(cleaned.get("bank_account")):
            raise forms.ValidationError(_("Give both the bank and the account number, or neither."))
        return cleaned

    def to_input(self) -> MemberInput:
        c = self.cleaned_data
        return MemberInput(
            full_name=c["full_name"],
            gender=c.get("gender") or "",
            ethnicity=c.get("ethnicity") or "",
            birth_year=c.get("birth_year"),
            phone=c.get("phone"),
            commune_code=c["commune_code"],
            village_name=c.get("village_name") or "",
            member_type=c["member_type"],
            joined_on=c["joined_on"],
            capital_vnd=c.get("capital_vnd") or 0,
            bank_bin=c.get("bank_bin") or "",
            bank_account=c.get("bank_account") or "",
            notes=c.get("notes") or "",
            email=c.get("email") or "",
            channels=c.get("channels") or "sms",
            group_ids=c.get("groups") or [],
        )

    @staticmethod
    def initial_from(member) -> dict:
        return {
            "full_name": member.full_name,
            "gender": member.gender,
            "ethnicity": member.ethnicity,
            "birth_year": member.birth_year,
            "phone": member.phone,
            "commune_code": member.commune_code,
            "village_name": member.village.name if member.village else "",
            "member_type": member.member_type,
            "joined_on": member.joined_on,
            "capital_vnd": member.capital_vnd,
            "bank_bin": member.bank_bin,
            "bank_account": member.bank_account,
            "notes": member.notes,
            "email": member.email,
            "channels": member.channels,
            "groups": [g.pk for g in member.groups.all()],
        }


class MemberPageForm(LargeAmountConfirmMixin, MemberForm):
    """The member form of the pages: a large capital is confirmed a second time (the
    Excel import reads rows through ``MemberForm`` and shows every row before saving)."""

    large_amounts = {"capital_vnd": "capital"}


class LeaveForm(forms.Form):
    left_on = DateField(label=_("Date left"), kind="join", initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason for leaving"), max_length=300)


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, phone or village")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + MemberStatus.choices
    )
    member_type = forms.ChoiceField(
        label=_("Member type"), required=False, choices=[("", _("All"))] + MemberType.choices
    )
    village = forms.TypedChoiceField(label=_("Village"), required=False, coerce=int, empty_value=None)
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None)
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", _("All"))] + Gender.choices)
    ethnicity = forms.ChoiceField(
        label=_("Ethnicity"), required=False, choices=[("", _("All"))] + Ethnicity.choices
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", _("All"))] + list(Village.objects.values_list("id", "name"))
        self.fields["group"].choices = [("", _("All"))] + list(MemberGroup.objects.values_list("id", "name"))


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=GroupKind.choices, initial=GroupKind.MANUAL)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class GroupMembersForm(forms.Form):
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, member_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = member_choices


class CooperativeForm(forms.ModelForm):
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"), choices=Sector.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    commune_code = forms.TypedChoiceField(label=_("Commune / ward"), coerce=int)
    phone = PhoneField(label=_("Phone"), required=False)

    class Meta:
        model = Cooperative
        fields = [
            "kind",
            "name",
            "tax_code",
            "founded_on",
            "sectors",
            "commune_code",
            "village",
            "street",
            "phone",
            "email",
            "description",
            "logo",
            "backup_keep",
            "shares_personal_data",
        ]
        widgets = {"founded_on": DATE_WIDGET, "kind": forms.Select(choices=CoopKind.choices)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune_code"].choices = list(places.commune_choices(self.instance.province_code))

    def clean_phone(self):
        return self.cleaned_data.get("phone") or ""

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > 1024 * 1024:
            raise forms.ValidationError(_("The logo is too large: at most 1 MB."))
        return logo


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )


class StaffForm(forms.Form):
    """The chair gives someone a role: by invitation, or directly for someone already on
    this cooperative's staff."""

    phone = PhoneField(label=_("Phone"))
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    # No role chosen in advance: a slip of the thumb must not invite a second chair.
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("— choose a role —"))] + [(r.value, r.label) for r in STAFF_ROLES]
    )


class NewPasswordForm(forms.Form):
    """A new password typed twice, checked by Django's password validators."""

    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_user = for_user

    def user_for_validators(self):
        return self.for_user

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            try:
                validate_password(first, user=self.user_for_validators())
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitationAccountForm(NewPasswordForm):
    """Someone without an account accepts an invitation: their name and a password."""

    full_name = forms.CharField(label=_("Your full name"), max_length=120)
    field_order = ["full_name", "password1", "password2"]

    def __init__(self, *args, phone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.phone = phone

    def user_for_validators(self):
        from hoptac.accounts.models import User

        return User(phone=self.phone, full_name=self.data.get("full_name", ""))
