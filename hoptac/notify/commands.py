"""SMS commands from members' basic phones, and the staff's answers to offers to sell.

A member texts the cooperative's gateway number; :mod:`hoptac.notify.inbound` stores the
text once (:class:`InboundSms`) and calls :func:`handle`, which reads the command and
answers through the outbox, one reply per cooperative answered, each recorded as a
:class:`MemberText` in the same transaction.

Commands (case and accents do not matter, extra spaces are fine):

- ``GIA``: today's buying prices (at most 2 SMS); ``GIA MAT``: those of one product;
- ``SODU``: the member's balance (:func:`hoptac.ledger.selectors.member_balance`);
- ``BAN <product> <quantity>[unit]``, e.g. ``BAN mat ong 20`` or ``BAN che 12,5kg``: an
  offer to sell (:class:`SellOffer`), answered by staff from the offers page;
- ``HUY``: stop every message the cooperative sends on its own (announcements, price
  changes, receipts, statements; replies still go); ``DK``: receive them again;
- anything else: a short help.

A phone may belong to members of several cooperatives. ``GIA``, ``SODU``, ``HUY`` and
``DK`` then answer for each of them; ``BAN`` needs to know which one: the cooperative's
**short code** goes first (``BAN TD mat ong 20``) unless only one of them buys that product.
The short code is the initials of the cooperative's name without "HTX" and without a part
in brackets: "HTX Tuấn Dũng" is ``TD``, "HTX Chè Shan tuyết Tây Côn Lĩnh" is ``CSTTCL``
(:func:`coop_code`). A code may also follow any other command (``GIA TD``).

Every reply is in the member's language (Vietnamese unless the household's own account is
in English), without accents (GSM-7), one SMS of 160 characters at most, except ``GIA``
(two at most). At most :data:`REPLIES_PER_HOUR` replies go to one phone in
an hour; texts beyond that are stored but not answered (a phone's auto-reply answering
our replies must not run up the bill). ``HUY`` and ``DK`` take effect even then.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, IntegerField, Max, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import override, pgettext

from hoptac.catalog.models import Product
from hoptac.coops.models import Member, MemberStatus
from hoptac.core.fields import MAX_QUANTITY
from hoptac.core.tenancy import tenant
from hoptac.ledger.selectors import member_balance
from hoptac.lib.sms import (
    balance_words,
    one_sms,
    sms_grade,
    sms_length,
    sms_money,
    sms_number,
    sms_price,
    sms_unit,
)
from hoptac.lib.text import fold, unaccent
from hoptac.lib.units import Unit, UnitError, parse_quantity, parse_unit
from hoptac.offtake.selectors import prices_in_force
from hoptac.offtake.sms import member_language, product_name
from hoptac.outbox.models import Kind, Message
from hoptac.outbox.services import queue

from . import services as notify_services
from .models import Command, InboundSms, MemberText, OfferStatus, SellOffer

log = logging.getLogger(__name__)

REPLIES_PER_HOUR = 10
ONE_SMS = 160  # GSM-7 septets in one segment
TWO_SMS = 2 * 153  # GSM-7 septets in two segments (153 each when split)
COOP_LABEL_MAX = 32


# --- reading the text ----------------------------------------------------------------------------

_WORDS = {
    "gia": Command.PRICES,
    "sodu": Command.BALANCE,
    "ban": Command.SELL,
    "huy": Command.STOP,
    "dk": Command.RESUME,
    "dangky": Command.RESUME,
}
_TWO_WORDS = {("so", "du"): Command.BALANCE, ("dang", "ky"): Command.RESUME}
_SEPARATORS = re.compile(r"[\s\-_/:;!?\"'()*#+=<>]+")
_TRAILING = ".,"
# A number written the Vietnamese way ("1.250", "12,5", "1.250,5"), its unit attached or not.
_QUANTITY = re.compile(r"^(\d+(?:\.\d{3})*(?:[.,]\d+)?)([a-z]*)$")
_UNIT_EXTRA = {"kilo": Unit.KG, "ki": Unit.KG, "k": Unit.KG, "lit": Unit.LITRE}


@dataclass(frozen=True)
class Parsed:
    command: str
    args: tuple[str, ...]  # folded words after the command
    code: str = ""  # a cooperative code written before the command ("TD GIA")


def tokens(text: str) -> list[str]:
    """Folded words of a text: ``"Bán  Mật ong 12,5kg."`` -> ``["ban", "mat", "ong", "12,5kg"]``."""
    words = _SEPARATORS.split(fold(text or ""))
    return [w for w in (word.strip(_TRAILING) for word in words) if w]


def parse(text: str, codes: frozenset[str] = frozenset()) -> Parsed:
    """The command of a text; ``codes`` are the sender's cooperative codes (folded), so that
    ``"TD GIA"`` is read like ``"GIA TD"``."""
    words = tokens(text)
    code = ""
    if len(words) >= 2 and words[0] in codes and _command_at(words, 1):
        code, words = words[0], words[1:]
    found = _command_at(words, 0)
    if found is None:
        return Parsed(Command.HELP, tuple(words), code)
    command, used = found
    return Parsed(command, tuple(words[used:]), code)


def _command_at(words: list[str], index: int) -> tuple[str, int] | None:
    if index >= len(words):
        return None
    pair = tuple(words[index : index + 2])
    if pair in _TWO_WORDS:
        return _TWO_WORDS[pair], 2
    if words[index] in _WORDS:
        return _WORDS[words[index]], 1
    return None


def _unit(word: str) -> Unit | None:
    if word in _UNIT_EXTRA:
        return _UNIT_EXTRA[word]
    try:
        return parse_unit(word)
    except UnitError:
        return None


@dataclass(frozen=True)
class SellText:
    product_words: tuple[str, ...]
    quantity: Decimal | None
    unit: Unit | None


def parse_sell(args: tuple[str, ...]) -> SellText:
    """``("mat", "ong", "20")`` -> product words, quantity 20, no unit. The quantity is the
    last number (a decimal comma or point), with its unit attached or as the next word."""
    words = list(args)
    for index in range(len(words) - 1, -1, -1):
        match = _QUANTITY.match(words[index])
        if not match:
            continue
        number, suffix = match.groups()
        unit = None
        used = [index]
        if suffix:
            unit = _unit(suffix)
            if unit is None:
                continue
        elif index + 1 < len(words) and _unit(words[index + 1]) is not None:
            unit = _unit(words[index + 1])
            used.append(index + 1)
        try:
            quantity = parse_quantity(number)  # "1.250" is one thousand two hundred and fifty
        except ValueError:
            continue
        rest = tuple(w for i, w in enumerate(words) if i not in used)
        if quantity <= 0 or quantity > MAX_QUANTITY:
            return SellText(rest, None, unit)
        return SellText(rest, quantity, unit)
    return SellText(tuple(words), None, None)


def match_products(words: tuple[str, ...], products: list[Product]) -> list[Product]:
    """Products whose folded name matches the words (each word the start of a word of the
    name, e.g. ``mat`` -> "Mật ong bạc hà"), or whose code is the one word; the best only."""
    if not words:
        return []
    phrase = " ".join(words)
    exact = [p for p in products if fold(p.name) == phrase or (len(words) == 1 and p.code.lower() == phrase)]
    if exact:
        return exact
    found = []
    for product in products:
        name_words = fold(product.name).split()
        if all(any(nw.startswith(w) for nw in name_words) for w in words):
            found.append(product)
    leading = [p for p in found if fold(p.name).startswith(phrase)]
    return leading if len(found) > 1 and leading else found


# --- cooperatives of a phone ---------------------------------------------------------------------

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_COOP_WORDS = {"htx", "tht", "lhhtx"}


def coop_code(cooperative) -> str:
    """The initials of the name without "HTX" (or "Hợp tác xã") and bracketed notes:
    "HTX Tuấn Dũng" -> ``TD``."""
    words = re.findall(r"[a-z0-9]+", fold(_BRACKETS.sub(" ", cooperative.name)))
    if words[:3] == ["hop", "tac", "xa"]:
        words = words[3:]
    words = [w for w in words if w not in _COOP_WORDS]
    code = "".join(w[0] for w in words).upper()
    return code or cooperative.slug.replace("-", "")[:6].upper()


def coop_codes(cooperatives) -> dict[int, str]:
    """Code of each cooperative (by pk), made unique among them with a number when two
    would share one (TD1, TD2)."""
    cooperatives = list(cooperatives)
    raw = {c.pk: coop_code(c) for c in cooperatives}
    result = {}
    for coop in cooperatives:
        same = [c.pk for c in cooperatives if raw[c.pk] == raw[coop.pk]]
        result[coop.pk] = raw[coop.pk] if len(same) == 1 else f"{raw[coop.pk]}{same.index(coop.pk) + 1}"
    return result


def coop_label(cooperative) -> str:
    """The cooperative's name for an SMS, unaccented; a long name is cut to its first word
    and last two ("HTX ... Po Mỷ" -> "HTX Po My")."""
    name = " ".join(unaccent(_BRACKETS.sub(" ", cooperative.name)).split())
    if len(name) <= COOP_LABEL_MAX:
        return name
    words = name.split()
    return " ".join([words[0], *words[-2:]])[:COOP_LABEL_MAX]


def members_for_phone(phone: str) -> list[Member]:
    """The active members with this phone, in every active cooperative.

    An explicit cross-cooperative read: an inbound SMS carries only the sender's phone,
    not a cooperative, and one household may be a member of several cooperatives.
    """
    return list(
        Member.unscoped.filter(phone=phone, status=MemberStatus.ACTIVE, cooperative__is_active=True)
        .select_related("cooperative")
        .order_by("cooperative_id")
    )


def replies_last_hour(phone: str) -> int:
    """Replies sent to this phone in the last hour, from any cooperative.

    Cross-cooperative on purpose: the limit protects against one phone (or a loop with its
    auto-reply), whatever cooperatives it belongs to.
    """
    since = timezone.now() - dt.timedelta(hours=1)
    return MemberText.unscoped.filter(member__phone=phone, reply__isnull=False, created_at__gte=since).count()


# --- reply texts ---------------------------------------------------------------------------------
#
# Every reply is an English msgid of context "sms" in the catalogue, translated into
# Vietnamese with diacritics (removed by :func:`fit`), in the member's language
# (:func:`hoptac.offtake.sms.member_language`). The member is "ông/bà", never "bạn"
# (unaccented "ban" reads as bán, and BAN is a command); a balance says who owes whom in
# words; every example can be copied as written ("BAN MAT 20"), never "<product>".


def fit(text: str, limit: int = ONE_SMS) -> str:
    """Unaccented GSM-7, single spaces, at most ``limit`` septets (cut at a word with "...")."""
    plain = one_sms(text)
    if sms_length(plain).units <= limit:
        return plain
    cut = plain
    while cut and sms_length(cut + "...").units > limit:
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:-1]
    return cut.rstrip(" ,;:.") + "..."


def _fits(text: str, limit: int) -> bool:
    return sms_length(one_sms(text)).units <= limit


def money(amount: int) -> str:
    return sms_money(amount)


def quantity_text(quantity: Decimal, unit: str) -> str:
    """``20 lit``, ``12,5 kg``: the number and the unit word of an SMS."""
    number = sms_number(quantity)
    return f"{number} {sms_unit(unit)}" if unit else number


def _today() -> str:
    return timezone.localdate().strftime("%d/%m")


def _short_name(name: str, words: int | None) -> str:
    return " ".join(name.split()[:words]) if words else name


def prices_text(cooperative, words: tuple[str, ...] = ()) -> str:
    """``HTX Tuan Dung, gia thu mua ngay 27/11: Mat ong bac ha loai 1 500.000d/lit, loai 2
    450.000d/lit; Che ...``, shortened to two SMS: names cut to two words, then products
    left out (``...``). ``words`` that name products (``GIA MAT``) keep only those."""
    coop = coop_label(cooperative)
    by_product: dict[int, list] = {}
    for price in prices_in_force():
        if price.product.is_active:
            by_product.setdefault(price.product_id, []).append(price)
    if words:
        named = {p.pk for p in match_products(words, [g[0].product for g in by_product.values()])}
        if named:
            by_product = {pk: prices for pk, prices in by_product.items() if pk in named}
    if not by_product:
        return fit(pgettext("sms", "%(coop)s: no buying prices in force today.") % {"coop": coop})

    def item(prices, words: int | None) -> str:
        product = prices[0].product
        grades = ", ".join(
            f"{sms_grade(p.grade)} {sms_price(p.price_vnd, product.base_unit)}" for p in prices
        )
        return f"{_short_name(product_name(product), words)} {grades}"

    def text(items: list[str], more: bool) -> str:
        listed = "; ".join(items) + ("; ..." if more else "")
        return pgettext("sms", "%(coop)s, buying prices on %(date)s: %(prices)s") % {
            "coop": coop,
            "date": _today(),
            "prices": listed,
        }

    groups = list(by_product.values())
    for cut in (None, 2):
        candidate = text([item(g, cut) for g in groups], False)
        if _fits(candidate, TWO_SMS):
            return fit(candidate, TWO_SMS)
    items = [item(g, 2) for g in groups]
    for count in range(len(items) - 1, 0, -1):
        candidate = text(items[:count], True)
        if _fits(candidate, TWO_SMS):
            return fit(candidate, TWO_SMS)
    return fit(text(items[:1], True), TWO_SMS)


def balance_text(member) -> str:
    """``HTX Tuan Dung, so du ngay 27/11: Ong/ba con no HTX 1.285.000d.``: who owes whom,
    in words, never a minus sign; with both sides when the member has both."""
    balance = member_balance(member)
    values = {"coop": coop_label(member.cooperative), "date": _today(), "net": balance_words(balance.net)}
    if balance.payable and balance.receivable:
        detailed = pgettext(
            "sms",
            "%(coop)s, balance on %(date)s: %(net)s (the cooperative is to pay you %(payable)s, "
            "you are to pay the cooperative %(receivable)s).",
        ) % {**values, "payable": money(balance.payable), "receivable": money(balance.receivable)}
        if _fits(detailed, ONE_SMS):
            return fit(detailed)
    return fit(pgettext("sms", "%(coop)s, balance on %(date)s: %(net)s.") % values)


def example_product(products: list[Product]) -> tuple[str, str]:
    """What to write after BAN in an example, and the unit it means: the product's code
    (``MAT``, what a farmer types fastest) or the first word of its name; ``mat ong``."""
    if not products:
        return "mat ong", sms_unit("l")
    product = products[0]
    word = product.code or fold(product.name).split()[0]
    return word, sms_unit(product.base_unit)


def sell_example(products: list[Product], code: str = "") -> str:
    """``BAN MAT 20``: an offer to sell as the member types it (``BAN TD MAT 20`` with a
    cooperative code)."""
    word, _unit = example_product(products)
    return " ".join(part for part in ("BAN", code, word, "20") if part)


def _active_products() -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("name", "id"))


def help_text(cooperative, codes: list[str] | None = None) -> str:
    """The commands with examples to copy as written, in one SMS; with the cooperative
    codes when the phone has several. Call inside the cooperative's tenant."""
    products = _active_products()
    word, unit = example_product(products)
    product = short_names(products)[0] if products else "mat ong"
    example = sell_example(products)
    full = pgettext(
        "sms",
        "%(coop)s: send GIA for prices, SODU for your balance, %(example)s to offer %(quantity)s of "
        "%(product)s to the cooperative, HUY to stop messages, DK to get them again.",
    ) % {
        "coop": coop_label(cooperative),
        "example": example,
        "quantity": f"20 {unit}",
        "product": product,
    }
    short = pgettext("sms", "Send GIA, SODU, %(example)s, HUY or DK.") % {"example": example}
    if codes:
        tail = " " + pgettext(
            "sms", "Your cooperatives: %(codes)s. Put the code after the command: %(example)s."
        ) % {
            "codes": ", ".join(codes),
            "example": sell_example(products, codes[0]),
        }
        for body in (full, short):
            if _fits(body + tail, ONE_SMS):
                return fit(body + tail)
        return fit(short + tail)
    return fit(full if _fits(full, ONE_SMS) else short)


