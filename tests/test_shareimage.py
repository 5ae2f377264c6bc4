"""Share images of products (``hoptac.lib.shareimage``)."""

from __future__ import annotations

import io
import random

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from hoptac.lib import shareimage
from hoptac.lib.shareimage import FONT_DIR, GOLD, PAPER, font, render_share_image

VIETNAMESE = "Mật ong bạc hà Đồng Văn ưỡ ỳ ặ ổ ữ ợ Ẩ Ỹ đ"
CARD = {"title": "Mật ong bạc hà Mèo Vạc", "price_text": "250.000 đ", "stars": 4, "coop_name": "HTX Lũng Cú"}


@pytest.fixture(scope="module")
def photo() -> bytes:
    return make_photo()


def make_photo() -> bytes:
    """A 1600 × 1200 JPEG with a gradient and coloured discs, roughly like a product photo."""
    image = Image.new("RGB", (1600, 1200))
    draw = ImageDraw.Draw(image)
    for y in range(1200):
        draw.line((0, y, 1600, y), fill=(220 - y // 10, 160 - y // 12, 40 + y // 20))
    rnd = random.Random(3)
    for _ in range(60):
        x, y, r = rnd.randint(0, 1600), rnd.randint(0, 1200), rnd.randint(20, 140)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rnd.randint(150, 255), rnd.randint(90, 200), 40))
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(2)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image.convert("RGB")


def _diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_landscape_card_with_photo(photo):
    data = render_share_image(photo=photo, **CARD)
    assert len(data) < 150_000
    image = _open(data)
    assert image.size == (1200, 630)
    # The left half is the photo, cover-cropped (its centre, scaled to the height).
    # 600 × 630 from 1600 × 1200: the middle 1143 × 1200.
    expected = Image.open(io.BytesIO(photo)).convert("RGB").crop((228, 0, 1371, 1200)).resize((600, 630))
    assert _diff(image.crop((0, 0, 590, 630)), expected.crop((0, 0, 590, 630))) < 3
    # The right half is the light panel, with text on it.
    assert image.getpixel((1190, 620)) == pytest.approx(PAPER, abs=6)
    assert _diff(image.crop((620, 0, 1200, 630)), Image.new("RGB", (580, 630), PAPER)) > 5


def test_photo_from_a_path_is_the_same_card(photo, tmp_path):
    path = tmp_path / "honey.jpg"
    path.write_bytes(photo)
    assert render_share_image(photo=str(path), **CARD) == render_share_image(photo=photo, **CARD)


def test_no_photo_or_a_broken_one_gives_the_green_card():
    clean = render_share_image(photo=None, **CARD)
    assert render_share_image(photo=b"not an image at all", **CARD) == clean
    image = _open(clean)
    assert image.size == (1200, 630)
    red, green, blue = image.getpixel((8, 620))
    assert green > red + 40 and green > blue + 30


def _glyph(face, letter: str) -> bytes:
    image = Image.new("L", (120, 120))
    ImageDraw.Draw(image).text((20, 20), letter, font=face, fill=255)
    return image.tobytes()


def test_font_has_every_vietnamese_letter():
    """No "tofu": each letter is drawn with its own glyph, not the font's missing-glyph box."""
    face = font(48, bold=True)
    missing = _glyph(face, "\ue000")  # a private-use character no font of ours has
    assert _glyph(face, "\ue001") == missing  # the check recognises the missing box
    assert _glyph(face, "a") != missing
    for bold in (False, True):
        face = font(48, bold=bold)
        missing = _glyph(face, "\ue000")
        for letter in set(VIETNAMESE) - {" "}:
            assert _glyph(face, letter) != missing, letter
    # Accents are drawn: "ậ" is "a" with more ink above and below.
    assert face.getbbox("ậ")[1] < face.getbbox("a")[1] and face.getbbox("ậ")[3] > face.getbbox("a")[3]


def test_title_text_is_drawn_with_its_accents(photo):
    plain = _open(render_share_image(photo=photo, **{**CARD, "title": "Mat ong bac ha"}))
    accented = _open(render_share_image(photo=photo, **{**CARD, "title": "Mật ong bạc hà"}))
    blank = _open(render_share_image(photo=photo, **{**CARD, "title": " "}))
    title_area = (640, 110, 1200, 330)
    assert _diff(accented.crop(title_area), plain.crop(title_area)) > 0.5
    assert _diff(plain.crop(title_area), blank.crop(title_area)) > 5
    # The photo side does not change with the title.
    assert _diff(accented.crop((0, 0, 590, 630)), plain.crop((0, 0, 590, 630))) < 0.5


def _gold_pixels(image: Image.Image) -> int:
    data = image.tobytes()
    return sum(
        1
        for r, g, b in zip(data[0::3], data[1::3], data[2::3], strict=True)
        if abs(r - GOLD[0]) < 30 and abs(g - GOLD[1]) < 30 and abs(b - GOLD[2]) < 40
    )


def test_ocop_stars_are_drawn(photo):
    cards = {
        stars: _open(render_share_image(photo=photo, **{**CARD, "stars": stars})) for stars in (None, 3, 5)
    }
    panel = (610, 0, 1200, 630)
    gold = {stars: _gold_pixels(image.crop(panel)) for stars, image in cards.items()}
    assert gold[None] == 0
    assert gold[3] > 800
    assert gold[5] == pytest.approx(gold[3] * 5 / 3, rel=0.1)


def test_long_title_is_three_lines_at_most():
    title = "Chè Shan Tuyết cổ thụ Hoàng Su Phì " * 6
    face, lines = shareimage._fit_title(title, 900, (100, 80, 60))
    assert face.size == 60 and len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(face.getlength(line) <= 900 for line in lines)
    face, lines = shareimage._fit_title("Mật ong", 900, (100, 80, 60))
    assert face.size == 100 and lines == ["Mật ong"]
    # A word longer than the line is cut rather than overflowing.
    assert all(
        font(60, bold=True).getlength(line) <= 300 for line in shareimage._wrap("A" * 80, font(60), 300)
    )


@pytest.mark.parametrize("with_photo", [True, False])
def test_square_card_with_a_qr_code_that_reads(photo, with_photo):
    url = "https://hoptac.example/shop/htx-lung-cu/mat-ong-bac-ha"
    data = render_share_image(photo=photo if with_photo else None, **CARD, square=True, qr_text=url)
    image = _open(data)
    assert image.size == (1080, 1080)
    assert len(data) < 150_000
    results = zxingcpp.read_barcodes(image)
    assert [result.text for result in results] == [url]
    # The code sits in the lower right corner.
    position = results[0].position
    assert position.top_left.x > 540 and position.top_left.y > 540


def test_landscape_card_can_carry_a_qr_code_too(photo):
    image = _open(render_share_image(photo=photo, **CARD, qr_text="DH7KQ2MX5"))
    assert [result.text for result in zxingcpp.read_barcodes(image)] == ["DH7KQ2MX5"]


def test_too_small_a_size_is_refused():
    with pytest.raises(ValueError):
        render_share_image(photo=None, **CARD, size=(100, 100))


def test_vendored_font_is_small_and_licensed():
    fonts = sorted(path.name for path in FONT_DIR.glob("*.ttf"))
    assert fonts == ["BeVietnamPro-Bold.ttf", "BeVietnamPro-Regular.ttf"]
    assert sum(path.stat().st_size for path in FONT_DIR.glob("*.ttf")) < 400 * 1024
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONT_DIR / "OFL.txt").read_text()
