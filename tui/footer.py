"""The key footer: Textual's Footer, rebuilt only when the keys it shows have changed.

Textual's Footer removes and mounts all its key widgets again whenever the screen's bindings are refreshed:
each focus change, each screen push and pop. Moving between tables with the same keys (the dossier's four
sections, the ledger panes) or coming back to a screen showed the very same keys, rebuilt and restyled each
time. This one compares what it would show (key, how it is displayed under the user's keymap, description,
action, enabled, tooltip, group) with what it shows, and rebuilds only on a difference.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _shown: tuple[Any, ...] | None = None

    def _signature(self) -> tuple[Any, ...]:
        app = self.app
        keys = tuple((binding.key, app.get_key_display(binding), binding.description, binding.action, enabled,
                      tooltip, binding.group, binding.show)
                     for _node, binding, enabled, tooltip in self.screen.active_bindings.values() if binding.show)
        palette = self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING) \
            if self.show_command_palette and app.ENABLE_COMMAND_PALETTE else None
        if palette is not None:
            palette_key: tuple[Any, ...] = (palette.binding.key, app.get_key_display(palette.binding),
                                            palette.binding.description, palette.enabled, palette.binding.tooltip)
        else:
            palette_key = ()
        return self._bindings_ready, self.combine_groups, keys, palette_key

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning:
            return
        shown = self._signature()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