def short_names(products: list[Product]) -> list[str]:
    """Unaccented names cut to two words, or to as many as make each one different:
    "Mat ong bac", "Mat ong hoa", "Che bup"."""
    names = [unaccent(product_name(p)).split() for p in products]
    result = []
    for words in names:
        keep = 2
        while keep < len(words) and any(
            other is not words and other[:keep] == words[:keep] for other in names
        ):
            keep += 1
        result.append(" ".join(words[:keep]))
    return result


def _products_list(products: list[Product], room: int) -> str:
    names = short_names(products)
    listed = ""
    for count in range(len(names), 0, -1):
        listed = ", ".join(names[:count]) + (", ..." if count < len(names) else "")
        if len(listed) <= room:
            return listed
    return listed[:room]


def sell_help_text(cooperative, products: list[Product], reason: str) -> str:
    """Why the offer was not understood, what the cooperative buys and an example to copy."""
    values = {"reason": reason, "coop": coop_label(cooperative), "example": sell_example(products)}
    if not products:
        return fit(pgettext("sms", "%(reason)s %(coop)s has no products to buy yet.") % values)
    template = pgettext("sms", "%(reason)s %(coop)s buys: %(products)s. Send for example: %(example)s")
    skeleton = template % {**values, "products": ""}
    room = ONE_SMS - sms_length(fit(skeleton, 10_000)).units
    return fit(template % {**values, "products": _products_list(products, max(room, 10))})


