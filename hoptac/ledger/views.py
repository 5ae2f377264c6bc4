"""Pages of the member ledger (sổ công nợ), under ``/c/<slug>/ledger/``.

Each view parses and authorises, then calls one service or selector. Balances come from
``ledger.selectors.member_balance`` only. Staff with ``ledger.view`` read every member;
a member's own account (role "member", linked to their household) reads only its own
statement: any other member's statement is 404 for them.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hoptac.accounts.selectors import membership_for
from hoptac.coops import selectors as coop_selectors
from hoptac.coops.access import coop_view
from hoptac.coops.models import Member
from hoptac.core.formkeys import creates, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.ledger import selectors, services, xlsx
from hoptac.ledger.forms import (
    AdvanceForm,
    LoanForm,
    PayoutForm,
    PeriodForm,
    ReverseForm,
    day_bounds,
    occurred_at,
)
from hoptac.ledger.models import Entry, EntryKind, PayoutMethod
from hoptac.lib import qr, vietqr
from hoptac.lib.banks import bank_name
from hoptac.lib.money import format_vnd, group_digits
from hoptac.lib.text import unaccent

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ------------------------------------------------------------------------------


def _member_or_404(member_id) -> Member:
    try:
        return coop_selectors.member_get(member_id)
    except Member.DoesNotExist:
        raise Http404 from None


def _ledger_url(request, member) -> str:
    return reverse("ledger:member", kwargs={"coop_slug": request.cooperative.slug, "member_id": member.uuid})


def _vnd(value: int) -> str:
    return format_vnd(value, language=get_language() or "vi")


def _own_member(request) -> Member | None:
    """The household linked to the signed-in user's account in this cooperative, if any."""
    membership = membership_for(user=request.user, cooperative_id=request.cooperative.pk)
    if membership is None or membership.member_id is None:
        return None
    # Through the scoped manager: a link to another cooperative's member finds nothing.
    return Member.objects.select_related("village").filter(pk=membership.member_id).first()


def _statement_member(request, member_id: uuid.UUID) -> Member:
    """Staff who read the ledger see any member; a member's account sees only its own."""
    if request.access.can(Perm.LEDGER_VIEW):
        return _member_or_404(member_id)
    if not request.access.can(Perm.OWN_STATEMENT):
        raise PermissionDenied
    own = _own_member(request)
    if own is None or own.uuid != member_id:
        raise Http404
    return own


# --- the member's ledger page ---------------------------------------------------------------


@coop_view(Perm.LEDGER_VIEW)
@require_GET
def member_ledger(request, member_id):
    member = _member_or_404(member_id)
    balance = selectors.member_balance(member)
    paginator = Paginator(selectors.ledger_entries(member), PAGE_SIZE)
    return render(
        request,
        "ledger/member_ledger.html",
        {
            "member": member,
            "balance": balance,
            "outstanding": selectors.loans_outstanding(member, balance),
            "page": paginator.get_page(request.GET.get("page")),
            "can_write": request.access.can(Perm.LEDGER_WRITE),
        },
    )


