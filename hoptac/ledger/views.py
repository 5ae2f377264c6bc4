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
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.accounts.selectors import membership_for
from hoptac.coops import selectors as coop_selectors
from hoptac.coops.access import coop_view
from hoptac.coops.exports import export_response
from hoptac.coops.models import Member
from hoptac.core.fields import MoneyField
from hoptac.core.formkeys import creates, made, repeat_safe
from hoptac.core.forms import add_errors
from hoptac.core.roles import Perm
from hoptac.ledger import selectors, services, xlsx
from hoptac.ledger.forms import (
    AdvanceForm,
    LoanForm,
    MonthCloseForm,
    OwedFilterForm,
    PayoutCancelForm,
    PayoutConfirmForm,
    PayoutForm,
    PeriodForm,
    ReverseForm,
    RunSettleForm,
    StatementSendForm,
    day_bounds,
    occurred_at,
    understood,
)
from hoptac.ledger.models import BankPayout, Entry, EntryKind, PayoutMethod, PayoutRun, PayoutStatus
from hoptac.lib import qr, vietqr
from hoptac.lib.banks import bank_name
from hoptac.lib.money import format_vnd, group_digits
from hoptac.lib.text import unaccent

PAGE_SIZE = 50
OWED_PAGE = 100  # households owed, a page (the totals are everyone's)
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


def _checking(request, form) -> str:
    """Which step a create form is at: ``"change"`` (shown again to change it, without
    error messages), ``"check"`` (valid: show "Check before saving"), ``"save"`` (the Save
    button of that step) or ``""`` (a GET, or errors to show)."""
    if request.method != "POST":
        return ""
    if "change" in request.POST:
        form.errors.clear()
        return "change"
    if not form.is_valid():
        return ""
    return "save" if request.POST.get("confirm") else "check"


def _check_page(request, form, *, member, title: str, submit: str):
    """Step two of a ledger form: what was typed as it was read (amounts in words), with
    Save and Change; the form's values and its one-time key travel as hidden fields."""
    return render(
        request,
        "ledger/entry_check.html",
        {"form": form, "member": member, "rows": understood(form), "title": title, "submit": submit},
    )


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
            "prepared": list(selectors.bank_payouts_of(member)),
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
    step = _checking(request, form)
    if step == "check":
        return _check_page(
            request, form, member=member, title=_("Cash advance"), submit=_("Record the advance")
        )
    if step == "save":
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
            add_errors(
                form,
                error,
                {"not_positive": "amount", "not_int": "amount", "future": "day", "closed_period": "day"},
            )
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
    step = _checking(request, form)
    if step == "check":
        return _check_page(
            request, form, member=member, title=_("Input loan"), submit=_("Record the loan")
        )
    if step == "save":
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
                    "closed_period": "day",
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
    reserved = selectors.reserved_for([member.pk])[member.pk]
    # The proposal: net every loan the payable allows, pay the rest, less prepared transfers.
    proposal = selectors.payout_proposal(balance, reserved)
    has_bank = bool(member.bank_bin and member.bank_account)
    form = PayoutForm(
        request.POST or None,
        initial={
            "deduct": group_digits(proposal.deduct),
            "amount": group_digits(proposal.amount),
            "method": PayoutMethod.BANK if has_bank and proposal.amount else PayoutMethod.CASH,
        },
    )
    step = _checking(request, form)
    if step == "check":
        return _check_page(
            request, form, member=member, title=_("Pay out"), submit=_("Record the payout")
        )
    if step == "save":
        data = form.cleaned_data
        try:
            if data["method"] == PayoutMethod.BANK and data["amount"]:
                # Two steps: prepared now, confirmed with the bank's reference once paid.
                prepared = services.payout_prepare(
                    member=member,
                    amount=data["amount"],
                    deduct=data["deduct"],
                    memo=data["memo"],
                    actor=request.user,
                )
                code = prepared.code
            else:
                code = services.payout_make(
                    member=member,
                    amount=data["amount"],
                    deduct=data["deduct"],
                    method=PayoutMethod.CASH,
                    memo=data["memo"],
                    actor=request.user,
                ).code
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
            made(request, code)
            if data["method"] == PayoutMethod.BANK and data["amount"]:
                messages.success(
                    request,
                    _("Transfer %(code)s prepared: make it in the bank, then confirm it here.")
                    % {"code": code},
                )
            else:
                messages.success(request, _("Payout %(code)s recorded.") % {"code": code})
            return redirect("ledger:payout_done", coop_slug=request.cooperative.slug, code=code)
    return render(
        request,
        "ledger/payout_form.html",
        {
            "form": form,
            "member": member,
            "balance": balance,
            "reserved": reserved,
            "outstanding": selectors.loans_outstanding(member, balance),
            "proposed_deduct": proposal.deduct,
            "proposed_amount": proposal.amount,
            "has_bank": has_bank,
        },
    )