def choose_coop_text(sender: Sender, rest: str) -> str:
    """BAN from a phone of several cooperatives that buy the product: which one?"""
    codes = sender.all_codes
    template = pgettext(
        "sms",
        "You are a member of several cooperatives: put its code after BAN, e.g. BAN %(code)s %(rest)s. "
        "Codes: %(codes)s",
    )
    values = {"code": codes[0], "rest": rest or "MAT 20"}
    named = ", ".join(f"{sender.code_of(m)} ({coop_label(m.cooperative)})" for m in sender.members)
    text = template % {**values, "codes": named}
    return fit(text) if _fits(text, ONE_SMS) else fit(template % {**values, "codes": ", ".join(codes)})


def stop_text(cooperative) -> str:
    """The HUY reply: exactly what stops (everything the cooperative sends on its own:
    announcements, price changes, receipts, statements) and what does not (answers to the
    member's own texts, :func:`hoptac.outbox.services.queue` sends ``Kind.REPLY`` anyway)."""
    return fit(
        pgettext(
            "sms",
            "%(coop)s will no longer send you announcements, prices, receipts or statements; "
            "your texts are still answered. Send DK to get them again.",
        )
        % {"coop": coop_label(cooperative)}
    )


def resume_text(cooperative) -> str:
    return fit(
        pgettext(
            "sms",
            "%(coop)s will send you announcements, prices, receipts and statements again. Send HUY to stop them.",
        )
        % {"coop": coop_label(cooperative)}
    )