@coop_view(Perm.LEDGER_WRITE)
@creates
@require_http_methods(["GET", "POST"])
def advance_create(request, member_id):
    member = _member_or_404(member_id)
    form = AdvanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.advance_give(
                member=member,
                amount=data["amount"],
                occurred_at=occurred_at(data["day"]),
                memo=data["memo"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(form, error, {"not_positive": "amount", "not_int": "amount", "future": "day"})
        else:
            messages.success(
                request,
                _("Cash advance of %(amount)s to %(name)s recorded.")
                % {"amount": _vnd(entry.receivable_delta), "name": member.full_name},
            )
            return redirect(_ledger_url(request, member))
    return render(
        request,
        "ledger/entry_form.html",
        {
            "form": form,
            "member": member,
            "balance": selectors.member_balance(member),
            "title": _("Cash advance"),
            "intro": _("Cash given to the member ahead of their deliveries, deducted from a later payout."),
            "submit": _("Record the advance"),
        },
    )


@coop_view(Perm.LEDGER_WRITE)
@creates
@require_http_methods(["GET", "POST"])
def loan_create(request, member_id):
    member = _member_or_404(member_id)
    form = LoanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.input_loan_give(
                member=member,
                item=data["item"],
                quantity=data["quantity"],
                unit=data["unit"],
                value=data["value"],
                occurred_at=occurred_at(data["day"]),
                memo=data["memo"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(
                form,
                error,
                {
                    "not_positive": "value",
                    "not_int": "value",
                    "no_item": "item",
                    "quantity": "quantity",
                    "future": "day",
                },
            )
        else:
            messages.success(
                request,
                _("Input loan to %(name)s recorded: %(memo)s.")
                % {"name": member.full_name, "memo": entry.memo},
            )
            return redirect(_ledger_url(request, member))
    return render(
        request,
        "ledger/entry_form.html",
        {
            "form": form,
            "member": member,
            "balance": selectors.member_balance(member),
            "title": _("Input loan"),
            "intro": _(
                "Inputs lent to the member (fertiliser, seedlings, bee boxes…), deducted from a later payout."
            ),
            "submit": _("Record the loan"),
            "units": LoanForm.units,
        },
    )


# --- payouts ----------------------------------------------------------------------------------


@coop_view(Perm.LEDGER_WRITE)
@creates
@require_http_methods(["GET", "POST"])
def payout_create(request, member_id):
    member = _member_or_404(member_id)
    balance = selectors.member_balance(member)
    # The proposal: net every loan the payable allows, pay the rest.
    deduct = max(0, min(balance.receivable, balance.payable))
    amount = max(0, balance.payable - deduct)
    has_bank = bool(member.bank_bin and member.bank_account)
    form = PayoutForm(
        request.POST or None,
        initial={
            "deduct": group_digits(deduct),
            "amount": group_digits(amount),
            "method": PayoutMethod.BANK if has_bank and amount else PayoutMethod.CASH,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.payout_make(
                member=member,
                amount=data["amount"],
                deduct=data["deduct"],
                method=data["method"],
                memo=data["memo"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(
                form,
                error,
                {
                    "deduct_too_much": "deduct",
                    "over_balance": "amount",
                    "no_bank": "method",
                    "method": "method",
                },
            )
        else:
            made(request, result.code)
            messages.success(request, _("Payout %(code)s recorded.") % {"code": result.code})
            return redirect("ledger:payout_done", coop_slug=request.cooperative.slug, code=result.code)
    return render(
        request,
        "ledger/payout_form.html",
        {
            "form": form,
            "member": member,
            "balance": balance,
            "outstanding": selectors.loans_outstanding(member, balance),
            "proposed_deduct": deduct,
            "proposed_amount": amount,
            "has_bank": has_bank,
        },
    )


@coop_view(Perm.LEDGER_VIEW)
@require_GET
def payout_done(request, code):
    entries = selectors.payout_entries(code)
    if not entries:
        raise Http404
    payout = next((e for e in entries if e.kind == EntryKind.PAYOUT), None)
    deduction = next((e for e in entries if e.kind == EntryKind.DEDUCTION), None)
    member = entries[0].member
    amount = -payout.payable_delta if payout else 0
    context = {
        "code": code,
        "member": member,
        "payout": payout,
        "deduction": deduction,
        "amount": amount,
        "deducted": -deduction.receivable_delta if deduction else 0,
        "reason": (payout or deduction).memo,
        "when": entries[0].occurred_at,
        "recorded_by": entries[0].created_by,
        "is_reversed": any(e.is_reversed for e in entries),
        "is_bank": payout is not None and payout.payout_method == PayoutMethod.BANK,
        "bank_name": bank_name(member.bank_bin),
        "vietqr": "",
        "qr_svg": "",
        "signature_roles": [
            _("Director"),
            _("Chief accountant"),
            _("Cashier"),
            _("Prepared by"),
            _("Recipient"),
        ],
    }
    if context["is_bank"] and not context["is_reversed"]:
        try:
            payload = vietqr.payload(
                bank_bin=member.bank_bin, account=member.bank_account, amount=amount, purpose=code
            )
        except vietqr.VietQRError:
            pass  # the page says the account on file cannot be put in a QR
        else:
            context["vietqr"] = payload
            context["qr_svg"] = qr.svg(payload, scale=5, title=f"VietQR {code}")
    return render(request, "ledger/payout_done.html", context)


# --- reversals ------------------------------------------------------------------------------


@coop_view(Perm.LEDGER_WRITE)
@repeat_safe("An entry is reversed at most once: the second reversal is refused.")
@require_http_methods(["GET", "POST"])
def entry_reverse(request, entry_id):
    try:
        entry = selectors.entry_get(entry_id)
    except Entry.DoesNotExist:
        raise Http404 from None
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_reverse(entry=entry, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            add_errors(form, error, {"no_reason": "reason"})
        else:
            messages.success(request, _("The entry was reversed; both stay in the ledger."))
            return redirect(_ledger_url(request, entry.member))
    return render(
        request, "ledger/entry_reverse.html", {"form": form, "entry": entry, "member": entry.member}
    )


# --- statements -------------------------------------------------------------------------------


def _statement_context(request, member) -> dict:
    bound = "start" in request.GET or "end" in request.GET
    start, end = PeriodForm.current_month()
    form = PeriodForm(request.GET if bound else None, initial={"start": start, "end": end})
    start, end = form.period()
    lower, upper = day_bounds(start, end)
    return {
        "member": member,
        "form": form,
        "start": start,
        "end": end,
        "statement": selectors.statement(member, start=lower, end=upper),
        "today": timezone.localdate(),
        "period_query": f"?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}",
        "can_view_ledger": request.access.can(Perm.LEDGER_VIEW),
        "signature_roles": [_("Prepared by"), _("Chief accountant"), _("Member")],
    }


@coop_view(Perm.COOP_VIEW)  # ledger.view, or ledger.own for the member's own account
@require_GET
def statement(request, member_id):
    member = _statement_member(request, member_id)
    return render(request, "ledger/statement.html", _statement_context(request, member))


@coop_view(Perm.COOP_VIEW)  # ledger.view, or ledger.own for the member's own account
@require_GET
def statement_xlsx(request, member_id):
    member = _statement_member(request, member_id)
    context = _statement_context(request, member)
    content = xlsx.statement_workbook(
        context["statement"], cooperative=request.cooperative, start=context["start"], end=context["end"]
    )
    name = slugify(unaccent(member.full_name)) or "member"
    filename = f"sao-ke-{name}-{context['start']:%Y%m%d}-{context['end']:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@coop_view(Perm.OWN_STATEMENT)
@require_GET
def me(request):
    """A member's own account: their statement, and nothing of anyone else."""
    own = _own_member(request)
    if own is None:
        return render(request, "ledger/me_unlinked.html", {})
    return render(request, "ledger/statement.html", _statement_context(request, own))


urlpatterns = [
    path("me/", me, name="me"),
    path("members/<uuid:member_id>/", member_ledger, name="member"),
    path("members/<uuid:member_id>/advance/", advance_create, name="advance"),
    path("members/<uuid:member_id>/loan/", loan_create, name="loan"),
    path("members/<uuid:member_id>/payout/", payout_create, name="payout"),
    path("members/<uuid:member_id>/statement/", statement, name="statement"),
    path("members/<uuid:member_id>/statement.xlsx", statement_xlsx, name="statement_xlsx"),
    path("entries/<uuid:entry_id>/reverse/", entry_reverse, name="entry_reverse"),
    path("payouts/<str:code>/", payout_done, name="payout_done"),
]
