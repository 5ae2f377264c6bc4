"""The share kit's pure parts: captions (``lib/captions.py``) and the share images in both
shapes and both formats (``lib/shareimage.py``), whose QR codes must read back (zxing-cpp)."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
import zxingcpp
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hoptac.lib import captions
from hoptac.lib.captions import MAX_CHARS, CaptionFacts, LotFacts
from hoptac.lib.shareimage import render_share_image
from tests.test_shareimage import make_photo

LINK = "https://hoptac.example/l/S7KQ2M"
FACTS = CaptionFacts(
    name="Mật ong bạc hà Mèo Vạc 500 ml",
    price_vnd=1_250_000,
    link=LINK,
    coop_name="HTX Tuấn Dũng",
    unit="hũ",
    stars=4,
    commune="Xã Mèo Vạc",
    province="Tỉnh Hà Giang",
    description="Mật ong hoa bạc hà thu hoạch trên cao nguyên đá Đồng Văn, sánh và thơm.",
)
LOT = LotFacts(
    trace_code="K7M2QX9",
    trace_url="https://hoptac.example/t/K7M2QX9",
    harvest_from=dt.date(2025, 10, 1),
    harvest_to=dt.date(2025, 11, 15),
    packed_on=dt.date(2025, 12, 1),
    best_before=dt.date(2027, 12, 1),
)


def test_caption_carries_every_fact():
    with translation.override("en"):
        text = captions.caption(FACTS)
    lines = text.splitlines()
    assert lines[0] == "Mật ong bạc hà Mèo Vạc 500 ml"
    assert "1.250.000 ₫ / hũ" in text  # Vietnamese grouping, the đồng sign, no NBSP
    assert "\u00a0" not in text
    assert "★★★★ OCOP 4 stars" in text
    assert "HTX Tuấn Dũng – Xã Mèo Vạc, Tỉnh Hà Giang" in text
    assert FACTS.description in text
    assert LINK in text
    assert lines[-1].split() == ["#OCOP", "#MatOng", "#TinhHaGiang", "#HTXTuanDung"]
    assert len(text) <= MAX_CHARS


def test_caption_of_a_lot_names_its_trace_code_and_dates():
    from dataclasses import replace

    with translation.override("en"):
        text = captions.caption(replace(FACTS, lot=LOT))
    assert "Lot K7M2QX9" in text
    assert "harvested 01/10/2025 – 15/11/2025" in text
    assert "packed 01/12/2025" in text and "best before 01/12/2027" in text
    assert "https://hoptac.example/t/K7M2QX9" in text
    assert text.index("K7M2QX9") < text.index(LINK)


def test_plain_caption_has_no_diacritics_and_is_sms_safe():
    from dataclasses import replace

    with translation.override("en"):
        text = captions.plain(replace(FACTS, lot=LOT))
    assert text.isascii(), [c for c in text if not c.isascii()]
    assert "Mat ong bac ha Meo Vac 500 ml" in text
    assert "1.250.000 d / hu" in text
    assert "HTX Tuan Dung - Xa Meo Vac, Tinh Ha Giang" in text
    assert LINK in text and "OCOP 4 stars" in text


def test_no_stars_no_ocop_tag_and_no_star_line():
    from dataclasses import replace

    with translation.override("en"):
        text = captions.caption(replace(FACTS, stars=None))
    assert "★" not in text and "#OCOP" not in text and "OCOP" not in text


def test_a_long_description_is_shortened_and_the_link_kept():
    from dataclasses import replace

    long = replace(FACTS, description="Mật ong rừng nguyên chất, " * 80, lot=LOT)
    with translation.override("en"):
        text = captions.caption(long)
        plain = captions.plain(long)
    assert len(text) <= MAX_CHARS and len(plain) <= MAX_CHARS
    assert "…" in text and LINK in text and LINK in plain
    assert text.rstrip().endswith("#HTXTuanDung")


@settings(max_examples=30, deadline=None)
@given(
    name=st.text(min_size=1, max_size=300),
    description=st.text(max_size=2000),
    coop=st.text(min_size=1, max_size=200),
    stars=st.one_of(st.none(), st.integers(min_value=0, max_value=9)),
    price=st.integers(min_value=0, max_value=10**11),
)
def test_any_caption_stays_within_bounds_and_keeps_the_link(name, description, coop, stars, price):
    facts = CaptionFacts(
        name=name, price_vnd=price, link=LINK, coop_name=coop, stars=stars, description=description
    )
    with translation.override("en"):
        text = captions.caption(facts)
        plain = captions.plain(facts)
    assert len(text) <= MAX_CHARS and len(plain) <= MAX_CHARS
    assert LINK in text and LINK in plain
    assert plain.isascii()


def test_hashtags():
    assert captions.hashtag("Hà Giang") == "#HaGiang"
    assert captions.hashtag("Đồng Văn – Mèo Vạc") == "#DongVanMeoVac"
    assert captions.hashtag("★ ★") == ""


# --- images -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def photo() -> bytes:
    return make_photo()


CARD = {"title": "Mật ong bạc hà Mèo Vạc", "price_text": "250.000 ₫", "stars": 4, "coop_name": "HTX Lũng Cú"}


@pytest.mark.parametrize("square", [False, True])
@pytest.mark.parametrize("image_format", ["jpeg", "png"])
def test_both_shapes_both_formats_read_back_to_the_link(photo, square, image_format):
    started = time.perf_counter()
    data = render_share_image(photo=photo, **CARD, qr_text=LINK, square=square, image_format=image_format)
    took = time.perf_counter() - started
    image = Image.open(io.BytesIO(data))
    assert image.format == image_format.upper()
    assert image.size == ((1080, 1080) if square else (1200, 630))
    if image_format == "jpeg":
        assert len(data) < 200_000
    else:
        assert len(data) < 600_000
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("RGB"))] == [LINK]
    print(f"{'square' if square else 'wide'} {image_format}: {len(data) // 1024} KB, {took * 1000:.0f} ms")


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        render_share_image(photo=None, **CARD, image_format="gif")