def offer_received_text(cooperative, quantity: Decimal, unit: str, product: Product) -> str:
    return fit(
        pgettext(
            "sms",
            "%(coop)s has your offer: %(quantity)s %(product)s for the cooperative to buy. Staff will answer soon.",
        )
        % {
            "coop": coop_label(cooperative),
            "quantity": quantity_text(quantity, unit),
            "product": unaccent(product_name(product)),
        }
    )


# --- answering -----------------------------------------------------------------------------------


@dataclass
class Answer:
    """One reply to one of the sender's memberships. ``act`` does what the command does and
    returns the reply; ``always`` runs it even when the phone is over its reply limit."""

    member: Member
    command: str
    act: Callable[[], str]
    always: bool = False


@dataclass
class Sender:
    phone: str
    members: list[Member]
    codes: dict[int, str] = field(default_factory=dict)  # cooperative pk -> code

    def code_of(self, member) -> str:
        return self.codes[member.cooperative_id]

    def by_code(self, code: str) -> Member | None:
        for member in self.members:
            if self.code_of(member).lower() == code:
                return member
        return None

    @property
    def all_codes(self) -> list[str]:
        return [self.code_of(m) for m in self.members]


def _targets(sender: Sender, parsed: Parsed) -> list[Member]:
    """The memberships a command is for: the one named by a code, else all of them."""
    code = parsed.code or (parsed.args[0] if parsed.args else "")
    chosen = sender.by_code(code) if code else None
    return [chosen] if chosen else sender.members


