"""The catalog: product details with a checked GTIN, photos made small on upload, OCOP and
other certificates with their validity, the dashboard reminder, who may change what, and a
product list whose number of SQL queries does not grow with the products."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from PIL import Image

from hoptac.catalog import photos, selectors, services
from hoptac.catalog.models import Certificate, Product, ProductPhoto, add_months
from hoptac.core.models import AuditEvent
from hoptac.core.tenancy import tenant
from hoptac.lib import gtin as gtin_lib
from tests.conftest import keyed, opened

BASE = "/c/coop-a/catalog/"


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' messages are asserted in English (their msgids); pages in Vietnamese."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _(text: str) -> str:
    """A message as the pages show it: in Vietnamese, the default language."""
    with translation.override("vi"):
        return str(translation.gettext(text))


def _page(text: str) -> str:
    return escape(_(text))


# --- fixtures -----------------------------------------------------------------------------------


def _product(coop, code="MAT", name="Mật ong bạc hà", **fields) -> Product:
    with tenant(coop):
        return Product.objects.create(cooperative=coop, code=code, name=name, base_unit="l", **fields)


@pytest.fixture
def honey(coop_a):
    return _product(coop_a)


@pytest.fixture
def tea_b(coop_b):
    return _product(coop_b, code="CHE", name="Chè Shan tuyết")


def _jpeg(width: int, height: int, *, orientation: int | None = None, color=(200, 150, 40)) -> bytes:
    image = Image.new("RGB", (width, height), color)
    # A darker left half, so that a rotation is visible in the pixels too.
    image.paste((20, 20, 20), (0, 0, width // 2, height))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"  # Make: must not survive
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def _upload(content: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- GTIN ---------------------------------------------------------------------------------------

VALID_GTINS = {
    "GTIN-8": "96385074",
    "GTIN-12": "036000291452",
    "GTIN-13": "8938605123010",
    "GTIN-14": "18938605123017",
}


def test_gtin_check_digits():
    for kind, number in VALID_GTINS.items():
        assert gtin_lib.is_valid(number), kind
    assert not gtin_lib.is_valid("8938605123011")  # check digit off by one
    assert not gtin_lib.is_valid("893860512301A")
    assert not gtin_lib.is_valid("89386051230")  # 11 digits
    assert not gtin_lib.is_valid("８９３８６０５１２３０１０")  # full-width digits


@pytest.mark.parametrize("number", list(VALID_GTINS.values()))
def test_product_update_accepts_valid_gtins(coop_a, honey, chair_a, number):
    with tenant(coop_a):
        services.product_update(product=honey, gtin=f" {number} ", actor=chair_a)
    honey.refresh_from_db()
    assert honey.gtin == number
    assert AuditEvent.objects.filter(action="product.update", object_id=str(honey.pk)).exists()


@pytest.mark.parametrize("number", ["8938605123011", "893860512301A", "12345", "abcdefgh"])
def test_product_update_refuses_a_bad_gtin_with_a_clear_message(coop_a, honey, number):
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.product_update(product=honey, gtin=number)
    assert info.value.error_list[0].code == "gtin"
    assert "check digit" in info.value.messages[0]
    honey.refresh_from_db()
    assert honey.gtin == ""


def test_gtin_is_unique_across_cooperatives(coop_a, coop_b, honey, tea_b):
    with tenant(coop_b):
        services.product_update(product=tea_b, gtin="8938605123010")
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.product_update(product=honey, gtin="8938605123010")
    assert info.value.error_list[0].code == "gtin"
    assert "already used by another product" in info.value.messages[0]
    # The message does not tell who holds the number.
    assert coop_b.name not in info.value.messages[0]
    honey.refresh_from_db()
    assert honey.gtin == ""
    # Saving the same product with its own GTIN again is fine.
    with tenant(coop_b):
        services.product_update(product=tea_b, gtin="8938605123010", name="Chè Shan tuyết cổ thụ")
    tea_b.refresh_from_db()
    assert tea_b.name == "Chè Shan tuyết cổ thụ"


def test_product_page_shows_the_gtin_message(login, chair_a, coop_b, honey, tea_b):
    with tenant(coop_b):
        services.product_update(product=tea_b, gtin="8938605123010")
    data = {"name": "Mật ong", "ocop_group": "food", "gtin": "8938605123010", "is_active": "on"}
    client = login(chair_a)
    response = client.post(f"{BASE}{honey.pk}/", opened(client, f"{BASE}{honey.pk}/", data))
    assert response.status_code == 422
    assert _page(
        "This GTIN is already used by another product. A GTIN names one product in the whole world."
    ) in (response.content.decode())
    honey.refresh_from_db()
    assert (honey.name, honey.gtin) == ("Mật ong bạc hà", "")


def test_product_page_saves_every_field(login, accountant_a, honey):
    data = {
        "name": "  Mật ong   hoa bạc hà ",
        "name_en": "Mint-flower honey",
        "ocop_group": "food",
        "sale_unit": "hũ",
        "pack_size": "500",
        "pack_unit": "ml",
        "gtin": "8938605123010",
        "description": "Mật ong nguyên chất.",
        "story": "Hơn 100 hộ người H'Mông nuôi ong nội.",
    }
    client = login(accountant_a)
    response = client.post(f"{BASE}{honey.pk}/", opened(client, f"{BASE}{honey.pk}/", data))
    assert response.status_code == 302
    honey.refresh_from_db()
    assert honey.name == "Mật ong hoa bạc hà"
    assert (honey.sale_unit, honey.pack_size, honey.pack_unit) == ("hũ", Decimal(500), "ml")
    assert honey.gtin == "8938605123010"
    assert honey.story.startswith("Hơn 100 hộ")
    assert honey.is_active is False  # the box was not ticked
    # 500 is shown as 500 again, not as "500,000" (half a million in Vietnamese).
    page = login(accountant_a).get(f"{BASE}{honey.pk}/").content.decode()
    assert 'name="pack_size" value="500"' in page


def test_pack_size_needs_its_unit(coop_a, honey):
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.product_update(product=honey, pack_size=Decimal(500), pack_unit="")
    assert info.value.error_list[0].code == "pack_unit"


# --- photos -------------------------------------------------------------------------------------


def test_photo_upload_makes_upright_small_variants_without_metadata(coop_a, honey, chair_a, settings):
    # 3000×2000 as stored by the camera, with "rotate 90° clockwise to view" (orientation 6).
    content = _jpeg(3000, 2000, orientation=6)
    with tenant(coop_a):
        photo = services.photo_add(product=honey, upload=_upload(content), alt="Hũ mật ong", actor=chair_a)
    photo.refresh_from_db()
    # Upright: portrait now, longest side at most 2000 px.
    assert (photo.width, photo.height) == (1333, 2000)
    with Image.open(photo.original.path) as original:
        assert original.format == "JPEG"
        assert original.size == (1333, 2000)
        assert not original.getexif()  # no orientation, no maker, no GPS
        # The dark half of the camera image (its left) is now on top.
        assert sum(original.getpixel((original.width // 2, 100))) < 150
        assert sum(original.getpixel((original.width // 2, original.height - 100))) > 300
    with Image.open(photo.medium.path) as medium:
        assert medium.width == 800
        assert medium.height == 1200
    with Image.open(photo.small.path) as small:
        assert small.width == 320
        assert not small.getexif()
    assert photo.small.size < 40_000
    assert photo.alt == "Hũ mật ong"
    assert AuditEvent.objects.filter(action="product.photo_add").count() == 1


def test_small_photo_is_not_enlarged(coop_a, honey):
    with tenant(coop_a):
        photo = services.photo_add(product=honey, upload=_upload(_jpeg(300, 200)), alt="")
    with Image.open(photo.small.path) as small, Image.open(photo.medium.path) as medium:
        assert small.size == medium.size == (300, 200)


def test_png_with_transparency_is_stored_as_jpeg(coop_a, honey):
    image = Image.new("RGBA", (900, 600), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with tenant(coop_a):
        photo = services.photo_add(product=honey, upload=_upload(buffer.getvalue(), "a.png", "image/png"))
    with Image.open(photo.original.path) as original:
        assert original.format == "JPEG"
        assert original.getpixel((10, 10)) == (255, 255, 255)


def _truncated_jpeg() -> bytes:
    content = _jpeg(1200, 900)
    return content[: len(content) // 2]


def _big_file() -> bytes:
    return b"\xff\xd8\xff" + b"0" * (6 * 1024 * 1024)


BAD_UPLOADS = {
    "text named .jpg": (
        b"Day la mot tep van ban, khong phai anh.\n" * 20,
        "This file is not a photo we can read",
    ),
    "truncated jpeg": (None, "This file is not a photo we can read"),
    "6 MB": (None, "The photo is too large"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_photo_is_refused_and_nothing_is_stored(login, chair_a, coop_a, honey, settings, case):
    content, expected = BAD_UPLOADS[case]
    if case == "truncated jpeg":
        content = _truncated_jpeg()
    elif case == "6 MB":
        content = _big_file()
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.photo_add(product=honey, upload=_upload(content), alt="x")
    assert expected in info.value.messages[0]
    # Through the page: the message is shown next to the form.
    response = login(chair_a).post(
        f"{BASE}{honey.pk}/photos/", keyed({"photo": _upload(content), "alt": "x"})
    )
    assert response.status_code == 422
    body = response.content.decode()
    from django.utils import translation

    with translation.override("vi"), tenant(coop_a), pytest.raises(ValidationError) as vi_info:
        services.photo_add(product=honey, upload=_upload(content), alt="x")
    assert escape(vi_info.value.messages[0]) in body
    assert ProductPhoto.unscoped.count() == 0
    assert _media_files(settings) == []


def test_image_with_too_many_pixels_is_refused(coop_a, honey, settings):
    # 8000×6000 = 48 megapixels, a tiny file because it is one colour.
    image = Image.new("RGB", (8000, 6000), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert len(buffer.getvalue()) < photos.MAX_BYTES
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.photo_add(product=honey, upload=_upload(buffer.getvalue(), "big.png", "image/png"))
    assert "too many pixels" in info.value.messages[0]
    assert _media_files(settings) == []


def test_photo_page_upload_list_and_delete(
    login, chair_a, coop_a, honey, settings, django_capture_on_commit_callbacks
):
    client = login(chair_a)
    page = client.get(f"{BASE}{honey.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    response = client.post(
        f"{BASE}{honey.pk}/photos/", keyed({"photo": _upload(_jpeg(1600, 1200)), "alt": "Hũ 500 ml"})
    )
    assert response.status_code == 302
    with tenant(coop_a):
        photo = ProductPhoto.objects.get()
    body = client.get(f"{BASE}{honey.pk}/").content.decode()
    assert photo.small.url in body
    assert 'alt="Hũ 500 ml"' in body
    assert 'width="320" height="240"' in body
    assert len(_media_files(settings)) == 3
    # The list shows the small variant, lazily, with its size.
    listing = client.get(BASE).content.decode()
    assert f'src="{photo.small.url}"' in listing
    assert 'loading="lazy"' in listing
    assert 'width="64" height="64"' in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}{honey.pk}/photos/{photo.pk}/delete/")
    assert response.status_code == 302
    assert ProductPhoto.unscoped.count() == 0
    assert _media_files(settings) == []


# --- certificates -------------------------------------------------------------------------------


def test_ocop_certificate_is_valid_36_months_by_default(coop_a, honey, chair_a):
    issued = dt.date(2024, 3, 18)
    with tenant(coop_a):
        certificate = services.certificate_add(
            product=honey,
            kind="ocop",
            stars=4,
            number="OCOP-HG-2024-0117",
            issuer="UBND tỉnh Hà Giang",
            issued_on=issued,
            actor=chair_a,
        )
    assert certificate.expires_on == dt.date(2027, 3, 18)
    assert certificate.expires_on == add_months(issued, 36)
    assert AuditEvent.objects.filter(action="certificate.add").count() == 1
    # End of month: 29 February + 36 months is the last day of February.
    with tenant(coop_a):
        leap = services.certificate_add(
            product=honey, kind="ocop", stars=3, number="", issuer="UBND", issued_on=dt.date(2024, 2, 29)
        )
    assert leap.expires_on == dt.date(2027, 2, 28)


def test_ocop_needs_stars(coop_a, honey):
    for stars in (None, 0, 6):
        with tenant(coop_a), pytest.raises(ValidationError) as info:
            services.certificate_add(
                product=honey,
                kind="ocop",
                stars=stars,
                number="1",
                issuer="UBND",
                issued_on=dt.date(2024, 1, 1),
            )
        assert info.value.error_list[0].code == "stars"
        assert "1 to 5 stars" in info.value.messages[0]
    assert Certificate.unscoped.count() == 0


def test_other_certificates_keep_no_stars_and_may_have_no_expiry(coop_a, honey):
    with tenant(coop_a):
        gi = services.certificate_add(
            product=honey,
            kind="gi",
            stars=3,
            number="CDĐL 00038",
            issuer="Cục SHTT",
            issued_on=dt.date(2013, 11, 5),
        )
        coop_level = services.certificate_add(
            product=None,
            kind="vietgap",
            stars=None,
            number="V-1",
            issuer="TT VietGAP",
            issued_on=dt.date(2024, 9, 1),
            expires_on=dt.date(2027, 9, 1),
        )
    assert (gi.stars, gi.expires_on) == (None, None)
    assert coop_level.product is None


def test_certificate_dates_are_checked(coop_a, honey):
    today = timezone.localdate()
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.certificate_add(
            product=honey,
            kind="vietgap",
            stars=None,
            number="1",
            issuer="X",
            issued_on=dt.date(2024, 5, 1),
            expires_on=dt.date(2024, 4, 30),
        )
    assert "expiry date cannot be before the issue date" in info.value.messages[0]
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.certificate_add(
            product=honey,
            kind="ocop",
            stars=3,
            number="1",
            issuer="X",
            issued_on=today + dt.timedelta(days=1),
        )
    assert "cannot be in the future" in info.value.messages[0]
    assert Certificate.unscoped.count() == 0


def test_certificate_document_type_and_size(coop_a, honey, settings):
    def add(upload):
        return services.certificate_add(
            product=honey,
            kind="haccp",
            stars=None,
            number="H-1",
            issuer="X",
            issued_on=dt.date(2024, 1, 1),
            document=upload,
        )

    with tenant(coop_a):
        with pytest.raises(ValidationError) as info:
            add(SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"))
        assert "PDF, JPEG or PNG" in info.value.messages[0]
        with pytest.raises(ValidationError) as info:
            add(SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)))
        assert "too large" in info.value.messages[0]
        assert _media_files(settings) == []
        certificate = add(
            SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        )
    assert certificate.document.name.endswith(".pdf")
    assert certificate.document.read().startswith(b"%PDF-")


def test_certificate_form_on_the_page(login, chair_a, coop_a, honey):
    client = login(chair_a)
    response = client.post(
        f"{BASE}{honey.pk}/certificates/",
        keyed({"kind": "ocop", "stars": "", "number": "X", "issuer": "UBND", "issued_on": "2024-01-10"}),
    )
    assert response.status_code == 422
    assert _page("An OCOP certificate has 1 to 5 stars.") in response.content.decode()
    response = client.post(
        f"{BASE}{honey.pk}/certificates/",
        keyed(
            {"kind": "ocop", "stars": "4", "number": "OCOP-1", "issuer": "UBND", "issued_on": "2024-01-10"}
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        certificate = Certificate.objects.get()
    assert (certificate.stars, certificate.expires_on) == (4, dt.date(2027, 1, 10))
    response = client.post(f"{BASE}{honey.pk}/certificates/{certificate.pk}/delete/")
    assert response.status_code == 302
    assert Certificate.unscoped.count() == 0


def test_expired_and_valid_certificates_are_shown_as_such(login, chair_a, coop_a, honey):
    today = timezone.localdate()
    with tenant(coop_a):
        services.certificate_add(
            product=honey,
            kind="ocop",
            stars=3,
            number="OLD-OCOP",
            issuer="UBND",
            issued_on=add_months(today, -40),
        )
        services.certificate_add(
            product=honey,
            kind="vietgap",
            stars=None,
            number="GOOD-VG",
            issuer="TT VietGAP",
            issued_on=today - dt.timedelta(days=10),
            expires_on=today + dt.timedelta(days=700),
        )
        services.certificate_add(
            product=honey,
            kind="haccp",
            stars=None,
            number="SOON-HACCP",
            issuer="X",
            issued_on=today - dt.timedelta(days=300),
            expires_on=today + dt.timedelta(days=30),
        )
    body = login(chair_a).get(f"{BASE}{honey.pk}/").content.decode()

    def item(number: str) -> str:
        """The certificate's entry in the list, from its <li> to the next </li>."""
        at = body.index(number)
        return body[body.rindex("<li>", 0, at) : body.index("</li>", at)]

    assert f'<span class="badge badge-expired">{_page("expired")}</span>' in item("OLD-OCOP")
    assert f'<span class="badge">{_page("valid")}</span>' in item("GOOD-VG")
    assert "badge-expired" not in item("GOOD-VG")
    assert f'<span class="badge badge-expiring">{_page("expires soon")}</span>' in item("SOON-HACCP")
    # The list shows the OCOP stars of the product.
    assert "★★★" in login(chair_a).get(BASE).content.decode()