def _qr(*, bank_bin: str, account: str, amount: int, code: str) -> tuple[str, str]:
    """The VietQR payload and its SVG, or empty strings when the account cannot be encoded."""
    try:
        payload = vietqr.payload(bank_bin=bank_bin, account=account, amount=amount, purpose=code)
    except vietqr.VietQRError:
        return "", ""
    return payload, qr.svg(payload, scale=5, title=f"VietQR {code}")


def _bank_slip_roles() -> list[str]:
    """Who signs a bank-transfer slip: the member is paid by the bank, not in person."""
    return [_("Prepared by"), _("Chief accountant"), _("Director")]


def _bank_payout_page(request, payout: BankPayout, *, confirm_form=None, cancel_form=None, status=200):
    entries = selectors.payout_entries(payout.code)
    prepared = payout.status == PayoutStatus.PREPARED
    payload, svg = (
        _qr(bank_bin=payout.bank_bin, account=payout.bank_account, amount=payout.amount, code=payout.code)
        if prepared
        else ("", "")
    )
    return render(
        request,
        "ledger/bank_payout.html",
        {
            "payout": payout,
            "code": payout.code,
            "member": payout.member,
            "entries": entries,
            "is_reversed": any(e.is_reversed for e in entries),
            "events": selectors.bank_payout_events(payout),
            "bank_name": bank_name(payout.bank_bin),
            "vietqr": payload,
            "qr_svg": svg,
            "signature_roles": _bank_slip_roles(),
            "can_write": request.access.can(Perm.LEDGER_WRITE),
            "confirm_form": confirm_form or PayoutConfirmForm(),
            "cancel_form": cancel_form or PayoutCancelForm(),
        },
        status=status,
    )


@coop_view(Perm.LEDGER_VIEW)
@require_GET
def payout_done(request, code):
    try:
        return _bank_payout_page(request, selectors.bank_payout_get(code))
    except BankPayout.DoesNotExist:
        pass
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
        "bank_signature_roles": _bank_slip_roles(),
        "signature_roles": [
            _("Director"),
            _("Chief accountant"),
            _("Cashier"),
            _("Prepared by"),
            _("Recipient"),
        ],
    }
    if context["is_bank"] and not context["is_reversed"]:
        context["vietqr"], context["qr_svg"] = _qr(
            bank_bin=member.bank_bin, account=member.bank_account, amount=amount, code=code
        )
    return render(request, "ledger/payout_done.html", context)


def _bank_payout_or_404(code) -> BankPayout:
    try:
        return selectors.bank_payout_get(code)
    except BankPayout.DoesNotExist:
        raise Http404 from None


@coop_view(Perm.LEDGER_WRITE)
@repeat_safe("A transfer moves from prepared once: a second confirmation is refused.")
@require_POST
def payout_confirm(request, code):
    payout = _bank_payout_or_404(code)
    form = PayoutConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.payout_confirm(
                payout=payout,
                reference=form.cleaned_data["reference"],
                transferred_on=form.cleaned_data["transferred_on"],
                actor=request.user,
            )
        except ValidationError as error:
            add_errors(
                form,
                error,
                {
                    "no_reference": "reference",
                    "future": "transferred_on",
                    "before": "transferred_on",
                    "closed_period": "transferred_on",
                },
            )
        else:
            messages.success(
                request, _("Transfer %(code)s confirmed and recorded in the ledger.") % {"code": code}
            )
            return redirect("ledger:payout_done", coop_slug=request.cooperative.slug, code=code)
    return _bank_payout_page(request, payout, confirm_form=form, status=400)