def _prices(sender, parsed, text):
    words = parsed.args
    if not parsed.code and words and sender.by_code(words[0]):
        words = words[1:]  # "GIA TD MAT": the code, then the product
    return [
        Answer(m, Command.PRICES, lambda m=m: prices_text(m.cooperative, words))
        for m in _targets(sender, parsed)
    ]


def _balance(sender, parsed, text):
    return [Answer(m, Command.BALANCE, lambda m=m: balance_text(m)) for m in _targets(sender, parsed)]


def _stop(sender, parsed, text):
    def act(member) -> str:
        notify_services.member_messages_stop(member=member)
        return stop_text(member.cooperative)

    return [Answer(m, Command.STOP, lambda m=m: act(m), always=True) for m in _targets(sender, parsed)]


def _resume(sender, parsed, text):
    def act(member) -> str:
        notify_services.member_messages_resume(member=member)
        return resume_text(member.cooperative)

    return [Answer(m, Command.RESUME, lambda m=m: act(m), always=True) for m in _targets(sender, parsed)]


def _help(sender, parsed, text):
    member = _targets(sender, parsed)[0]
    codes = sender.all_codes if len(sender.members) > 1 else None
    return [Answer(member, Command.HELP, lambda: help_text(member.cooperative, codes))]


def _sell(sender, parsed, text):
    args = parsed.args
    chosen = sender.by_code(parsed.code) if parsed.code else None
    if chosen is None and args and sender.by_code(args[0]):
        # "BAN TD mat ong 20": the code goes first; a product named like the code still
        # wins when the rest would not name a product.
        candidate = sender.by_code(args[0])
        with tenant(candidate.cooperative):
            if len(sender.members) > 1 or _names_a_product(args[1:]):
                chosen, args = candidate, args[1:]
    if chosen is None and len(sender.members) == 1:
        chosen = sender.members[0]
    if chosen is None:
        # No code: not ambiguous when only one of the cooperatives buys that product.
        matching = []
        for member in sender.members:
            with tenant(member.cooperative):
                if _names_a_product(args):
                    matching.append(member)
        if len(matching) == 1:
            chosen = matching[0]
        else:
            first = sender.members[0]
            rest = " ".join(args)
            return [Answer(first, Command.SELL, lambda: choose_coop_text(sender, rest))]
    return [Answer(chosen, Command.SELL, lambda: _offer(chosen, args, text))]