def test_dashboard_reminds_the_chair_of_expiring_and_expired_certificates(
    login, chair_a, collector_a, coop_a, coop_b, honey, tea_b
):
    today = timezone.localdate()
    with tenant(coop_a):
        services.certificate_add(
            product=honey,
            kind="ocop",
            stars=4,
            number="OCOP-SOON",
            issuer="UBND",
            issued_on=add_months(today, -35),
        )
        services.certificate_add(
            product=None,
            kind="vietgap",
            stars=None,
            number="VG-OLD",
            issuer="TT VietGAP",
            issued_on=today - dt.timedelta(days=800),
            expires_on=today - dt.timedelta(days=5),
        )
        services.certificate_add(
            product=honey,
            kind="haccp",
            stars=None,
            number="HACCP-FAR",
            issuer="X",
            issued_on=today - dt.timedelta(days=1),
            expires_on=today + dt.timedelta(days=400),
        )
    with tenant(coop_b):
        services.certificate_add(
            product=tea_b,
            kind="ocop",
            stars=3,
            number="OCOP-OF-B",
            issuer="UBND",
            issued_on=add_months(today, -35),
        )
    body = login(chair_a).get("/c/coop-a/").content.decode()
    assert _page("Certificates to renew") in body
    assert "OCOP-SOON" in body
    assert "VG-OLD" in body
    assert "HACCP-FAR" not in body
    assert "OCOP-OF-B" not in body
    assert f"{BASE}{honey.pk}/" in body
    # A collector does not renew certificates: no notice.
    body = login(collector_a).get("/c/coop-a/").content.decode()
    assert _page("Certificates to renew") not in body


