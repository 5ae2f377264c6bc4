"""The bảng kê of produce bought from households without invoices, as the tax office's form.

Two official forms, chosen by the dates of the purchases (see docs/architecture.md, "The
purchase list without invoices", for the sources):

* **Mẫu số 01/TNDN**, issued with Circular 78/2014/TT-BTC (18 June 2014): purchases made
  before ``FORM_02_FROM``. Nine columns numbered (1)…(9), a "Người phụ trách thu mua" line,
  signed by "Người lập bảng kê" and "Giám đốc doanh nghiệp".
* **Mẫu số 02/TNDN**, issued with Circular 20/2026/TT-BTC (guiding the Law on Corporate
  Income Tax 67/2025/QH15 and Decree 320/2025/NĐ-CP), which replaced the 01/TNDN: purchases
  from ``FORM_02_FROM`` on. Ten columns numbered (1)…(10) (the seller's phone is new), the
  cooperative's phone in the header, no "Người phụ trách thu mua" line, signed by "Người lập
  bảng kê" and "Người đại diện hoặc người được ủy quyền của doanh nghiệp".

A period that spans the change gives one sheet per form, each with its own purchases.
Neither form has an STT column: the columns carry the form's own numbers.

The wording below is the forms' official Vietnamese text, written as it is printed on the
form whatever the language of the interface (a form filed with the tax office, not a page
of the interface): it is data, not an interface string, and so it is not translated. User
text (names, addresses, product names) is written through ``text_cell`` so that it is never
read as a formula.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone, translation
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from hoptac.ledger.xlsx import text_cell
from hoptac.lib import places, xlsx
from hoptac.lib.units import format_quantity
from hoptac.offtake.models import Grade

#: The first day of purchases listed on the 02/TNDN (Circular 20/2026/TT-BTC in force).
FORM_02_FROM = dt.date(2026, 3, 12)

#: The first row of goods on both forms; the rows above are the form's header.
FIRST_ROW = 15

MONEY = "#,##0"
DATE = "dd/mm/yyyy"
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=False)
WRAP = Alignment(vertical="top", wrap_text=True)


@dataclass(frozen=True)
class Column:
    key: str  # date, name, address, id, phone, goods, quantity, price, amount, note
    label: str
    width: float


@dataclass(frozen=True)
class Form:
    code: str
    basis: str
    title: str
    seller_group: str
    goods_group: str
    columns: tuple[Column, ...]
    header_phone: bool  # "- Số điện thoại:" of the cooperative in the header
    header_collector: bool  # "- Người phụ trách thu mua:" in the header
    total_label: str
    left_title: str
    left_hint: str
    right_title: str
    right_hint: str

    @property
    def sheet_title(self) -> str:
        return self.code.replace("/", "-")

    def col(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns, start=1) if c.key == key)


FORM_01 = Form(
    code="01/TNDN",
    basis="(Ban hành kèm theo Thông tư số 78/2014/TT-BTC ngày 18/6/2014 của Bộ Tài chính)",
    title="BẢNG KÊ THU MUA HÀNG HOÁ, DỊCH VỤ MUA VÀO KHÔNG CÓ HOÁ ĐƠN",
    seller_group="Người bán",
    goods_group="Hàng hoá mua vào",
    columns=(
        Column("date", "Ngày tháng năm mua hàng", 12),
        Column("name", "Tên người bán", 24),
        Column("address", "Địa chỉ", 32),
        Column("id", "Số CMT nhân dân", 15),
        Column("goods", "Tên mặt hàng", 26),
        Column("quantity", "Số lượng", 11),
        Column("price", "Đơn giá", 12),
        Column("amount", "Tổng giá thanh toán", 16),
        Column("note", "Ghi chú", 26),
    ),
    header_phone=False,
    header_collector=True,
    total_label="- Tổng giá trị hàng hoá mua vào:",
    left_title="Người lập bảng kê",
    left_hint="(Ký, ghi rõ họ tên)",
    right_title="Giám đốc doanh nghiệp",
    right_hint="(Ký, ghi rõ họ tên, đóng dấu)",
)

FORM_02 = Form(
    code="02/TNDN",
    basis="(Ban hành kèm theo Thông tư số 20/2026/TT-BTC của Bộ trưởng Bộ Tài chính)",
    title="BẢNG KÊ THU MUA HÀNG HÓA, DỊCH VỤ KHÔNG CÓ HÓA ĐƠN",
    seller_group="Người bán",
    goods_group="Hàng hóa, dịch vụ mua vào",
    columns=(
        Column("date", "Ngày tháng năm mua hàng", 12),
        Column("name", "Tên người bán", 22),
        Column("address", "Địa chỉ", 30),
        Column("id", "Số căn cước", 14),
        Column("phone", "Số điện thoại (nếu có)", 13),
        Column("goods", "Tên hàng hóa, dịch vụ", 24),
        Column("quantity", "Số lượng, trọng lượng", 11),
        Column("price", "Đơn giá", 12),
        Column("amount", "Tổng giá thanh toán", 16),
        Column("note", "Ghi chú", 26),
    ),
    header_phone=True,
    header_collector=False,
    total_label="- Tổng giá trị hàng hóa, dịch vụ mua vào:",
    left_title="Người lập bảng kê",
    left_hint="(Ký, ghi rõ họ tên)",
    right_title="Người đại diện hoặc người được ủy quyền của doanh nghiệp",
    right_hint="(Ký tên, đóng dấu)",
)


def form_for(day: dt.date) -> Form:
    """The form on which a purchase made on ``day`` is listed."""
    return FORM_02 if day >= FORM_02_FROM else FORM_01


def parts(start: dt.date, end: dt.date) -> list[tuple[Form, dt.date, dt.date]]:
    """The period cut at the change of form: one (form, start, end) per form it covers."""
    if start < FORM_02_FROM <= end:
        return [(FORM_01, start, FORM_02_FROM - dt.timedelta(days=1)), (FORM_02, FORM_02_FROM, end)]
    return [(form_for(start), start, end)]


def date_words(day: dt.date) -> str:
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def period_line(start: dt.date, end: dt.date) -> str:
    """The line under the title: "(Ngày … tháng … năm …)", or the first and last day."""
    if start == end:
        return f"({date_words(start).capitalize()})"
    return f"(Từ {date_words(start)} đến {date_words(end)})"


def place_address(village: str, commune_code) -> str:
    commune = places.commune_name(commune_code) if commune_code else ""
    province = places.province_name(places.commune_province(commune_code)) if commune_code else ""
    return ", ".join(part for part in (village, commune, province) if part)


def member_address(member) -> str:
    """Village, commune and province of a member household (the seller's "Địa chỉ")."""
    return place_address(member.village.name if member.village_id else "", member.commune_code)


def point_address(point) -> str:
    """Where a collection point is: its village, commune and province (not its name)."""
    return place_address(point.village, point.commune_code)


def purchase_places(lines, *, cooperative, point=None) -> str:
    """The form's "Địa chỉ nơi tổ chức thu mua": the address of the collection point(s) of the lines;
    the cooperative's own address for purchases recorded without a point."""
    if point is not None:
        return point_address(point)
    found: list[str] = []
    for line in lines:
        receipt = line.receipt
        address = point_address(receipt.point) if receipt.point_id else cooperative.address
        if address and address not in found:
            found.append(address)
    return "; ".join(found) or cooperative.address


def collectors(lines) -> str:
    """The form's "Người phụ trách thu mua": the collectors who recorded the receipts, in order met."""
    names: list[str] = []
    for line in lines:
        collector = line.receipt.collector
        if collector is not None and collector.full_name and collector.full_name not in names:
            names.append(collector.full_name)
    return ", ".join(names)


def workbook(lines, *, cooperative, start: dt.date, end: dt.date, point=None, target=None, progress=None):
    """The purchase list of ``lines`` (confirmed receipt lines of the period, in time order)
    on the form(s) in force for the period: one sheet per form.

    ``lines`` is a queryset (``selectors.purchase_list``) or a list. A queryset is read twice
    per sheet in chunks (the header's places and collectors, then the rows), never held
    whole, and the sheet is streamed (``lib.xlsx.StreamBook``): memory stays flat for a
    season of 50,000 lines. Written to ``target`` when given (an export job), else returned
    as bytes; ``progress(done, total)`` follows the rows."""
    book = xlsx.stream_workbook()
    cut = parts(start, end)
    done = [0]
    total = lines.count() if hasattr(lines, "iterator") else len(lines)

    def step():
        done[0] += 1
        if progress is not None and done[0] % 500 == 0:
            progress(done[0], total)

    with translation.override("vi"):
        for form, part_start, part_end in cut:
            _sheet(
                book,
                form,
                _part(lines, part_start, part_end),
                cooperative=cooperative,
                start=part_start,
                end=part_end,
                point=point,
                single=len(cut) == 1,
                step=step,
            )
    if progress is not None:
        progress(done[0], total)
    if target is not None:
        book.save_to(target)
        return None
    return xlsx.save(book)


def _part(lines, start: dt.date, end: dt.date):
    """A callable giving, each time it is called, the lines purchased from ``start`` to ``end``."""
    if hasattr(lines, "iterator"):
        lower = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
        upper = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
        own = lines.filter(receipt__collected_at__gte=lower, receipt__collected_at__lt=upper)
        return lambda: own.iterator(chunk_size=2000)
    kept = [line for line in lines if start <= timezone.localdate(line.receipt.collected_at) <= end]
    return lambda: iter(kept)


def _sheet(book, form: Form, lines, *, cooperative, start, end, point, single: bool, step) -> None:
    sheet = book.sheet(form.sheet_title)
    width = len(form.columns)
    for col, column in enumerate(form.columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = column.width

    def merged(row, first, last, value, *, font=None, align=None):
        cell = text_cell(sheet, row=row, column=first, value=value)
        if last > first:
            sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        if font:
            cell.font = font
        if align:
            cell.alignment = align
        return cell

    # The form's code and legal basis, top right; the title and the date line.
    merged(1, width - 3, width, f"Mẫu số: {form.code}", font=Font(bold=True), align=CENTER)
    merged(2, width - 3, width, form.basis, font=Font(italic=True, size=9), align=CENTER)
    sheet.row_dimensions[2].height = 30
    merged(4, 1, width, form.title, font=Font(bold=True, size=14), align=CENTER)
    merged(5, 1, width, period_line(start, end), font=Font(italic=True), align=CENTER)

    # The first line met of each collection point and of each collector, in order: the
    # header's places and collectors, read in one pass without keeping the lines.
    firsts: dict[tuple, object] = {}
    for line in lines():
        firsts.setdefault(("point", line.receipt.point_id), line)
        firsts.setdefault(("collector", line.receipt.collector_id), line)
    met = list({id(line): line for line in firsts.values()}.values())

    # The buyer: the cooperative.
    details = [f"- Tên doanh nghiệp: {cooperative.name}"]
    tax = f"Mã số thuế: {cooperative.tax_code or ''}"
    if form.header_phone:
        details += [f"- {tax}", f"- Địa chỉ: {cooperative.address}"]
        details.append(f"- Số điện thoại: {cooperative.phone or ''}")
    else:
        details[0] += f"    {tax}"
        details.append(f"- Địa chỉ: {cooperative.address}")
    details.append(
        f"- Địa chỉ nơi tổ chức thu mua: {purchase_places(met, cooperative=cooperative, point=point)}"
    )
    if form.header_collector:
        details.append(f"- Người phụ trách thu mua: {collectors(met)}")
    for row, text in enumerate(details, start=6):
        merged(row, 1, width, text, align=LEFT)

    # Two header rows (the groups, then the columns), then the form's column numbers.
    head, sub, numbers = FIRST_ROW - 3, FIRST_ROW - 2, FIRST_ROW - 1
    seller = [
        form.col(k) for k in ("name", "address", "id", "phone") if any(c.key == k for c in form.columns)
    ]
    goods = [form.col(k) for k in ("goods", "quantity", "price", "amount")]
    for col, column in enumerate(form.columns, start=1):
        if col in seller or col in goods:
            text_cell(sheet, row=sub, column=col, value=column.label)
        else:
            text_cell(sheet, row=head, column=col, value=column.label)
            sheet.merge_cells(start_row=head, start_column=col, end_row=sub, end_column=col)
    merged(head, seller[0], seller[-1], form.seller_group)
    merged(head, goods[0], goods[-1], form.goods_group)
    for row in (head, sub):
        for col in range(1, width + 1):
            cell = sheet.cell(row=row, column=col)
            cell.font, cell.alignment, cell.border = Font(bold=True), CENTER, BOX
    sheet.row_dimensions[sub].height = 45
    for col in range(1, width + 1):
        cell = text_cell(sheet, row=numbers, column=col, value=f"({col})")
        cell.font, cell.alignment, cell.border = Font(italic=True), CENTER, BOX
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=1)

    row = numbers
    total = 0
    addresses: dict[tuple, str] = {}
    for line in lines():
        step()
        row += 1
        receipt, member = line.receipt, line.receipt.member
        where = (member.village_id, member.commune_code)
        if where not in addresses:
            addresses[where] = member_address(member)
        values = {
            "name": member.full_name,
            "address": addresses[where],
            "id": "",  # identity numbers are not stored: filled in by hand
            "phone": member.phone or "",
            "goods": f"{line.product.name}, {str(Grade(line.grade).label).lower()} ({line.product.unit_label})",
            "note": _note(line),
        }
        for col, column in enumerate(form.columns, start=1):
            if column.key in values:
                cell = text_cell(sheet, row=row, column=col, value=values[column.key])
            else:
                cell = sheet.cell(row=row, column=col)
            cell.border, cell.alignment = BOX, WRAP
        xlsx.put(sheet, row, form.col("date"), timezone.localdate(receipt.collected_at), number_format=DATE)
        quantity_format = "#,##0.0##" if line.net_quantity % 1 else "#,##0"
        xlsx.put(sheet, row, form.col("quantity"), line.net_quantity, number_format=quantity_format)
        xlsx.put(sheet, row, form.col("price"), line.unit_price_vnd, number_format=MONEY)
        xlsx.put(sheet, row, form.col("amount"), line.amount_vnd, number_format=MONEY)
        total += line.amount_vnd

    # "- Tổng giá trị …": the total as a number in the amount column, named for formulas.
    row += 2
    amount_col = form.col("amount")
    merged(row, 1, amount_col - 1, form.total_label, font=Font(bold=True))
    xlsx.put(sheet, row, amount_col, total, number_format=MONEY, font=Font(bold=True))
    text_cell(sheet, row=row, column=amount_col + 1, value="đồng")
    ref = f"'{sheet.title}'!${get_column_letter(amount_col)}${row}"
    names = [f"purchase_total_{form.sheet_title.replace('-', '_')}"]
    if single:
        names.append("purchase_total")
    for defined in names:
        book.defined_names[defined] = DefinedName(defined, attr_text=ref)

    # The date line above the right-hand signature, then the two signatures.
    today = timezone.localdate()
    half = width // 2
    row += 2
    merged(row, half + 1, width, date_words(today).capitalize(), font=Font(italic=True), align=CENTER)
    row += 1
    merged(row, 1, half, form.left_title, font=Font(bold=True), align=CENTER)
    merged(row, half + 1, width, form.right_title, font=Font(bold=True), align=CENTER)
    row += 1
    merged(row, 1, half, form.left_hint, font=Font(italic=True), align=CENTER)
    merged(row, half + 1, width, form.right_hint, font=Font(italic=True), align=CENTER)

    # A4 landscape, one page wide, the column headings repeated, page numbers at the foot.
    xlsx.page_setup(sheet, landscape=True, repeat_rows=(head, numbers))
    sheet.print_area = f"A1:{get_column_letter(width)}{row + 5}"


def _note(line) -> str:
    """The "Ghi chú" of a row: the receipt's code, who bought (the collector) and any deduction."""
    receipt = line.receipt
    parts_ = [receipt.code]
    if receipt.collector is not None and receipt.collector.full_name:
        parts_.append(f"Người thu mua: {receipt.collector.full_name}")
    if line.deduction_pct:
        parts_.append(f"trừ {format_quantity(line.deduction_pct)}%")
    return "; ".join(parts_)