def _names_a_product(args) -> bool:
    """Whether the words name any product of the current cooperative, quantity or not."""
    words = parse_sell(tuple(args)).product_words
    return bool(match_products(words, list(Product.objects.filter(is_active=True))))


def _read_offer(args) -> tuple[Product | None, SellText, list[Product], str]:
    """(product or None, what was read, the cooperative's products, why not)."""
    sell = parse_sell(tuple(args))
    products = list(Product.objects.filter(is_active=True).order_by("name", "id"))
    found = match_products(sell.product_words, products)
    if not sell.product_words:
        return None, sell, products, pgettext("sms", "Which product?")
    if not found:
        return None, sell, products, pgettext("sms", "The cooperative does not buy that product.")
    if len(found) > 1:
        return None, sell, found, pgettext("sms", "Which one?")
    if sell.quantity is None:
        return None, sell, products, pgettext("sms", "How much?")
    return found[0], sell, products, ""


def _offer(member, args, text: str) -> str:
    product, sell, products, reason = _read_offer(args)
    if product is None:
        return sell_help_text(member.cooperative, products, reason)
    unit = sell.unit or Unit(product.base_unit)
    notify_services.offer_open(
        member=member,
        product=product,
        product_text=" ".join(sell.product_words)[:80],
        quantity=sell.quantity,
        unit=unit.value,
        raw_text=text[:480],
    )
    return offer_received_text(member.cooperative, sell.quantity, unit, product)