def test_renewed_certificate_is_not_reminded(coop_a, honey):
    today = timezone.localdate()
    with tenant(coop_a):
        old = services.certificate_add(
            product=honey, kind="ocop", stars=3, number="OLD", issuer="UBND", issued_on=add_months(today, -40)
        )
        assert list(selectors.certificates_expired()) == [old]
        services.certificate_add(
            product=honey,
            kind="ocop",
            stars=4,
            number="NEW",
            issuer="UBND",
            issued_on=today - dt.timedelta(days=3),
        )
        assert list(selectors.certificates_expired()) == []
        assert list(selectors.certificates_expiring()) == []


def test_reminder_tag_renders_nothing_without_a_cooperative(rf):
    from django.template import Context, Template

    request = rf.get("/")
    html = Template("{% load catalog_tags %}[{% certificate_reminders %}]").render(
        Context({"request": request})
    )
    assert html.replace("\n", "") == "[]"


# --- who may do what ----------------------------------------------------------------------------


def test_collector_reads_but_cannot_change(login, collector_a, coop_a, honey):
    client = login(collector_a)
    response = client.get(f"{BASE}{honey.pk}/")
    assert response.status_code == 200
    assert 'action="/c/coop-a/catalog/' not in response.content.decode()  # no forms
    assert client.post(f"{BASE}{honey.pk}/", {"name": "Đổi", "ocop_group": "food"}).status_code == 403
    assert (
        client.post(f"{BASE}{honey.pk}/photos/", keyed({"photo": _upload(_jpeg(400, 300))})).status_code
        == 403
    )
    response = client.post(
        f"{BASE}{honey.pk}/certificates/", keyed({"kind": "gi", "issuer": "X", "issued_on": "2024-01-01"})
    )
    assert response.status_code == 403
    honey.refresh_from_db()
    assert honey.name == "Mật ong bạc hà"
    assert ProductPhoto.unscoped.count() == Certificate.unscoped.count() == 0


