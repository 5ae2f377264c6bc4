"""The member picker: a search box instead of a drop-down of every household.

Without JavaScript it is a plain search: the form has a search field and a "Find" button
that shows the form again with the matches as radio buttons (the form keeps what was typed
and its one-time key). With ``hoptac/picker.js`` the same box fetches
``/c/<slug>/members/search?q=…`` (:func:`member_search`) as the person types and offers the
matches in a listbox (the ARIA combobox pattern).

Each match shows what tells two people of the same name apart: the village (or commune),
the year of birth, and the phone number for a role that may read it
(``Perm.MEMBER_PERSONAL``).
"""

from __future__ import annotations

from django import forms
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hoptac.accounts.selectors import with_account
from hoptac.coops import selectors
from hoptac.coops.access import coop_view
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.roles import Perm
from hoptac.lib.phone import display_phone


def member_option(member: Member, *, personal: bool) -> dict:
    """What a match shows: ``{"id", "name", "place", "fact"}``; ``fact`` is the year of
    birth and, for a role with Perm.MEMBER_PERSONAL, the phone number."""
    place = member.village.name if member.village_id else member.commune_name
    facts = []
    if member.birth_year:
        facts.append(_("born %(year)s") % {"year": member.birth_year})
    if personal and member.phone:
        facts.append(display_phone(member.phone))
    return {"id": member.pk, "name": member.full_name, "place": place, "fact": " · ".join(facts)}


class MemberPickField(forms.Field):
    """A member of the current cooperative, chosen by id (a radio button of the matches,
    or the listbox of the script). Anything else is "choose a member", never a 500."""

    widget = forms.RadioSelect
    default_error_messages = {
        "required": gettext_lazy("Find the member and choose them."),
        "invalid": gettext_lazy("Choose a member from the list."),
        "left": gettext_lazy("%(name)s has left the cooperative: nothing new can be recorded for them."),
    }

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, Member):
            return value
        text = str(value).strip()
        if not text.isdigit() or len(text) > 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        # Read once per form: the picker shows the member chosen, then the form's cleaning
        # checks it (each form has its own copy of the field, so this lives one request).
        memo = self.__dict__.setdefault("_read", {})
        if text not in memo:
            memo[text] = with_account(Member.objects.select_related("village").filter(pk=int(text))).first()
        member = memo[text]
        if member is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if member.status != MemberStatus.ACTIVE:
            raise forms.ValidationError(
                self.error_messages["left"] % {"name": member.full_name}, code="member_left"
            )
        return member

    def prepare_value(self, value):
        return value.pk if isinstance(value, Member) else value


class MemberPickMixin:
    """A form with a member picker: fields ``member`` (the choice) and ``member_q`` (the
    search). ``self.member_options`` are the radio buttons to show: the member chosen (if
    any) first, then the matches of the search."""

    pick_field = "member"

    def setup_picker(self, *, personal: bool):
        self.personal = personal
        chosen = None
        raw = (
            self.data.get(self.add_prefix(self.pick_field))
            if self.is_bound
            else self.initial.get(self.pick_field)
        )
        if raw not in (None, ""):
            try:
                chosen = self.fields[self.pick_field].to_python(raw)
            except forms.ValidationError:
                chosen = None
        query = self.data.get(self.add_prefix("member_q"), "") if self.is_bound else ""
        matches = selectors.member_pick(query, by_phone=personal) if query else []
        self.member_query = query
        self.member_matches = matches
        options = [chosen] if chosen else []
        options += [m for m in matches if chosen is None or m.pk != chosen.pk]
        self.member_options = [member_option(m, personal=personal) for m in options]
        self.member_chosen = chosen.pk if chosen else None
        if not self.is_bound and chosen is not None:
            self.initial[self.pick_field] = chosen.pk


def member_search_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Find a member"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "Part of the name (accents not needed), the village, or the phone number; then Find."
        ),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "enterkeyhint": "search",
            }
        ),
    )


@coop_view(Perm.MEMBER_VIEW)
@require_GET
def member_search(request):
    """``?q=`` → ``{"results": [{"id", "name", "place", "fact"}, ...]}``: at most 10 active
    members, the phone only for a role with Perm.MEMBER_PERSONAL."""
    personal = request.access.can(Perm.MEMBER_PERSONAL)
    members = selectors.member_pick(request.GET.get("q", ""), by_phone=personal)
    response = JsonResponse({"results": [member_option(m, personal=personal) for m in members]})
    response["Cache-Control"] = "private, no-store"
    return response
