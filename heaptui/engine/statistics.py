"""The Statistics view's totals, as DevTools' ``calculateStatistics`` adds them up.

Sizes are shallow sizes after the ownership transfer, so ``system`` is what
hidden nodes keep for themselves and an ``Array`` counts its elements store
(once more when that store has a single retainer, as DevTools does).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .jit import kernel


@dataclass(frozen=True)
class Statistics:
    total: int
    v8heap: int
    native: int
    code: int
    strings: int
    js_arrays: int
    typed_arrays: int
    system: int
    node_count: int
    edge_count: int

    @property
    def other_js(self) -> int:
        """DevTools' "Other JS objects" slice."""
        return self.v8heap - self.code - self.strings - self.js_arrays - self.system

    @property
    def other_native(self) -> int:
        """DevTools' "Other non-JS objects (such as HTML and CSS)" slice."""
        return self.native - self.typed_arrays

    def to_json(self) -> dict[str, int]:
        out = asdict(self)
        out["other_js"] = self.other_js
        out["other_native"] = self.other_native
        return out


_sums = kernel("statistics", "_sums")
