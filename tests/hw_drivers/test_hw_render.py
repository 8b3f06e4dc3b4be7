"""The receipt renderer: the text on the paper, the ESC/POS bytes and the PNG preview."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hw_drivers.errors import ConfigError
from hw_drivers.receipt import (
    Currency,
    Receipt,
    ReceiptLine,
    Report,
    ReportRow,
    StoreHeader,
    format_qty,
)
from hw_drivers.render import ReceiptRenderer
from hw_drivers.render.document import Composer, Text
from hw_drivers.render.preview import document_image

SALE_58 = """\
   幸福便利店
       上海市人民路 88 号
         021-5555 0101
--------------------------------
小票号: S01-0042
                2024-05-01 14:03
收银员: 王芳
--------------------------------
可口可乐 330ml
  2 x ￥3.50              ￥7.00
  第二件半价             -￥1.75
红富士苹果
  1.254 kg x ￥12.80/kg  ￥16.05
--------------------------------
小计                     ￥21.30
满20减2                  -￥2.00
合计     ￥19.30
--------------------------------
现金                     ￥50.00
找零                     ￥30.70
--------------------------------
增值税 13% (￥17.08)      ￥2.22
以上价格含税
--------------------------------
会员卡号                ****1234
会员等级                金卡会员
本次积分                     +19
积分余额                    1253
--------------------------------
    3f1c2a9e-7b4d-4e21-9a55-
          0c6d2b7e8f10
            谢谢惠顾
"""

REFUND_80 = """\
       幸福便利店
               上海市人民路 88 号
                 021-5555 0101
         退货单
------------------------------------------------
小票号: R01-0007                2024-05-02 09:30
原小票号: S01-0042
收银员: 李雷
------------------------------------------------
可口可乐 330ml
  -1 x ￥3.50                            -￥3.50
------------------------------------------------
小计                                     -￥3.50
合计             -￥3.50
------------------------------------------------
现金                                     -￥3.50
找零                                      ￥0.00
------------------------------------------------
      9b2d4c1a-0000-4000-8000-00000000abcd
