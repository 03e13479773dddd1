"""A sampling heap profile (``.heapprofile``): the functions that allocated what was still alive, and their callers.

What DevTools' "Allocation sampling" shows bottom-up (its Heavy view): each
function with the sampled bytes it allocated itself and with what it called;
a function expands into the callers it was allocating under.
"""

from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from ...engine.heapprofile import SamplingProfile
from ...engine.sizes import format_size
from ..markup import with_texts
from ..models.allocation import ProfileModel
from ..widgets.footer import KeysFooter
from ..widgets.tree_table import TreeTable


class ProfileScreen(Screen):
    """One sampling profile's functions, largest self size first."""

    def __init__(self, profile: SamplingProfile) -> None:
        super().__init__()
        self.profile = profile
        self.model = ProfileModel(profile)

    def compose(self) -> ComposeResult:
        yield Static(
            with_texts(
                f"[b]heaptui[/b] · $file · [dim]sampling heap profile: "
                f"{format_size(self.profile.total)} sampled in {len(self.model.rows):,} functions[/dim]",
                file=os.path.basename(self.profile.path),
            ),
            id="topbar",
        )
        yield Static(
            "Functions by the sampled size they allocated that was still alive  "
            "[dim](enter: the callers it allocated under)[/dim]",
            id="profile-title",
        )
        yield TreeTable(self.model, name_title="Function", id="profile-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(TreeTable).focus()
