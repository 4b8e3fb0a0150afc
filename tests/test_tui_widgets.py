"""Formatting used by the panes: amounts with currency symbols, payment lines, literal text."""

from __future__ import annotations

from store import FactRow
from tui.widgets import clean, format_amount, format_payment, lit


def test_format_amount_symbols_and_scales() -> None:
    assert format_amount(50_000_000, "GBP") == "£50m"
    assert format_amount(66_000_000, "USD") == "$66m"
    assert format_amount(1_500_000_000, "EUR") == "€1.5bn"
    assert format_amount(370_000_000, "AUD") == "A$370m"
    assert format_amount(2_250_000, "GBP") == "£2.25m"
    assert format_amount(12_000, "USD") == "$12,000"
    assert format_amount(5_000_000, "XOF") == "XOF 5m"
    assert format_amount(None, "GBP") == "£ amount unknown"
    assert format_amount(7_400_000_000, None) == "7.4bn"


def test_payment_line() -> None:
    fact = FactRow(id=1, story_id="s", kind="payment", agreement_id="uk-rwanda", amount=50e6, currency="GBP",
                   payer="UK", payee="Rwanda", status="claimed")
    assert format_payment(fact) == "UK → Rwanda £50m claimed"


def test_lit_keeps_markup_and_shows_escapes_literally() -> None:
    hostile = "[bold]x[/] [@click=app.quit]z[/] [/ \x1b]0;title\x07\x1b[31mred"
    text = lit(hostile)
    # ESC shows as the visible ␛ (the sequence reads as written and does nothing); BEL is dropped
    assert text.plain == "[bold]x[/] [@click=app.quit]z[/] [/ ␛]0;title␛[31mred"
    assert "\x1b" not in text.plain and "\x07" not in text.plain
    assert not text.spans
    assert clean("a\nb\tc") == "a b c"


def test_a_storys_agreements_are_never_cut_to_a_few_letters() -> None:
    from tui.panes.inbox import agreements_cell

    assert agreements_cell(["uk-rwanda"], 16) == "uk-rwanda"
    assert agreements_cell(["uk-rwanda", "us-rwanda"], 16) == "uk-rwanda +1"
    assert agreements_cell(["eu-tunisia", "eu-libya", "eu-egypt"], 16) == "eu-tunisia +2"
