"""hoptac.lib.banknotify: SePay and Casso webhooks (parsing, signatures), their pull APIs
against local fakes, bank statements (xlsx/CSV) and the duplicate checksum."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from django.utils import translation

from hoptac.lib import xlsx
from hoptac.lib.banknotify import (
    VN_TZ,
    BankApiError,
    BankLine,
    CassoClient,
    ColumnMapping,
    PayloadError,
    SepayClient,
    StatementError,
    WebhookRefused,
    casso_check,
    casso_ok,
    casso_parse,
    guess_mapping,
    sepay_check,
    sepay_ok,
    sepay_parse,
    statement_read,
)
from tests.fakes import banks
from tests.fakes.banks import casso_delivery, casso_record, sepay_delivery, sepay_payload

sepay_server = banks.sepay_server  # fixtures
casso_server = banks.casso_server

FILES = Path(__file__).parent / "files" / "statements"
NOW = dt.datetime(2026, 12, 2, 7, 5, tzinfo=dt.UTC)


def _read(name: str) -> bytes:
    return (FILES / name).read_bytes()


# --- SePay webhook --------------------------------------------------------------------------


def test_sepay_parse_money_in():
    line = sepay_parse(json.dumps(sepay_payload()).encode())
    assert line.source == "sepay"
    assert line.provider_id == "92704"
    assert line.amount == 2_277_000
    assert line.at == dt.datetime(2026, 12, 2, 14, 2, 37, tzinfo=VN_TZ)
    assert line.at.utcoffset() == dt.timedelta(hours=7)
    assert line.memo == "DH1A2B3C chuyen tien mua hang"
    assert (line.account_number, line.bank, line.reference) == (
        "0071000123456",
        "Vietcombank",
        "MBVCB.3278907687",
    )
    assert line.raw["accumulated"] == 19_077_000
    json.dumps(line.raw)  # JSON-safe
    assert sepay_ok() == (200, {"success": True})


def test_sepay_parse_money_out_is_negative():
    line = sepay_parse(json.dumps(sepay_payload(transfer_type="out", amount=50_000)).encode())
    assert line.amount == -50_000
    assert not line.incoming


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({**sepay_payload(), "transferType": "sideways"}).encode(),
        json.dumps({**sepay_payload(), "transferAmount": "12,5"}).encode(),
        json.dumps({**sepay_payload(), "transferAmount": 10.5}).encode(),
        json.dumps({**sepay_payload(), "transactionDate": "yesterday"}).encode(),
        json.dumps({k: v for k, v in sepay_payload().items() if k != "id"}).encode(),
        b"{" + b" " * (300 * 1024) + b"}",
    ],
)
def test_sepay_parse_refuses_bad_bodies(body):
    with pytest.raises(PayloadError) as caught:
        sepay_parse(body)
    assert str(caught.value)  # a message for people


def test_sepay_api_key_accepted_and_wrong_key_refused():
    headers, body = sepay_delivery(sepay_payload(), api_key="k-123")
    assert sepay_check(headers, body, api_key="k-123", now=NOW) == "apikey"
    with pytest.raises(WebhookRefused) as caught:
        sepay_check(headers, body, api_key="other", now=NOW)
    assert caught.value.code == "bad_key"
    with pytest.raises(WebhookRefused) as caught:
        sepay_check({"Content-Type": "application/json"}, body, api_key="k-123", now=NOW)
    assert caught.value.code == "no_key"


def test_sepay_hmac_signature():
    stamp = int(NOW.timestamp())
    headers, body = sepay_delivery(sepay_payload(), hmac_secret="s3cret", timestamp=stamp)
    assert sepay_check(headers, body, hmac_secret="s3cret", now=NOW) == "hmac"
    # lower-case header names, as a WSGI server may pass them
    assert (
        sepay_check({k.lower(): v for k, v in headers.items()}, body, hmac_secret="s3cret", now=NOW) == "hmac"
    )
    with pytest.raises(WebhookRefused) as caught:
        sepay_check(headers, body, hmac_secret="another", now=NOW)
    assert caught.value.code == "bad_signature"
    with pytest.raises(WebhookRefused) as caught:  # body changed in transit
        sepay_check(headers, body.replace(b"2277000", b"9277000"), hmac_secret="s3cret", now=NOW)
    assert caught.value.code == "bad_signature"


@pytest.mark.parametrize("drift", [-301, 301, -3600])
def test_sepay_hmac_old_or_future_timestamp_refused(drift):
    headers, body = sepay_delivery(
        sepay_payload(), hmac_secret="s3cret", timestamp=int(NOW.timestamp()) + drift
    )
    with pytest.raises(WebhookRefused) as caught:
        sepay_check(headers, body, hmac_secret="s3cret", now=NOW)
    assert caught.value.code == "stale"


def test_sepay_hmac_within_five_minutes_accepted():
    headers, body = sepay_delivery(
        sepay_payload(), hmac_secret="s3cret", timestamp=int(NOW.timestamp()) - 299
    )
    assert sepay_check(headers, body, hmac_secret="s3cret", now=NOW) == "hmac"


def test_sepay_unsigned_refused_when_only_hmac_configured_and_nothing_configured():
    headers, body = sepay_delivery(sepay_payload(), api_key="k-123")
    with pytest.raises(WebhookRefused) as caught:
        sepay_check(headers, body, hmac_secret="s3cret", now=NOW)
    assert caught.value.code == "no_signature"
    with pytest.raises(WebhookRefused) as caught:
        sepay_check(headers, body, now=NOW)
    assert caught.value.code == "not_configured"


def test_refusal_message_is_translated():
    headers, body = sepay_delivery(sepay_payload(), api_key="k-123")
    with pytest.raises(WebhookRefused) as caught:
        sepay_check(headers, body, api_key="x", now=NOW)
    with translation.override("en"):
        assert str(caught.value) == "The SePay notification's API key is wrong."


# --- Casso webhook --------------------------------------------------------------------------

# The sample of Casso's documentation (webhook v2, "Xử lý sự kiện Webhook").
CASSO_DOC_BODY = {
    "error": 0,
    "data": {
        "id": 0,
        "reference": "MA_GIAO_DICH_THU_NGHIEM",
        "description": "giao dich thu nghiem",
        "amount": 599000,
        "runningBalance": 25000000,
        "transactionDateTime": "2024-10-03 15:06:37",
        "accountNumber": "88888888",
        "bankName": "VPBank",
        "bankAbbreviation": "VPB",
        "virtualAccountNumber": "",
        "virtualAccountName": "",
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "8888888888",
        "counterAccountBankId": "970415",
        "counterAccountBankName": "VietinBank",
    },
}
CASSO_DOC_KEY = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs"
CASSO_DOC_SIGNATURE = (
    "t=1727948258788,v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667"
    "faea8e224900fa7904e7c88dfa098032fb2d6b6996856e8b7ff3"
)
CASSO_DOC_NOW = dt.datetime.fromtimestamp(1727948258.788 + 10, tz=dt.UTC)


def test_casso_documented_signature_verifies():
    body = json.dumps(CASSO_DOC_BODY, indent=2).encode()  # whitespace does not matter: Casso signs the data
    casso_check({"X-Casso-Signature": CASSO_DOC_SIGNATURE}, body, secret=CASSO_DOC_KEY, now=CASSO_DOC_NOW)
    tampered = json.dumps({**CASSO_DOC_BODY, "data": {**CASSO_DOC_BODY["data"], "amount": 999000}}).encode()
    with pytest.raises(WebhookRefused) as caught:
        casso_check(
            {"X-Casso-Signature": CASSO_DOC_SIGNATURE}, tampered, secret=CASSO_DOC_KEY, now=CASSO_DOC_NOW
        )
    assert caught.value.code == "bad_signature"


def test_casso_parse_documented_body():
    [line] = casso_parse(json.dumps(CASSO_DOC_BODY).encode())
    assert line.source == "casso"
    assert line.provider_id == "0"
    assert line.amount == 599_000
    assert line.at == dt.datetime(2024, 10, 3, 15, 6, 37, tzinfo=VN_TZ)
    assert (line.memo, line.reference, line.bank) == (
        "giao dich thu nghiem",
        "MA_GIAO_DICH_THU_NGHIEM",
        "VPBank",
    )
    assert line.raw["counterAccountName"] == "NGUYEN VAN A"
    assert casso_ok()[0] == 200


def test_casso_list_and_vietnamese_text_signed_by_fake():
    data = [
        casso_record(1, description="Nguyễn Văn Ấn chuyển tiền DH1A2B3C"),
        casso_record(2, amount=-20_000),
    ]
    stamp = int(NOW.timestamp() * 1000)
    headers, body = casso_delivery(data, secret="key-1", timestamp_ms=stamp)
    casso_check(headers, body, secret="key-1", now=NOW)
    lines = casso_parse(body)
    assert [line.amount for line in lines] == [599_000, -20_000]
    assert lines[0].memo == "Nguyễn Văn Ấn chuyển tiền DH1A2B3C"


def test_casso_wrong_key_old_timestamp_and_missing_header_refused():
    stamp = int(NOW.timestamp() * 1000)
    headers, body = casso_delivery(casso_record(7), secret="key-1", timestamp_ms=stamp)
    with pytest.raises(WebhookRefused) as caught:
        casso_check(headers, body, secret="key-2", now=NOW)
    assert caught.value.code == "bad_signature"
    old_headers, old_body = casso_delivery(
        casso_record(7), secret="key-1", timestamp_ms=stamp - 6 * 60 * 1000
    )
    with pytest.raises(WebhookRefused) as caught:
        casso_check(old_headers, old_body, secret="key-1", now=NOW)
    assert caught.value.code == "stale"
    with pytest.raises(WebhookRefused) as caught:
        casso_check({}, body, secret="key-1", now=NOW)
    assert caught.value.code == "no_signature"


@pytest.mark.parametrize(
    "payload",
    [
        {"error": 0},
        {"error": 1, "data": casso_record(1)},
        {"error": 0, "data": {**casso_record(1), "amount": "nhieu"}},
        {"error": 0, "data": {k: v for k, v in casso_record(1).items() if k != "transactionDateTime"}},
        {"error": 0, "data": [casso_record(1), "x"]},
    ],
)
def test_casso_parse_refuses_bad_bodies(payload):
    with pytest.raises(PayloadError):
        casso_parse(json.dumps(payload).encode())


# --- pull clients ---------------------------------------------------------------------------


def test_sepay_client_pages_through_every_transaction(sepay_server):
    base = dt.datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)
    for i in range(7):
        sepay_server.add(amount_in=10_000 * (i + 1), content=f"DH{i}", when=base + dt.timedelta(minutes=i))
    sepay_server.add(amount_out=5_000, content="phi", when=base + dt.timedelta(hours=1))
    sepay_server.add(amount_in=1, content="old", when=base - dt.timedelta(days=3))
    client = SepayClient(sepay_server.url, sepay_server.token, page_size=3)
    lines = client.transactions(since=base)
    assert [line.memo for line in lines] == [f"DH{i}" for i in range(7)] + ["phi"]
    assert lines[0].amount == 10_000 and lines[-1].amount == -5_000
    assert lines[0].at == base
    assert len({line.provider_id for line in lines}) == 8
    requests = [r for r in sepay_server.requests if r["path"] == sepay_server.path]
    assert len(requests) == 3  # 3 + 3 + 2
    assert requests[0]["headers"]["authorization"] == "Bearer sepay-token"
    assert requests[0]["query"]["transaction_date_min"] == "2026-12-01 08:00:00"
    assert requests[1]["query"]["since_id"] == str(int(lines[2].provider_id) + 1)


def test_casso_client_pages_through_every_transaction(casso_server):
    base = dt.datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)
    for i in range(5):
        casso_server.add(amount=1_000 * (i + 1), description=f"DH{i}", when=base + dt.timedelta(minutes=i))
    casso_server.add(amount=9, description="before", when=base - dt.timedelta(days=2))
    lines = CassoClient(casso_server.url, casso_server.api_key, page_size=2).transactions(since=base.date())
    assert [line.memo for line in lines] == [f"DH{i}" for i in range(5)]
    assert [r["query"]["page"] for r in casso_server.requests] == ["1", "2", "3"]
    assert casso_server.requests[0]["headers"]["authorization"] == "Apikey casso-key"
    assert casso_server.requests[0]["query"]["fromDate"] == "2026-12-01"


@pytest.mark.parametrize("which", ["sepay", "casso"])
def test_pull_wrong_key_is_permanent(which, sepay_server, casso_server):
    client = (
        SepayClient(sepay_server.url, "wrong") if which == "sepay" else CassoClient(casso_server.url, "wrong")
    )
    with pytest.raises(BankApiError) as caught:
        client.transactions(since=dt.date(2026, 12, 1))
    assert caught.value.permanent
    assert caught.value.code == "http_401"
    with translation.override("en"):
        assert "refused" in str(caught.value)
    assert "từ chối" in str(caught.value)  # Vietnamese by default


@pytest.mark.parametrize(
    "mode,code", [("http_500", "http_500"), ("rate_limit", "http_429"), ("not_json", "bad_response")]
)
def test_pull_server_trouble_is_temporary(mode, code, sepay_server, casso_server):
    sepay_server.mode = casso_server.mode = mode
    for client in (
        SepayClient(sepay_server.url, sepay_server.token),
        CassoClient(casso_server.url, casso_server.api_key),
    ):
        with pytest.raises(BankApiError) as caught:
            client.transactions(since=dt.date(2026, 12, 1))
        assert not caught.value.permanent
        assert caught.value.code == code


def test_pull_timeout_is_temporary_and_quick(sepay_server):
    sepay_server.mode = "hang"
    client = SepayClient(sepay_server.url, sepay_server.token, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(BankApiError) as caught:
        client.transactions(since=dt.date(2026, 12, 1))
    assert time.monotonic() - started < 3
    assert caught.value.code == "timeout" and not caught.value.permanent


def test_pull_unreachable_is_temporary():
    with pytest.raises(BankApiError) as caught:
        CassoClient("http://127.0.0.1:9", "k", timeout=1).transactions(since=dt.date(2026, 12, 1))
    assert not caught.value.permanent


# --- statements -----------------------------------------------------------------------------


def test_vietcombank_xlsx_with_preamble_and_totals():
    result = statement_read(_read("vietcombank.xlsx"), "vietcombank.xlsx", account_number="0071000123456")
    assert result.mapping == ColumnMapping(header_row=6, date=1, credit=4, debit=3, memo=5, reference=2)
    assert [line.amount for line in result.lines] == [1_250_000, -200_000, 350_000, 86_000]
    assert result.lines[0].at == dt.datetime(2026, 12, 1, tzinfo=VN_TZ)
    assert result.lines[0].reference == "5213 - 40712"
    assert result.lines[0].account_number == "0071000123456"
    assert result.skipped == (7, 12)  # opening balance, total
    # a formula-looking memo stays the text the bank wrote
    assert result.lines[2].memo == '=HYPERLINK("http://evil.example","bam vao day")'
    assert all(line.source == "statement" for line in result.lines)
    json.dumps([line.raw for line in result.lines])


def test_bidv_csv_utf8_bom_comma_and_quoted_amounts():
    result = statement_read(_read("bidv.csv"), "sao-ke.csv")
    assert result.encoding == "utf-8"
    assert [line.amount for line in result.lines] == [1_250_000, -50_000, 420_000]
    assert result.lines[0].at == dt.datetime(2026, 12, 1, 8, 15, 2, tzinfo=VN_TZ)
    assert result.lines[2].memo == 'REM Tfr Ac: 12345 dh7k8m9n "mua tra"'
    assert result.lines[0].reference == "FT26335001"


def test_agribank_csv_windows_1258_semicolon():
    result = statement_read(_read("agribank_cp1258.csv"), "agribank.csv")
    assert result.encoding == "cp1258"
    assert result.mapping.header_row == 2
    assert [line.amount for line in result.lines] == [1_250_000, -300_000, 2_000_000]
    assert result.lines[0].memo == "Nguyễn Văn Ấn chuyển tiền DH1A2B3C"  # composed (NFC) again
    assert result.lines[2].memo == "Hợp tác xã Đồng Tâm trả tiền hàng"
    assert result.lines[1].at == dt.datetime(2026, 12, 2, 14, 20, tzinfo=VN_TZ)


def test_mb_like_xlsx_bilingual_headers_and_signed_amount():
    result = statement_read(_read("mbbank.xlsx"), "mb.xlsx")
    assert result.mapping.amount == 2 and result.mapping.credit is None
    assert [line.amount for line in result.lines] == [500_000, -120_000, 75_000]
    assert result.lines[0].at == dt.datetime(2026, 12, 1, 7, 30, tzinfo=VN_TZ)


def test_explicit_mapping_overrides_the_guess():
    content = b"Ngay;Tien;Ghi chu\n01/12/2026;1.000.000;DH1\n"
    mapping = ColumnMapping(header_row=1, date=0, amount=1, memo=2)
    result = statement_read(content, "x.csv", mapping)
    assert [(line.amount, line.memo) for line in result.lines] == [(1_000_000, "DH1")]
    assert guess_mapping([("Ngay", "Tien", "Ghi chu")]) is None  # "Tiền" alone is not a known header


def _csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def test_bad_rows_named_and_nothing_returned():
    content = _csv(
        "Ngày giao dịch,Ghi có,Nội dung",
        "01/12/2026,100.000,DH1",
        "31/02/2026,200.000,DH2",
        "02/12/2026,12.5,DH3",
        ",300.000,DH4",
        "03/12/2026,400.000,DH5",
    )
    with pytest.raises(StatementError) as caught:
        statement_read(content, "s.csv")
    error = caught.value
    assert error.code == "bad_rows"
    with pytest.raises(StatementError) as one:
        statement_read(_csv("Ngày giao dịch,Ghi có", "01/12/2026,100.000", "x,1"), "s.csv")
    with translation.override("en"):
        assert str(one.value) == "1 row of the statement could not be read; nothing was imported."
    assert [row.row for row in error.rows] == [3, 4, 5]
    with translation.override("en"):
        assert str(error) == "3 rows of the statement could not be read; nothing was imported."
        assert str(error.rows[0]).startswith("Row 3: the date 31/02/2026")
        assert "whole number" in str(error.rows[1])
        assert "no date" in str(error.rows[2])


@pytest.mark.parametrize(
    "content,name",
    [
        (_csv("Họ tên,Số điện thoại", "Nguyễn Văn An,0912345678"), "members.csv"),
        (_csv("Ngày giao dịch,Ghi có,Nội dung"), "empty.csv"),
        (_csv("Ngày giao dịch,Ghi có,Nội dung", ",,", "01/12/2026,,Số dư"), "balances.csv"),
        (b"PK\x03\x04 not really a zip", "s.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls"),
        (b"\x00\x01\x02binary", "s.bin"),
    ],
)
def test_not_a_statement(content, name):
    with pytest.raises(StatementError) as caught:
        statement_read(content, name)
    assert str(caught.value)
    assert not caught.value.rows


def test_amount_formats():
    content = _csv(
        "Ngày giao dịch;Số tiền ghi có;Diễn giải",
        "01/12/2026;1.250.000;a",
        "01/12/2026;1,250,000 VND;b",
        "01/12/2026;1.250.000 đ;c",
        "01/12/2026;1,250,000.00;d",
        "01-12-2026 08:00:05;1250000;e",
        "2026-12-01;1.250.000,00;f",
    )
    result = statement_read(content, "s.csv")
    assert [line.amount for line in result.lines] == [1_250_000] * 6
    assert result.lines[4].at == dt.datetime(2026, 12, 1, 8, 0, 5, tzinfo=VN_TZ)


def test_xlsx_refusal_becomes_statement_error():
    book = xlsx.workbook()
    sheet = book.active
    xlsx.put(sheet, 20_001, 1, "far away")
    with pytest.raises(StatementError) as caught:
        statement_read(xlsx.save(book), "big.xlsx")
    assert caught.value.code == "xlsx_rows"


# --- checksum -------------------------------------------------------------------------------


def _line(**changes) -> BankLine:
    fields = {
        "source": "statement",
        "provider_id": "",
        "at": dt.datetime(2026, 12, 1, 9, 15, tzinfo=VN_TZ),
        "amount": 1_250_000,
        "memo": "DH1A2B3C chuyen tien",
        "account_number": "0071000123456",
        "reference": "FT26335001",
    }
    return BankLine(**{**fields, **changes})


def test_checksum_stable_across_imports_and_cosmetic_differences():
    first = statement_read(_read("bidv.csv"), "bidv.csv")
    again = statement_read(_read("bidv.csv"), "bidv-copy.csv")
    assert [line.checksum for line in first.lines] == [line.checksum for line in again.lines]
    assert len({line.checksum for line in first.lines}) == 3
    base = _line()
    assert len(base.checksum) == 64
    # spacing, case, accents and the time of day do not make a different line
    assert _line(memo="dh1a2b3c  CHUYỂN tiền").checksum == base.checksum
    assert _line(at=dt.datetime(2026, 12, 1, 2, 15, tzinfo=dt.UTC)).checksum == base.checksum
    assert _line(at=dt.datetime(2026, 12, 1, 23, 59, tzinfo=VN_TZ)).checksum == base.checksum
    assert _line(raw={"row": 9}).checksum == base.checksum


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 1_250_001},
        {"amount": -1_250_000},
        {"memo": "DH1A2B3D chuyen tien"},
        {"reference": "FT26335002"},
        {"account_number": "0071000999999"},
        {"at": dt.datetime(2026, 12, 2, 9, 15, tzinfo=VN_TZ)},
        {"at": dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)},  # 00:30 the next day in Vietnam
    ],
)
def test_checksum_differs_for_different_lines(change):
    assert _line(**change).checksum != _line().checksum


def test_checksum_fields_do_not_run_into_each_other():
    assert _line(memo="ab", reference="c").checksum != _line(memo="a", reference="bc").checksum


def test_bank_line_needs_an_aware_time_and_a_known_source():
    with pytest.raises(ValueError):
        _line(at=dt.datetime(2026, 12, 1, 9, 15))
    with pytest.raises(ValueError):
        _line(source="momo")
