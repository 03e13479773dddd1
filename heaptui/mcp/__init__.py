"""``heaptui mcp``: the engine's answers for coding agents, over the Model Context Protocol (stdio).

An agent handed a leak asks the same questions a person asks the CLI (``summary``, ``diff``, ``leaks``,
``object``, ``retainers``, ``top``, ``strings``, ``allocations``, ``stats``) and gets the CLI's ``--json``
shapes back, a page at a time. Snapshots stay open for the session (:mod:`.sessions`), so the tenth
question about a file costs what the question costs, not a load. :mod:`.tools` holds the answers as plain
functions (tested without MCP); :mod:`.server` wires them to the official ``mcp`` SDK, an optional extra
(``pip install 'heaptui[mcp]'``) imported only here.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine.cache import CacheOptions

INSTALL_HINT = "the MCP server needs the MCP Python SDK, version 2: pip install 'heaptui[mcp]'"


class SdkMissing(Exception):
    """The ``mcp`` package is not installed (or is a major version this server was not written for)."""


def serve(
    roots: list[str], allow_capture: bool, cache: CacheOptions | None = None, salvage: bool = False, force: bool = False
) -> None:
    """Run the server on stdin/stdout until the client closes it; :class:`SdkMissing` without the SDK."""
    try:
        import mcp.server.mcpserver  # noqa: F401  (mcp 2: MCPServer; mcp 1 had FastMCP instead)
    except ImportError as error:
        raise SdkMissing(INSTALL_HINT) from error
    from .server import build_server
    from .sessions import SnapshotStore

    store = SnapshotStore(roots, cache=cache, salvage=salvage, force=force)
    if os.sep in store.roots:  # started in / without --root (some clients start servers there)
        print(
            "heaptui: warning: the agent may open any snapshot on this machine (root /); "
            "heaptui mcp --root DIR narrows it",
            file=sys.stderr,
        )
    build_server(store, allow_capture).run("stdio")
