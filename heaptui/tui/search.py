"""Finding classes by name as the user types: substring first, then fuzzy (rapidfuzz).

DevTools' class filter is a case-insensitive substring match; heaptui keeps
that order (exact containment first) and adds near misses from rapidfuzz's
``QRatio`` with a score cutoff, which stays within a few tens of milliseconds
per keystroke on 100,000 distinct class names (``WRatio`` takes ten times
longer there). No Textual here: the matcher is timed and tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils

FUZZY_CUTOFF = 70


class ClassMatcher:
    """Ranks a fixed list of names against queries."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self._folded = [name.casefold() for name in self.names]
        self._processed = [utils.default_process(name) for name in self.names]

    def matching(self, query: str) -> list[int]:
        """Indices of the names matching ``query``, in list order (the Summary sorts them itself)."""
        query = query.strip()
        if not query:
            return list(range(len(self.names)))
        folded = query.casefold()
        contained = [i for i, name in enumerate(self._folded) if folded in name]
        if len(query) < 3:  # a fuzzy score of one or two letters means nothing
            return contained
        seen = set(contained)
        fuzzy = process.extract(
            utils.default_process(query),
            self._processed,
            scorer=fuzz.QRatio,
            score_cutoff=FUZZY_CUTOFF,
            limit=None,
            processor=None,
        )
        return contained + sorted(i for _, _, i in fuzzy if i not in seen)

    def best(self, query: str, limit: int = 20) -> list[int]:
        """The ``limit`` best matches, best first: names starting with the query, then containing it,
        shorter first, then near misses by score."""
        folded = query.strip().casefold()
        found = self.matching(query)
        contained = [i for i in found if folded in self._folded[i]]
        contained.sort(key=lambda i: (not self._folded[i].startswith(folded), len(self._folded[i])))
        rest = [i for i in found if folded not in self._folded[i]]
        return (contained + rest)[:limit]
