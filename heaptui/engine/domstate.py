"""DOM detachedness, propagated through native nodes as DevTools' ``propagateDOMState`` does.

The file marks only some native nodes attached (1) or detached (2). Attached
spreads first to every native node reachable over non-hidden, non-weak edges;
then detached spreads to what is left. Detached native nodes are renamed
``Detached <name>``. Snapshots written by Node have the field but mark nothing,
so for them this pass changes nothing.
"""

from __future__ import annotations

from .jit import kernel

UNKNOWN, ATTACHED, DETACHED = 0, 1, 2


propagate_dom_state = kernel("domstate", "propagate_dom_state")
