"""Where two snapshots come from: one inspector session, separate sessions of one program, or other processes.

The Comparison matches objects by node id, and V8's ids carry only so far:
within one inspector session (or in-process, without any session) an object
keeps its id, but when a session ends V8 forgets every id it handed out, and
the next session numbers the heap afresh in the order it walks it. Two
snapshots of one process taken by two ``heaptui capture`` runs therefore share
most small ids, of unrelated objects: their "new" and "deleted" are wrong
(1,700 new ``Date`` for 1,500 requests), while what is counted per class
(# Delta, Size Delta) still holds.

Told apart by what survives a session: V8 numbers scripts once per process
(script ids never change, and the ids a session handed out are forgotten but
not the scripts), so the base's scripts are all found in the newer snapshot
under the same ids and names; another program's are not. Measured on real
captures of ``tests/fixtures/live_server.js`` (Node 20.20): one process, two
sessions: 113 of 113 and 117 of 117 scripts found under the same id, while
only 44-52 % of the objects with the same id had the same class; another
program: 67 of 109. Two runs of one program load the same scripts in the
same order and cannot be told from two sessions of one process by their
content (measured: 113 of 113, and the same strings but a date): the warning
says so, and the rows are right for both, since neither carries ids.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

import numpy as np

from .snapshot import Snapshot

# Of the objects found in both snapshots by id, at least this share must have
# the same class for the two to be taken for snapshots of one session.
SAME_PROCESS_AGREEMENT = 0.8
AGREEMENT_SAMPLE = 200_000
# Of the base's scripts, at least this share must be found in the newer snapshot
# under the same script id and name (a few may be collected: code evaluated once).
SAME_SCRIPTS = 0.9
MIN_SCRIPTS = 10  # fewer scripts than this prove nothing
# Scripts of the runtime itself: every program on one Node version loads the first hundred of them in the same
# order, under the same ids; what tells programs apart is the program's own scripts.
_RUNTIME_PREFIXES = ("node:", "ext:", "internal/")
# The edge from a SharedFunctionInfo to its Script, across V8 versions.
_SCRIPT_EDGES = ("script_or_debug_info", "script")


class Origin(enum.Enum):
    """How the ids of two snapshots relate."""

    SAME_SESSION = "same-session"  # ids carry: new and deleted are exact
    SEPARATE_SESSIONS = "separate-sessions"  # one program, ids renumbered: only counts per class hold
    DIFFERENT_PROCESSES = "different-processes"  # nothing relates the two


@dataclass(frozen=True)
class Provenance:
    """What the two snapshots' ids and scripts say about where they come from, with the figures used."""

    origin: Origin
    shared_ids: int  # sampled objects of the base found by id in the newer snapshot
    id_agreement: float | None  # of those, the share with the same class (None: no shared id)
    scripts: int  # the base's scripts (by id) found through its functions
    same_scripts: int  # of those, found in the newer snapshot under the same id with the same name
    own_scripts: int = 0  # the base's scripts that are the program's own (not the runtime's ``node:…``)
    same_own_scripts: int = 0

    @property
    def ids_carry(self) -> bool:
        """Whether objects with the same id are the same object, so new and deleted are meaningful."""
        return self.origin is not Origin.SEPARATE_SESSIONS

    @property
    def script_agreement(self) -> float | None:
        return self.same_scripts / self.scripts if self.scripts else None

    def to_json(self) -> dict[str, object]:
        return {
            "origin": self.origin.value,
            "ids_carry": self.ids_carry,
            "shared_ids": self.shared_ids,
            "id_agreement": self.id_agreement,
            "scripts": self.scripts,
            "same_scripts": self.same_scripts,
            "own_scripts": self.own_scripts,
            "same_own_scripts": self.same_own_scripts,
        }


def script_names(s: Snapshot) -> dict[int, str]:
    """Script id -> script name, through the located functions: closure -shared-> SharedFunctionInfo -script->
    Script, whose node V8 names after the script. Scripts without a located function are left out."""
    fields = s.meta.location_fields
    if not s.locations.size or "object_index" not in fields or "script_id" not in fields:
        return {}
    rows = s.locations.reshape(-1, len(fields))
    nodes = rows[:, fields.index("object_index")] // s.meta.node_field_count
    ids = rows[:, fields.index("script_id")]
    valid = (nodes >= 0) & (nodes < s.node_count)
    nodes, ids = nodes[valid], ids[valid]
    closures = s.node_type[nodes] == s.types.closure
    found_ids, first = np.unique(ids[closures], return_index=True)
    names: dict[int, str] = {}
    for script_id, v in zip(found_ids.tolist(), nodes[closures][first].tolist()):
        name = _script_of(s, v)
        if name is not None:
            names[script_id] = name
    return names


def _target(s: Snapshot, v: int, names: tuple[str, ...]) -> int | None:
    for e in range(int(s.first_edge[v]), int(s.first_edge[v + 1])):
        if s.edge_type[e] == s.types.internal_edge and s.edge_name_of(e) in names:
            return int(s.edge_to[e])
    return None


def _script_of(s: Snapshot, closure: int) -> str | None:
    shared = _target(s, closure, ("shared",))
    script = None if shared is None else _target(s, shared, _SCRIPT_EDGES)
    return None if script is None else s.raw_name(script)


def id_agreement(base: Snapshot, snapshot: Snapshot, base_key: np.ndarray, key: np.ndarray) -> tuple[int, float | None]:
    """Among (a sample of) the base's objects found in ``snapshot`` by id, how many, and the share with the same
    class key (``base_key``/``key``: a class key per node, comparable between the two)."""
    step = max(1, base.node_count // AGREEMENT_SAMPLE)
    sample = np.arange(0, base.node_count, step)
    ids, order = snapshot.ids_sorted
    if not ids.shape[0]:
        return 0, None
    where = np.minimum(np.searchsorted(ids, base.node_id[sample]), ids.shape[0] - 1)
    found = ids[where] == base.node_id[sample]
    if not found.any():
        return 0, None
    same = base_key[sample[found]] == key[order[where[found]]]
    return int(found.sum()), float(same.mean())


def provenance(base: Snapshot, snapshot: Snapshot, base_key: np.ndarray, key: np.ndarray) -> Provenance:
    """Whether ``base`` and ``snapshot`` come from one session, separate sessions of one program, or otherwise."""
    shared, agreement = id_agreement(base, snapshot, base_key, key)
    if agreement is not None and agreement >= SAME_PROCESS_AGREEMENT:
        return Provenance(Origin.SAME_SESSION, shared, agreement, 0, 0)
    old, new = script_names(base), script_names(snapshot)
    same = {script_id for script_id, name in old.items() if new.get(script_id) == name}
    own = {script_id for script_id, name in old.items() if name and not name.startswith(_RUNTIME_PREFIXES)}
    found = Provenance(Origin.DIFFERENT_PROCESSES, shared, agreement, len(old), len(same), len(own), len(own & same))
    meta, other = base.meta, snapshot.meta
    same_format = meta.node_fields == other.node_fields and meta.node_types == other.node_types
    if (
        agreement is not None
        and same_format
        and len(old) >= MIN_SCRIPTS
        and len(same) >= SAME_SCRIPTS * len(old)
        and own
        and len(own & same) >= SAME_SCRIPTS * len(own)
    ):
        return dataclasses.replace(found, origin=Origin.SEPARATE_SESSIONS)
    return found


__all__ = ["Origin", "Provenance", "id_agreement", "provenance", "script_names"]
