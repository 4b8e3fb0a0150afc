"""The small form that edits a fact or adds one by hand: it checks what it takes (store.corrections.validate)
and says what is wrong in the form itself; nothing is saved until every field is right."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from feeds.models import PAYMENT_STATUSES, STAGES
from store import FactRow
from store.corrections import AMOUNT_KINDS, EDITABLE, CorrectionError, check_source, validate
from tui.format import clean

# (field, label, placeholder); a field with choices is a Select.
_LABELS = {"stage": "Stage", "happened": "Date", "amount": "Amount", "currency": "Currency", "payer": "Payer",
           "payee": "Payee", "status": "Status", "amount_kind": "Amount is", "speaker": "Who warned",
           "concern": "Concern", "denied_by": "Denied by"}
_HINTS = {"happened": "YYYY, YYYY-MM or YYYY-MM-DD", "amount": "50m, 1.2bn or 50,000,000", "currency": "GBP, USD, EUR…",
          "payer": "who pays", "payee": "who is paid", "speaker": "UNHCR, a court, an NGO…",
          "concern": "refoulement, detention…", "denied_by": "optional"}
_CHOICES: dict[str, Sequence[str]] = {"stage": STAGES, "status": PAYMENT_STATUSES, "amount_kind": AMOUNT_KINDS}


def initial_values(fact: FactRow | None, kind: str, when: str | None = None) -> dict[str, Any]:
    """The form's fields as the fact has them; the date, when the fact names none, the one its row shows (its
    story's date: `when`)."""
    if fact is None:
        return {}
    values = {name: getattr(fact, name) for name in EDITABLE[kind]}
    if not values.get("happened") and when:
        values["happened"] = when
    return values


def _shown(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "amount" and isinstance(value, int | float):
        for unit, size in (("bn", 1e9), ("m", 1e6)):
            if value >= size and round(value / size, 3) * size == value:
                return f"{value / size:g}{unit}"  # 50m, 1.2bn: as the form takes them back
        return str(int(value)) if float(value).is_integer() else str(value)
    return clean(value, limit=500)


class FactForm(ModalScreen[dict[str, Any] | None]):
    """Edit a fact's values, or add a fact (then with its agreement, a note and a source link)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save"),
    ]

    def __init__(self, kind: str, *, values: dict[str, Any] | None = None, adding: bool = False,
                 agreements: Sequence[tuple[str, str]] = (), agreement: str | None = None,
                 note: str = "", link: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.values = dict(values or {})
        self.adding = adding
        self.agreements = list(agreements)
        self.agreement = agreement
        self.note = note
        self.link = link or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = Content(f"{'Add' if self.adding else 'Edit'} {self.kind}")
            box.border_subtitle = Content("ctrl+s or enter to save · esc to cancel")
            with VerticalScroll(id="form-fields"):
                if self.adding and self.agreements:
                    yield self._row("Agreement", Select([(clean(t, limit=50), a) for a, t in self.agreements],
                                                        value=self.agreement if self.agreement in dict(self.agreements)
                                                        else self.agreements[0][0],
                                                        allow_blank=False, compact=True, id="field-agreement"))
                for name in EDITABLE[self.kind]:
                    value = self.values.get(name)
                    if name in _CHOICES:
                        choices = list(_CHOICES[name])
                        widget: Input | Select[str] = Select(
                            [(c, c) for c in choices], value=value if value in choices else choices[0],
                            allow_blank=False, compact=True, id=f"field-{name}")
                    else:
                        widget = Input(_shown(name, value), placeholder=_HINTS.get(name, ""), compact=True,
                                       id=f"field-{name}")
                    yield self._row(_LABELS[name], widget)
                yield self._row("Note", Input(self.note, placeholder="why (your words)" if not self.adding
                                              else "where this comes from", compact=True, id="field-note"))
                yield self._row("Source link", Input(self.link, placeholder="https://…", compact=True,
                                                     id="field-link"))
            yield Label("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Save", variant="primary", id="form-save", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    @staticmethod
    def _row(label: str, widget: Input | Select[str]) -> Horizontal:
        return Horizontal(Label(Content(label), classes="form-label"), widget, classes="form-row")

    def on_mount(self) -> None:
        first = self.query(Input).first() if self.kind != "stage" else self.query_one(f"#field-{EDITABLE[self.kind][0]}")
        first.focus()

    def collect(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in EDITABLE[self.kind]:
            widget = self.query_one(f"#field-{name}")
            values[name] = widget.value if not isinstance(widget, Select) or widget.value != Select.NULL else None
        return values

    def action_save(self) -> None:
        values = self.collect()
        note = self.query_one("#field-note", Input).value
        link = self.query_one("#field-link", Input).value
        try:
            checked = validate(self.kind, values, adding=self.adding)
            note, link_ok = check_source(note, link, adding=self.adding)
        except CorrectionError as exc:
            # The message may quote what was typed: it is shown as Content, literally.
            self.query_one("#form-error", Label).update(Content(str(exc)))
            self.query_one("#form-error", Label).add_class("-shown")
            return
        result: dict[str, Any] = {"values": checked, "note": note, "link": link_ok}
        if self.adding:
            agreement = self.query("#field-agreement")
            result["agreement"] = agreement.first(Select).value if agreement else self.agreement
        self.dismiss(result)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
