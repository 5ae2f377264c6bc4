"""Money in: the SePay and Casso webhooks (/hooks/bank/<provider>/<coop_slug>/), and the
staff pages under /c/<slug>/money/: transactions with the queue of those needing a look,
resolving one by hand, the cash/bank book (and its xlsx), statement import with a preview,
and the bank services' settings."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hoptac.coops.access import coop_view
from hoptac.coops.exports import export_response
from hoptac.coops.models import Cooperative
from hoptac.core.formkeys import creates, made, repeat_safe
from hoptac.core.roles import Perm
from hoptac.core.tenancy import tenant
from hoptac.lib import banknotify, safejson
from hoptac.lib.banknotify import BankLine, PayloadError, StatementError, WebhookRefused
from hoptac.shop.forms_money import (
    AssignForm,
    ConfirmForm,
    DateRangeForm,
    IgnoreForm,
    OrderSearchForm,
    RefundForm,
    StatementForm,
    TransactionFilterForm,
)
from hoptac.shop.models import BankTransaction, Order, Shop, TxSource, TxState
from hoptac.shop.selectors import payments as selectors
from hoptac.shop.services import payments as payment_services
from hoptac.shop.services import statements as statement_services

log = logging.getLogger(__name__)

PAGE_SIZE = 50
TOKEN_MAX_AGE = 3600  # seconds a statement preview may be confirmed in


# --- webhooks --------------------------------------------------------------------------------


def _refused(provider: str) -> JsonResponse:
    # One answer for an unknown cooperative, a shop without a key and a wrong key.
    body = {"success": False} if provider == "sepay" else {"error": 1, "message": "Unauthorized"}
    return JsonResponse(body, status=401)


def _bad(provider: str, message: str) -> JsonResponse:
    body = {"success": False, "message": message} if provider == "sepay" else {"error": 1, "message": message}
    return JsonResponse(body, status=400)


def _read_body(request) -> bytes | None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if declared > banknotify.MAX_BODY_BYTES:
        return None
    body = request.body
    return body if len(body) <= banknotify.MAX_BODY_BYTES else None


def _shop_keys(coop_slug: str) -> tuple[Cooperative | None, str, str]:
    coop = Cooperative.objects.filter(slug=coop_slug[:100], is_active=True).first()
    if coop is None:
        return None, "", ""
    with tenant(coop):
        shop = Shop.objects.filter(cooperative=coop).first()
    if shop is None:
        return coop, "", ""
    return coop, shop.sepay_api_key, shop.casso_secret


@csrf_exempt
@require_POST
def bank_hook(request, provider: str, coop_slug: str):
    """A SePay or Casso delivery: checked with the cooperative's key, each money-in line
    received (the service dedupes on the provider's id), answered so the provider stops."""
    if provider not in ("sepay", "casso"):
        raise Http404
    body = _read_body(request)
    if body is None:
        return _bad(provider, "body too large")
    coop, sepay_key, casso_key = _shop_keys(coop_slug)
    now = timezone.now()
    try:
        if provider == "sepay":
            # The key is the API key SePay sends, and the secret of a signed delivery.
            banknotify.sepay_check(request.headers, body, api_key=sepay_key, hmac_secret=sepay_key, now=now)
        else:
            banknotify.casso_check(request.headers, body, secret=casso_key, now=now)
    except WebhookRefused as refused:
        log.info("bank hook %s/%s refused: %s", provider, coop_slug[:40], refused.code)
        return _refused(provider)
    if coop is None:  # pragma: no cover - a key implies a cooperative
        return _refused(provider)
    try:
        safejson.loads(body, max_bytes=banknotify.MAX_BODY_BYTES)
        lines = [banknotify.sepay_parse(body)] if provider == "sepay" else banknotify.casso_parse(body)
    except PayloadError as error:
        return _bad(provider, error.code)
    except ValueError:
        return _bad(provider, "not_json")
    try:
        with tenant(coop), transaction.atomic():
            for line in lines:
                payment_services.transaction_receive(line=statement_services.incoming(line))
    except ValidationError as error:
        return _bad(provider, "; ".join(error.messages)[:200])
    status, answer = banknotify.sepay_ok() if provider == "sepay" else banknotify.casso_ok()
    return JsonResponse(answer, status=status)


# --- transactions ----------------------------------------------------------------------------


def _tx_or_404(pk) -> BankTransaction:
    try:
        return selectors.transaction_get(pk)
    except BankTransaction.DoesNotExist:
        raise Http404 from None


@coop_view(Perm.PAYMENT_MANAGE)
@require_GET
def transaction_list(request):
    form = TransactionFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    page = Paginator(selectors.transactions_list(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "shop/money/transaction_list.html",
        {
            "filter_form": form,
            "page": page,
            "filtered": bool(filters),
            "queue_count": selectors.queue_count(),
            "queue_states": selectors.QUEUE_STATES,
        },
    )


def _detail(request, tx, *, assign_form=None, ignore_form=None, refund_form=None, status=200):
    search = OrderSearchForm(request.GET or None)
    found = selectors.orders_search(search.cleaned_data["q"]) if search.is_valid() else []
    open_states = (TxState.UNMATCHED, TxState.DUPLICATE, TxState.OVERPAID)
    overpaid_by = 0
    if tx.state == TxState.OVERPAID and tx.order is not None:
        overpaid_by = max(tx.order.paid_vnd - tx.order.total_vnd, 0)
    return render(
        request,
        "shop/money/transaction_detail.html",
        {
            "tx": tx,
            "entries": selectors.transaction_cash_entries(tx),
            "search_form": search,
            "found": found,
            "searched": search.is_valid() and bool(search.cleaned_data["q"]),
            "can_assign": tx.state == TxState.UNMATCHED and tx.amount_vnd > 0,
            "can_ignore": tx.state in open_states,
            "can_refund": overpaid_by > 0,
            "overpaid_by": overpaid_by,
            "assign_form": assign_form or AssignForm(prefix="assign"),
            "ignore_form": ignore_form or IgnoreForm(prefix="ignore"),
            "refund_form": refund_form
            or RefundForm(prefix="refund", initial={"amount": overpaid_by or None}),
        },
        status=status,
    )


@coop_view(Perm.PAYMENT_MANAGE)
@require_GET
def transaction_detail(request, tx_id):
    return _detail(request, _tx_or_404(tx_id))


def _to_tx(request, tx):
    return redirect("shop_money:transaction_detail", coop_slug=request.cooperative.slug, tx_id=tx.pk)


def _resolve(request, tx, form, form_name: str, **kwargs):
    try:
        payment_services.transaction_resolve(tx=tx, actor=request.user, **kwargs)
    except ValidationError as error:
        form.add_error(None, error)
        messages.error(request, _("Nothing was changed: see the form below."))
        return _detail(request, _tx_or_404(tx.pk), **{form_name: form}, status=422)
    messages.success(request, _("Transaction settled."))
    return _to_tx(request, tx)


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("a settled transaction refuses to be settled again")
@require_POST
def transaction_assign(request, tx_id):
    tx = _tx_or_404(tx_id)
    form = AssignForm(request.POST, prefix="assign")
    if form.is_valid():
        code = form.cleaned_data["order"].strip().upper().replace(" ", "")
        order = Order.objects.filter(code=code).first()
        if order is None:
            form.add_error("order", _("No order of this cooperative has this code."))
        else:
            return _resolve(request, tx, form, "assign_form", order=order, note=form.cleaned_data["note"])
    messages.error(request, _("Nothing was changed: see the form below."))
    return _detail(request, tx, assign_form=form, status=422)


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("a settled transaction refuses to be settled again")
@require_POST
def transaction_ignore(request, tx_id):
    tx = _tx_or_404(tx_id)
    form = IgnoreForm(request.POST, prefix="ignore")
    if form.is_valid():
        return _resolve(request, tx, form, "ignore_form", ignore=True, note=form.cleaned_data["note"])
    messages.error(request, _("Nothing was changed: see the form below."))
    return _detail(request, tx, ignore_form=form, status=422)


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("a refunded transaction is resolved and refuses a second refund")
@require_POST
def transaction_refund(request, tx_id):
    tx = _tx_or_404(tx_id)
    form = RefundForm(request.POST, prefix="refund")
    if form.is_valid():
        return _resolve(
            request,
            tx,
            form,
            "refund_form",
            refund=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
        )
    messages.error(request, _("Nothing was changed: see the form below."))
    return _detail(request, tx, refund_form=form, status=422)


# --- the cash/bank book ------------------------------------------------------------------------


def _book(request):
    form = DateRangeForm(request.GET or None)
    dates = {}
    if form.is_valid():
        dates = {k: v for k, v in form.cleaned_data.items() if v}
    entries, opening = selectors.cash_book(**dates)
    return form, dates, entries, opening


@coop_view(Perm.PAYMENT_MANAGE)
@require_GET
def cash_book(request):
    form, dates, entries, opening = _book(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.running = opening + (entry.running_sum or 0)
    return render(
        request,
        "shop/money/cash_book.html",
        {
            "filter_form": form,
            "page": page,
            "opening": opening,
            "filtered": bool(dates),
            "totals": selectors.cash_totals(),
            "query": request.GET.urlencode(),
        },
    )


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("asking again for the same cash book goes to the job already asked for")
@require_http_methods(["GET", "POST"])
def cash_book_xlsx(request):
    """The book as xlsx, the same filter as the page: at once, or by the worker for a long
    one (``coops/exports.py``)."""
    _form, dates, entries, _opening = _book(request)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return export_response(
        request,
        kind="cash_book",
        params={key: day.isoformat() for key, day in dates.items()},
        rows=entries.count(),
        perms=[Perm.PAYMENT_MANAGE],
        download_name=f"so-quy-{request.cooperative.slug}-{stamp}.xlsx",
    )


# --- statement import ----------------------------------------------------------------------------


def _shop(request) -> Shop | None:
    return Shop.objects.filter(cooperative=request.cooperative).first()


def _salt(cooperative) -> str:
    return f"shop.statement:{cooperative.pk}"


def statement_token(cooperative, lines, mapping: dict, save_mapping: bool) -> str:
    """The signed, compressed lines of a previewed statement, sent back by the confirm form
    (nothing is stored between preview and confirmation; the signature binds the lines to
    the cooperative and ``TOKEN_MAX_AGE``)."""
    return signing.dumps(
        {"lines": [_line_data(line) for line in lines], "mapping": mapping, "save": save_mapping},
        salt=_salt(cooperative),
        compress=True,
    )


def _line_data(line: BankLine) -> dict:
    return {
        "at": line.at.isoformat(),
        "amount": line.amount,
        "memo": line.memo,
        "account": line.account_number,
        "bank": line.bank,
        "reference": line.reference,
        "row": line.raw.get("row"),
    }


def _line_from(data: dict) -> BankLine:
    return BankLine(
        source="statement",
        provider_id="",
        at=dt.datetime.fromisoformat(data["at"]),
        amount=int(data["amount"]),
        memo=str(data["memo"]),
        account_number=str(data["account"]),
        bank=str(data["bank"]),
        reference=str(data["reference"]),
        raw={"row": data.get("row")},
    )


@coop_view(Perm.PAYMENT_MANAGE)
@repeat_safe("the preview writes nothing")
@require_http_methods(["GET", "POST"])
def statement_upload(request):
    shop = _shop(request)
    saved = statement_services.mapping_from_dict(shop.statement_mapping if shop else {})
    if request.method == "GET":
        return render(request, "shop/money/statement_upload.html", {"form": StatementForm(mapping=saved)})
    form = StatementForm(request.POST, request.FILES)
    rows: list = []
    if form.is_valid():
        try:
            typed = form.mapping()
        except Exception as error:  # a django.forms.ValidationError from mapping()
            form.add_error(None, error)
            typed = None
        if not form.errors:
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                result = banknotify.statement_read(
                    content,
                    upload.name,
                    typed or saved,
                    account_number=shop.bank_account if shop else "",
                )
            except StatementError as error:
                form.add_error("file", error.message)
                rows = [str(row) for row in error.rows]
            else:
                preview = selectors.statement_preview(result.lines)
                save_mapping = typed is not None and typed != saved
                token = statement_token(
                    request.cooperative,
                    result.lines,
                    statement_services.mapping_as_dict(result.mapping),
                    save_mapping,
                )
                counts: dict[str, int] = {}
                for item in preview:
                    counts[item.outcome] = counts.get(item.outcome, 0) + 1
                return render(
                    request,
                    "shop/money/statement_preview.html",
                    {
                        "preview": preview,
                        "counts": counts,
                        "mapping": result.mapping,
                        "save_mapping": save_mapping,
                        "filename": upload.name,
                        "confirm_form": ConfirmForm(initial={"token": token}),
                    },
                )
    messages.error(request, _("The statement was not read: see the form below."))
    return render(request, "shop/money/statement_upload.html", {"form": form, "bad_rows": rows}, status=422)


@coop_view(Perm.PAYMENT_MANAGE)
@creates
@require_POST
def statement_confirm(request):
    form = ConfirmForm(request.POST)
    data = None
    if form.is_valid():
        try:
            data = signing.loads(
                form.cleaned_data["token"], salt=_salt(request.cooperative), max_age=TOKEN_MAX_AGE
            )
            lines = [_line_from(item) for item in data["lines"]]
            mapping = statement_services.mapping_from_dict(data.get("mapping"))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            data = None
    if data is None:
        messages.error(request, _("This preview is too old or damaged: upload the statement again."))
        return redirect("shop_money:statement_upload", coop_slug=request.cooperative.slug)
    try:
        results = statement_services.statement_import(
            lines=lines, actor=request.user, mapping=mapping, save_mapping=bool(data.get("save"))
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("shop_money:statement_upload", coop_slug=request.cooperative.slug)
    new = sum(1 for _tx, created in results if created)
    label = _("%(count)s statement lines") % {"count": new}
    made(request, label)
    messages.success(request, _("Statement imported: %(count)s lines received.") % {"count": new})
    return redirect(
        reverse("shop_money:transaction_list", args=[request.cooperative.slug]) + "?source=statement"
    )


# --- bank services' settings -----------------------------------------------------------------------


def _settings_page(request, *, new_key: str = "", provider: str = "", status: int = 200):
    shop = _shop(request)
    slug = request.cooperative.slug
    services = []
    if shop is not None:
        for key, source, is_set, how in (
            (
                "sepay",
                TxSource.SEPAY,
                bool(shop.sepay_api_key),
                _("Authentication: API key (Authorization: Apikey), or HMAC with the same key."),
            ),
            (
                "casso",
                TxSource.CASSO,
                bool(shop.casso_secret),
                _("Authentication: the webhook's secure key (X-Casso-Signature)."),
            ),
        ):
            services.append(
                {
                    "key": key,
                    "name": source.label,
                    "url": request.build_absolute_uri(reverse("shop_hooks:bank_hook", args=[key, slug])),
                    "is_set": is_set,
                    "how": how,
                    "new_key": new_key if key == provider else "",
                }
            )
    return render(
        request,
        "shop/money/bank_settings.html",
        {"shop": shop, "services": services, "may_edit": request.access.can(Perm.SHOP_EDIT)},
        status=status,
    )


@coop_view(Perm.PAYMENT_MANAGE)
@require_GET
def bank_settings(request):
    return _settings_page(request)


@coop_view(Perm.SHOP_EDIT)
@repeat_safe("rotating again only replaces the key; the one shown last is in force")
@require_POST
@never_cache
def bank_key_rotate(request, provider: str):
    shop = _shop(request)
    if shop is None or provider not in statement_services.PROVIDERS:
        raise Http404
    if request.POST.get("action") == "clear":
        statement_services.shop_bank_key_clear(shop=shop, provider=provider, actor=request.user)
        messages.success(request, _("Notifications from this service are turned off."))
        return redirect("shop_money:bank_settings", coop_slug=request.cooperative.slug)
    key = statement_services.shop_bank_key_rotate(shop=shop, provider=provider, actor=request.user)
    # Shown once, in this answer only (never stored in a message or the page again).
    return _settings_page(request, new_key=key, provider=provider)