@coop_view(Perm.LEDGER_WRITE)
@repeat_safe("A transfer moves from prepared once: a second cancellation is refused.")
@require_POST
def payout_cancel(request, code):
    payout = _bank_payout_or_404(code)
    form = PayoutCancelForm(request.POST)
    if form.is_valid():
        try:
            services.payout_cancel(payout=payout, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            add_errors(form, error, {"no_reason": "reason"})
        else:
            messages.success(request, _("Transfer %(code)s cancelled.") % {"code": code})
            return redirect("ledger:payout_done", coop_slug=request.cooperative.slug, code=code)
    return _bank_payout_page(request, payout, cancel_form=form, status=400)


# --- what the cooperative owes, payout runs ---------------------------------------------------


@coop_view(Perm.LEDGER_VIEW)
@require_GET
def owed(request):
    form = OwedFilterForm(request.GET or None, villages=coop_selectors.village_list())
    village_id, min_amount = None, 0
    if form.is_bound and form.is_valid():
        village_id = form.cleaned_data["village"]
        min_amount = form.cleaned_data["min_amount"] or 0
    result = selectors.owed(village_id=village_id, min_amount=min_amount)
    # The totals are everyone's; the table shows 100 households a page (a big cooperative
    # owes thousands: one page of every row was 600 KB), each page its own transfer batch.
    page = Paginator(result.rows, OWED_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/owed.html",
        {
            "form": form,
            "owed": result,
            "page": page,
            "can_write": request.access.can(Perm.LEDGER_WRITE),
            "runs": selectors.payout_runs()[:10],
        },
    )


@coop_view(Perm.LEDGER_WRITE)
@creates
@require_POST
def run_create(request):
    chosen = []
    for value in request.POST.getlist("member"):
        try:
            chosen.append(uuid.UUID(value))
        except ValueError:
            continue
    members = selectors.members_by_uuid(chosen)
    items, errors = [], []
    for member in members:
        raw = request.POST.get(f"amount_{member.uuid}", "").strip()
        amount = None
        if raw:
            try:
                amount = MoneyField().clean(raw)
            except ValidationError as error:
                errors.append(f"{member.full_name}: {' '.join(error.messages)}")
                continue
        items.append(services.RunItem(member=member, amount=amount))
    if not errors:
        try:
            result = services.payout_run_create(
                items=items, note=request.POST.get("note", ""), actor=request.user
            )
        except ValidationError as error:
            errors.extend(error.messages)
        else:
            if result.skipped:
                messages.warning(
                    request,
                    _("Left out, no bank account on file: %(names)s.")
                    % {"names": ", ".join(m.full_name for m in result.skipped)},
                )
            made(request, result.run.code)
            messages.success(
                request,
                _("Payout run %(run)s: %(count)s transfers prepared.")
                % {"run": result.run.code, "count": len(result.payouts)},
            )
            return redirect("ledger:run", coop_slug=request.cooperative.slug, number=result.run.number)
    for error in errors:
        messages.error(request, error)
    return redirect("ledger:owed", coop_slug=request.cooperative.slug)


def _run_or_404(number) -> PayoutRun:
    if not 0 < number < 2**31:  # beyond any run number: not a database error
        raise Http404
    try:
        return selectors.payout_run_get(number)
    except PayoutRun.DoesNotExist:
        raise Http404 from None


@coop_view(Perm.LEDGER_VIEW)
@repeat_safe("Each transfer of a run is settled once: settling it again is refused.")
@require_http_methods(["GET", "POST"])
def run_detail(request, number):
    run = _run_or_404(number)
    form = RunSettleForm(request.POST or None)
    payouts = selectors.run_payouts(run)
    if request.method == "POST":
        if not request.access.can(Perm.LEDGER_WRITE):
            raise PermissionDenied
        if form.is_valid():
            references = {p.pk: request.POST.get(f"reference_{p.pk}", "") for p in payouts}
            cancel = {p.pk for p in payouts if request.POST.get(f"cancel_{p.pk}")}
            try:
                result = services.payout_run_settle(
                    run=run,
                    references=references,
                    cancel=cancel,
                    transferred_on=form.cleaned_data["transferred_on"],
                    cancel_reason=form.cleaned_data["cancel_reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_errors(form, error, {"closed_period": "transferred_on", "no_reason": "cancel_reason"})
            else:
                messages.success(
                    request,
                    _("%(confirmed)s transfers confirmed, %(cancelled)s cancelled.")
                    % {"confirmed": len(result.confirmed), "cancelled": len(result.cancelled)},
                )
                return redirect("ledger:run", coop_slug=request.cooperative.slug, number=run.number)
    rows = []
    for payout in payouts:
        prepared = payout.status == PayoutStatus.PREPARED
        payload, svg = (
            _qr(bank_bin=payout.bank_bin, account=payout.bank_account, amount=payout.amount, code=payout.code)
            if prepared
            else ("", "")
        )
        rows.append(
            {"payout": payout, "vietqr": payload, "qr_svg": svg, "bank_name": bank_name(payout.bank_bin)}
        )
    return render(
        request,
        "ledger/run.html",
        {
            "run": run,
            "rows": rows,
            "form": form,
            "total": sum(p.amount for p in payouts),
            "open": any(p.status == PayoutStatus.PREPARED for p in payouts),
            "can_write": request.access.can(Perm.LEDGER_WRITE),
            "signature_roles": _bank_slip_roles(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@coop_view(Perm.LEDGER_VIEW)
@require_GET
def run_xlsx(request, number):
    run = _run_or_404(number)
    payouts = [p for p in selectors.run_payouts(run) if p.status != PayoutStatus.CANCELLED]
    content = xlsx.payout_batch_workbook(run, payouts, cooperative=request.cooperative)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="chi-{run.code.lower()}.xlsx"'
    return response


# --- closed periods ---------------------------------------------------------------------------


@coop_view(Perm.LEDGER_VIEW)
@repeat_safe("A month is closed once: closing it again is refused.")
@require_http_methods(["GET", "POST"])
def periods(request):
    form = MonthCloseForm(request.POST or None)
    if request.method == "POST":
        if not request.access.can(Perm.LEDGER_WRITE):
            raise PermissionDenied
        if form.is_valid():
            try:
                close = services.month_close(month=form.cleaned_data["month"], actor=request.user)
            except ValidationError as error:
                add_errors(form, error, {"not_ended": "month", "already_closed": "month"})
            else:
                messages.success(
                    request,
                    _("The books are closed through %(day)s.") % {"day": close.through.strftime("%d/%m/%Y")},
                )
                return redirect("ledger:periods", coop_slug=request.cooperative.slug)
    return render(
        request,
        "ledger/periods.html",
        {
            "form": form,
            "closed_through": selectors.coop_closed_through(),
            "closes": selectors.month_closes(),
            "can_write": request.access.can(Perm.LEDGER_WRITE),
            "signature_roles": _bank_slip_roles(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@coop_view(Perm.LEDGER_WRITE)
@creates
@require_POST
def statement_send(request, member_id):
    member = _member_or_404(member_id)
    form = StatementSendForm(request.POST)
    url = reverse(
        "ledger:statement", kwargs={"coop_slug": request.cooperative.slug, "member_id": member.uuid}
    )
    if not form.is_valid():
        messages.error(request, _("Choose the period and how the statement reached the member."))
        return redirect(url)
    data = form.cleaned_data
    query = f"?start={data['start']:%Y-%m-%d}&end={data['end']:%Y-%m-%d}"
    try:
        services.statement_send(
            member=member,
            start=data["start"],
            end=data["end"],
            handed=data["how"] == "handed",
            actor=request.user,
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("Statement recorded as given to %(name)s: their books are closed through %(day)s.")
            % {"name": member.full_name, "day": data["end"].strftime("%d/%m/%Y")},
        )
    return redirect(url + query)


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


def _statement_context(request, member, *, paged: bool = False) -> dict:
    """The statement of the chosen period; ``paged``: one page of its lines (the page)."""
    bound = "start" in request.GET or "end" in request.GET
    start, end = PeriodForm.current_month()
    form = PeriodForm(request.GET if bound else None, initial={"start": start, "end": end})
    start, end = form.period()
    lower, upper = day_bounds(start, end)
    page = None
    if paged:
        statement, page = selectors.statement_page(
            member, start=lower, end=upper, number=request.GET.get("page") or 1
        )
    else:
        statement = selectors.statement(member, start=lower, end=upper)
    return {
        "member": member,
        "form": form,
        "start": start,
        "end": end,
        "statement": statement,
        "page": page,
        "today": timezone.localdate(),
        "period_query": f"?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}",
        "can_view_ledger": request.access.can(Perm.LEDGER_VIEW),
        "signature_roles": [pgettext("statement", "Prepared by"), _("Chief accountant"), _("Member")],
        "can_send": request.access.can(Perm.LEDGER_WRITE),
        "can_send_period": end < timezone.localdate(),
        "send_form": StatementSendForm(initial={"start": start, "end": end}),
        "sent": selectors.statement_closes(member)[:5] if request.access.can(Perm.LEDGER_VIEW) else [],
        "closed_through": selectors.closed_through(member),
    }


@coop_view(Perm.COOP_VIEW)  # ledger.view, or ledger.own for the member's own account
@require_GET
def statement(request, member_id):
    member = _statement_member(request, member_id)
    return render(request, "ledger/statement.html", _statement_context(request, member, paged=True))


@coop_view(Perm.COOP_VIEW)  # ledger.view, or ledger.own for the member's own account
@repeat_safe("asking again for the same statement goes to the job already asked for")
@require_http_methods(["GET", "POST"])
def statement_xlsx(request, member_id):
    """The statement as xlsx: at once, or by the worker for a long one (coops/exports.py)."""
    member = _statement_member(request, member_id)
    bound = "start" in request.GET or "end" in request.GET
    start, end = PeriodForm.current_month()
    start, end = PeriodForm(request.GET if bound else None, initial={"start": start, "end": end}).period()
    lower, upper = day_bounds(start, end)
    name = slugify(unaccent(member.full_name)) or "member"
    return export_response(
        request,
        kind="statement",
        params={"member": str(member.uuid), "start": start.isoformat(), "end": end.isoformat()},
        rows=selectors.statement_size(member, start=lower, end=upper),
        perms=[Perm.LEDGER_VIEW if request.access.can(Perm.LEDGER_VIEW) else Perm.OWN_STATEMENT],
        download_name=f"sao-ke-{name}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
    )


@coop_view(Perm.OWN_STATEMENT)
@require_GET
def me(request):
    """A member's own account: their statement, and nothing of anyone else."""
    own = _own_member(request)
    if own is None:
        return render(request, "ledger/me_unlinked.html", {})
    return render(request, "ledger/statement.html", _statement_context(request, own, paged=True))


urlpatterns = [
    path("me/", me, name="me"),
    path("members/<uuid:member_id>/", member_ledger, name="member"),
    path("members/<uuid:member_id>/advance/", advance_create, name="advance"),
    path("members/<uuid:member_id>/loan/", loan_create, name="loan"),
    path("members/<uuid:member_id>/payout/", payout_create, name="payout"),
    path("members/<uuid:member_id>/statement/", statement, name="statement"),
    path("members/<uuid:member_id>/statement.xlsx", statement_xlsx, name="statement_xlsx"),
    path("entries/<uuid:entry_id>/reverse/", entry_reverse, name="entry_reverse"),
    path("members/<uuid:member_id>/statement/send/", statement_send, name="statement_send"),
    path("payouts/<str:code>/", payout_done, name="payout_done"),
    path("payouts/<str:code>/confirm/", payout_confirm, name="payout_confirm"),
    path("payouts/<str:code>/cancel/", payout_cancel, name="payout_cancel"),
    path("owed/", owed, name="owed"),
    path("runs/new/", run_create, name="run_create"),
    path("runs/<int:number>/", run_detail, name="run"),
    path("runs/<int:number>/batch.xlsx", run_xlsx, name="run_xlsx"),
    path("periods/", periods, name="periods"),
]
