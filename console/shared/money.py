"""Amounts as people read them: JPY (and other zero-decimal currencies) without a minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from console.shared.model import ZERO_DECIMAL_CURRENCIES


def money(amount: Decimal, currency: str | None, *, with_code: bool = True) -> str:
    """``1,250,000 JPY``, ``4,210.50 USD`` (without the code: ``4,210.50``)."""
    code = (currency or "").upper()
    places = Decimal(1) if code in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    value = amount.quantize(places, rounding=ROUND_HALF_UP)
    text = f"{value:,.0f}" if places == 1 else f"{value:,.2f}"
    return f"{text} {code}".strip() if with_code else text
