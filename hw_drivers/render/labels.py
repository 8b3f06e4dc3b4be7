"""The fixed words printed on receipts, per language (zh-CN words from the glossary)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReceiptLabels:
    receipt_no: str
    cashier: str
    subtotal: str
    total: str
    change: str
    tax: str
    tax_included: str
    member: str
    tier: str
    points_earned: str
    points_balance: str
    refund: str
    original_receipt: str
    reprint: str


LABELS = {
    "zh-CN": ReceiptLabels(
        receipt_no="小票号", cashier="收银员", subtotal="小计", total="合计", change="找零",
        tax="税额", tax_included="以上价格含税", member="会员卡号", tier="会员等级",
        points_earned="本次积分", points_balance="积分余额", refund="退货单",
        original_receipt="原小票号", reprint="重打小票",
    ),
    "en": ReceiptLabels(
        receipt_no="Receipt", cashier="Cashier", subtotal="Subtotal", total="Total",
        change="Change", tax="Tax", tax_included="Prices include tax", member="Card no.",
        tier="Tier", points_earned="Points earned", points_balance="Points balance",
        refund="REFUND", original_receipt="Original receipt", reprint="REPRINT",
    ),
}


def labels_for(language: str) -> ReceiptLabels:
    """Labels for `language` ("zh-CN", "en"; "zh" and unknown fall back sensibly)."""
    if language in LABELS:
        return LABELS[language]
    return LABELS["zh-CN"] if language.lower().startswith("zh") else LABELS["en"]