"""


def renderer(width=58, **options) -> ReceiptRenderer:
    return ReceiptRenderer(paper_width_mm=width, **options)


def test_58mm_chinese_sale_receipt_reads_as_expected(sale_receipt):
    assert renderer(58).receipt(sale_receipt).text == SALE_58


def test_80mm_refund_receipt_reads_as_expected(refund_receipt):
    assert renderer(80).receipt(refund_receipt).text == REFUND_80


def test_80mm_sale_uses_48_columns_with_discount_and_promotion_rows(sale_receipt):
    lines = renderer(80).receipt(sale_receipt).text.splitlines()
    assert "-" * 48 in lines and "-" * 49 not in lines
    assert "  第二件半价                             -￥1.75" in lines
    assert "满20减2                                  -￥2.00" in lines
    assert "小票号: S01-0042                2024-05-01 14:03" in lines


@pytest.mark.parametrize("width, columns", [(58, 32), (80, 48)])
def test_no_row_is_wider_than_the_paper(sale_receipt, refund_receipt, width, columns):
    r = renderer(width)
    for receipt in (sale_receipt, refund_receipt):
        for block in r.receipt(receipt).document.blocks:
            if isinstance(block, Text):
                limit = columns // 2 if block.double else columns
                assert r.charset.width(block.text) == limit, block  # padded to exactly the row


def test_reprint_is_marked(sale_receipt):
    assert "** 重打小票 **" in renderer().receipt(sale_receipt, reprint=True).text
    assert "重打小票" not in renderer().receipt(sale_receipt).text


def test_english_receipt_on_a_code_page_printer():
    receipt = Receipt(
        sale_id="s-1", receipt_no="0001", created_at=datetime(2024, 1, 2, 3, 4),
        store=StoreHeader("Café Corner"), cashier="Ann",
        lines=(ReceiptLine("Crème brûlée 可乐", 1000, 450, 450),),
        subtotal=450, total=450, currency=Currency("USD", 2, "$"), language="en",
    )
    rendered = renderer(80, encoding="cp437", code="none").receipt(receipt)
    assert "Crème brûlée ??" in rendered.text
    assert "Cashier: Ann" in rendered.text and "Subtotal" in rendered.text
    assert b"\x1bt\x00" in rendered.escpos  # ESC t 0: code page 437
    assert "Crème brûlée".encode("cp437") in rendered.escpos
    assert b"\x1c&" not in rendered.escpos  # no Chinese mode


def test_escpos_bytes_use_chinese_mode_gb18030_and_cut(sale_receipt):
    data = renderer(58).receipt(sale_receipt).escpos
    assert data.startswith(b"\x1b@\x1c&")  # ESC @ initialise, FS & Chinese mode
    assert "可口可乐 330ml".encode("gb18030") in data
    assert "￥19.30".encode("gb18030") in data
    assert b"\x1d!\x11" in data and b"\x1d!\x00" in data  # double size on and off (GS !)
    assert b"\x1bE\x01" in data  # bold
    assert b"\x1dv0" in data  # the QR code as a raster image (GS v 0)
    assert data.endswith(b"\x1dV\x00")  # full cut


def test_native_codes_let_the_printer_draw_the_qr(sale_receipt):
    data = renderer(80, native_codes=True).receipt(sale_receipt).escpos
    assert b"\x1d(k" in data and sale_receipt.sale_id.encode() in data
    assert b"\x1dv0" not in data


def test_code128_option_encodes_the_receipt_number(sale_receipt):
    native = renderer(80, code="code128", native_codes=True).receipt(sale_receipt).escpos
    assert b"\x1dkI" in native and b"{BS01-0042" in native
    drawn = renderer(80, code="code128").receipt(sale_receipt)
    assert b"\x1dv0" in drawn.escpos


@pytest.mark.parametrize("width, dots", [(58, 384), (80, 576)])
def test_png_preview_is_as_wide_as_the_paper(sale_receipt, width, dots):
    rendered = renderer(width).receipt(sale_receipt)
    image = rendered.image()
    assert image.width == dots
    assert image.height > 30 * len(rendered.text.splitlines())  # every row plus the QR
    assert rendered.png().startswith(b"\x89PNG\r\n\x1a\n")


def test_png_preview_draws_real_chinese_glyphs():
    r = renderer(58)
    composer = Composer(r.paper, r.charset)
    composer.line("合计")
    page = document_image(composer.document())
    first, second = page.crop((0, 12, 24, 42)), page.crop((24, 12, 48, 42))
    assert first.getextrema()[0] < 128 and second.getextrema()[0] < 128  # ink in both cells
    assert first.tobytes() != second.tobytes()  # two different glyphs, not two "tofu" boxes


def test_logo_is_printed_first_and_previewed(sale_receipt, tmp_path):
    logo_path = tmp_path / "logo.png"
    Image.new("L", (100, 40), 0).save(logo_path)
    rendered = renderer(58, logo=logo_path).receipt(sale_receipt)
    data = rendered.escpos
    assert data.index(b"\x1dv0") < data.index("幸福便利店".encode("gb18030"))
    page = rendered.image()
    assert page.getpixel((192, 30)) == 0  # the black logo, centred at the top
    assert page.getpixel((20, 30)) == 255


def test_profile_with_a_narrower_print_head_gets_fewer_columns(sale_receipt):
    r = renderer(80, profile="TM-T88V")
    assert r.paper.columns == 42
    assert r.receipt(sale_receipt).image().width == 512
    assert "-" * 42 in r.receipt(sale_receipt).text.splitlines()


def test_report_rows_and_headings():
    report = Report(
        title="X 报表", created_at=datetime(2024, 5, 1, 18, 0, 5), store=StoreHeader("幸福便利店"),
        subtitle="收银员: 王芳",
        rows=(ReportRow("销售", heading=True), ReportRow("笔数", "42"), ReportRow("合计", "¥1,234.50"),
              ReportRow("现金", heading=True), ReportRow("备用金", "¥200.00")),
    )
    assert renderer(58).report(report).text == """\
           幸福便利店
     X 报表
          收银员: 王芳
      2024-05-01 18:00:05
--------------------------------
销售
笔数                          42
合计                  ￥1,234.50
现金
备用金                  ￥200.00
--------------------------------
"""


def test_bad_printer_config_is_reported_with_what_to_use():
    with pytest.raises(ConfigError, match="58 or 80"):
        renderer(76)
    with pytest.raises(ConfigError, match="gb18030"):
        renderer(58, encoding="shift_jis")
    with pytest.raises(ConfigError, match="profile"):
        renderer(58, profile="no-such-printer")
    with pytest.raises(ConfigError, match="qr"):
        renderer(58, code="pdf417")


def test_money_and_quantity_formats():
    assert Currency().format(-175) == "-¥1.75"
    assert Currency("JPY", 0, "¥").format(1200) == "¥1200"
    assert Currency("KWD", 3, "KD").format(1005) == "KD1.005"
    assert format_qty(2000, "each") == "2" and format_qty(1500, "each") == "1.5"
    assert format_qty(1254, "kg") == "1.254 kg" and format_qty(-500, "kg") == "-0.500 kg"


mixed_text = st.lists(st.sampled_from(list("ab1 -可乐￥。") + ["Organic", "苹果"]), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=mixed_text, columns=st.integers(min_value=2, max_value=48))
def test_wrapping_fits_the_columns_and_keeps_every_character(text, columns):
    r = renderer(80)
    rows = Composer(r.paper, r.charset).wrap(text, columns)
    assert all(r.charset.width(row) <= columns for row in rows)
    assert "".join(rows).replace(" ", "") == r.charset.normalize(text).replace(" ", "")


@settings(max_examples=100, deadline=None)
@given(left=mixed_text, right=mixed_text, double=st.booleans())
def test_pairs_always_fit_the_row(left, right, double):
    r = renderer(58)
    composer = Composer(r.paper, r.charset)
    composer.pair(left, right, double=double)
    limit = 16 if double else 32
    assert all(r.charset.width(block.text) <= limit for block in composer.blocks)