def test_sales_may_edit_the_catalog(login, coop_a, honey):
    from hoptac.accounts.services import membership_set
    from hoptac.core.roles import Role
    from tests.conftest import make_user

    seller = make_user("0911000109", "Bán hàng A")
    membership_set(user=seller, cooperative=coop_a, role=Role.SALES)
    client = login(seller)
    response = client.post(
        f"{BASE}{honey.pk}/",
        opened(client, f"{BASE}{honey.pk}/", {"name": "Mật ong", "ocop_group": "food", "is_active": "on"}),
    )
    assert response.status_code == 302
    honey.refresh_from_db()
    assert honey.name == "Mật ong"


def test_other_cooperative_gets_404(login, chair_b, coop_a, honey, tea_b):
    client = login(chair_b)
    assert client.get(f"/c/coop-a/catalog/{honey.pk}/").status_code == 404
    # Through its own address, coop_a's product is not there either.
    assert client.get(f"/c/coop-b/catalog/{honey.pk}/").status_code == 404
    response = client.post(f"/c/coop-b/catalog/{honey.pk}/", {"name": "Hacked", "ocop_group": "food"})
    assert response.status_code == 404
    honey.refresh_from_db()
    assert honey.name == "Mật ong bạc hà"
    body = client.get("/c/coop-b/catalog/").content.decode()
    assert tea_b.name in body
    assert honey.name not in body