HANDLERS = {
    Command.PRICES: _prices,
    Command.BALANCE: _balance,
    Command.SELL: _sell,
    Command.STOP: _stop,
    Command.RESUME: _resume,
    Command.HELP: _help,
}


def handle(inbound: InboundSms) -> list[MemberText]:
    """Read a stored inbound text and answer it. Call inside the webhook's transaction.

    An unknown phone gets nothing at all (no reply, no cost, nothing disclosed).
    """
    members = members_for_phone(inbound.phone)
    if not members:
        return []
    notify_services.inbound_mark_known(inbound=inbound)
    sender = Sender(inbound.phone, members, coop_codes(m.cooperative for m in members))
    parsed = parse(inbound.text, frozenset(c.lower() for c in sender.all_codes))
    allowance = max(0, REPLIES_PER_HOUR - replies_last_hour(inbound.phone))
    rows = []
    for answer in HANDLERS[parsed.command](sender, parsed, inbound.text):
        coop = answer.member.cooperative
        with tenant(coop), override(member_language(answer.member)):
            reply = None
            offer = None
            if allowance > 0 or answer.always:
                before = SellOffer.objects.filter(member=answer.member).aggregate(last=Max("pk"))["last"] or 0
                text = answer.act()
                if answer.command == Command.SELL:
                    offer = (
                        SellOffer.objects.filter(member=answer.member, pk__gt=before).order_by("pk").first()
                    )
                if allowance > 0:
                    reply = queue(
                        kind=Kind.REPLY,
                        member=answer.member,
                        text=text,
                        channels=["sms"],
                        source_type="inbound",
                        source_id=inbound.pk,
                    )
                    allowance -= 1
            rows.append(
                notify_services.member_text_record(
                    inbound=inbound, member=answer.member, command=answer.command, reply=reply, offer=offer
                )
            )
    return rows


# --- staff: offers to sell and texts received ------------------------------------------------------


def offer_list(*, status: str = "", product=None) -> QuerySet[SellOffer]:
    """Offers of the current cooperative, open ones first, then newest first."""
    qs = SellOffer.objects.select_related("member", "member__village", "product").annotate(
        open_first=Case(
            When(status=OfferStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    if status:
        qs = qs.filter(status=status)
    if product is not None:
        qs = qs.filter(product=product)
    return qs.order_by("open_first", "-created_at", "-id")


def offer_get(offer_id: int) -> SellOffer:
    return SellOffer.objects.select_related("member", "member__village", "product", "answered_by").get(
        pk=offer_id
    )


def offer_messages(offer: SellOffer) -> list[Message]:
    """The SMS answers written for this offer (normally one), newest first."""
    return list(Message.objects.filter(source_type="offer", source_id=str(offer.pk)).order_by("-created_at"))


def open_offer_count() -> int:
    return SellOffer.objects.filter(status=OfferStatus.OPEN).count()


def text_list(*, command: str = "") -> QuerySet[MemberText]:
    qs = MemberText.objects.select_related("member", "member__village", "inbound", "reply", "offer")
    if command:
        qs = qs.filter(command=command)
    return qs.order_by("-created_at", "-id")
