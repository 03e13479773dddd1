"""Who owns what: DevTools' page-owned marking and shallow-size transfer.

``mark_page_owned`` is DevTools' ``markPageOwnedNodes``: everything reachable
over non-weak edges from the root's shortcut edges (the user's global objects)
and from ``(Document DOM trees)``. The dominator pass ignores edges from
non-page-owned nodes into page-owned ones, so that GC-root internals and
handles never dominate user objects.

``transfer_shallow_sizes`` is ``calculateShallowSizes``: a hidden or array node
(or a native ``system / ExternalStringData``) reachable from exactly one
ordinary node, directly or through a chain of such nodes over non-weak edges,
hands its size to that owner. DevTools shows the owner's size that way (an
``Array`` includes its elements store), and so does heaptui.
"""

from __future__ import annotations

from .jit import kernel

_UNVISITED = 0xFFFFFFFF
_MULTIPLE = 0xFFFFFFFE


mark_page_owned = kernel("ownership", "mark_page_owned")


transfer_shallow_sizes = kernel("ownership", "transfer_shallow_sizes")