# --- queries ------------------------------------------------------------------------------------


def _fill(coop, start: int, stop: int) -> None:
    """Products ``start``..``stop - 1``, each with a photo and an OCOP certificate."""
    today = timezone.localdate()
    with tenant(coop):
        for index in range(start, stop):
            product = Product.objects.create(
                cooperative=coop, code=f"P{index:03d}", name=f"Sản phẩm {index:03d}"
            )
            ProductPhoto.objects.create(
                cooperative=coop,
                product=product,
                original="x.jpg",
                small="x-320.jpg",
                medium="x-800.jpg",
                width=320,
                height=240,
            )
            Certificate.objects.create(
                cooperative=coop,
                product=product,
                kind="ocop",
                stars=1 + index % 5,
                issuer="UBND",
                issued_on=today,
                expires_on=add_months(today, 36),
            )


def test_product_list_queries_do_not_grow_with_products(login, chair_a, coop_a):
    client = login(chair_a)
    _fill(coop_a, 0, 5)
    client.get(BASE)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as five:
        response = client.get(BASE)
    assert response.content.decode().count("Sản phẩm 0") == 5
    _fill(coop_a, 5, 30)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(BASE)
    body = response.content.decode()
    assert body.count("Sản phẩm 0") == 30
    assert body.count('loading="lazy"') == 30
    assert len(thirty) == len(five), [q["sql"] for q in thirty.captured_queries]


def test_product_detail_queries_are_constant(coop_a, honey):
    _fill(coop_a, 0, 1)
    with tenant(coop_a), CaptureQueriesContext(connection) as queries:
        product = selectors.product_detail(honey.pk)
        list(product.photos.all())
        list(product.certificates.all())
    assert len(queries) == 3
