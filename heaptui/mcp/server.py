"""The MCP wiring: each tool of :mod:`.tools` registered with the official SDK's ``MCPServer``, over stdio.

A tool's arguments are typed and described here (the SDK makes the input schema from the signature); its
answer is compact JSON text. A question that cannot be answered is a tool error (``isError``) whose text
is the CLI's one line for it, nothing else; a bug in heaptui is that line too, its traceback only in the
server's log (stderr). The tools run on the SDK's worker threads, so questions about different files are
answered side by side (the engine's compiled passes release the GIL).

``capture`` exists only when the user started ``heaptui mcp --allow-capture``: an agent must not open a
production process's inspector on its own.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from .. import __version__
from . import capture as capture_tool
from . import tools
from .arguments import DEFAULT_LIMIT, MAX_LIMIT
from .sessions import SnapshotStore, ToolProblem, failure_line

log = logging.getLogger("heaptui.mcp")

INSTRUCTIONS = """\
heaptui answers questions about V8 heap snapshots (.heapsnapshot, also gzipped; .heaptimeline;
.heapprofile) with Chrome DevTools' own numbers. Files are opened once and kept open, so ask freely.
A leak hunt: three snapshots of one process (before, after the suspect action, after more of it):
`leaks` (what was allocated between the first two and the third still holds, clustered by retainer path),
`diff` of the last two (new objects per class), then `instances` of a suspicious class and `retainers`
of one of its objects (who keeps it alive, up to a GC root). `summary`, `top`, `strings`, `stats` and
`object` look at one snapshot. Object ids are written @123. Long lists come a page at a time: pass
`offset` = the answer's `next_offset` for the next page."""

File = Annotated[str, Field(description="A snapshot file (absolute, or relative to the server's first root).")]
Top = Annotated[int | None, Field(default=None, ge=1, description="Only the first N rows, as the CLI's --top.")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Rows per page.")]
Offset = Annotated[int, Field(ge=0, description="The first row to give (the previous answer's next_offset).")]
NodeId = Annotated[str, Field(description="An object's id, like @123 or 123.")]
Growth = Annotated[
    str | None,
    Field(
        default=None,
        description=(
            "Like the CLI's --fail-on-growth: a size (500000, 500kB, 2MB); the answer's growth.exceeded says "
            "whether the growth is over it."
        ),
    ),
]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def answer(
    store: SnapshotStore, tool: Callable[..., dict[str, Any]], where: str | None, **arguments: Any
) -> CallToolResult:
    """The tool's answer as compact JSON text, or a tool error carrying one line (never a traceback)."""
    from ..engine.errors import Cancelled

    try:
        data = tool(store, **arguments)
    except ToolProblem as problem:
        return _error(problem.line)
    except Cancelled as error:  # the client cancelled the question: nobody reads this, nothing to log
        return _error(ToolProblem(failure_line(error, where)).line)
    except Exception as error:  # a bug in heaptui: its line for the agent, the traceback for the log
        log.exception("heaptui mcp: %s failed", tool.__name__)
        return _error(
            ToolProblem(failure_line(error, where, store.salvage)).line + " (the server's log has the details)"
        )
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)])


async def ask(
    store: SnapshotStore,
    tool: Callable[..., dict[str, Any]],
    where: str | None,
    cancellable: bool = False,
    **arguments: Any,
) -> CallToolResult:
    """:func:`answer` on a worker thread; a question the client cancels stops its engine work (``cancellable``
    tools take the ``cancel`` event their progress callbacks check) rather than keep a core busy."""
    cancel = threading.Event()
    if cancellable:
        arguments["cancel"] = cancel
    try:
        work = functools.partial(answer, store, tool, where, **arguments)
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    finally:
        cancel.set()  # after the answer this changes nothing; after a cancellation it stops the work


def _error(line: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=line)], is_error=True)


def one_line(text: str) -> str:
    """An error the SDK words itself (arguments that fail the schema: pydantic's lines) as one line.

    ``Error executing tool summary: 1 validation error for summaryArguments / limit / Input should be ...
    [type=...] / For further information visit ...`` becomes ``summary: limit: Input should be ...``.
    """
    lines = text.splitlines()
    head = re.match(r"Error executing tool (\S+): \d+ validation errors? for ", lines[0]) if lines else None
    if head is None:
        return " ".join(" ".join(lines).split())
    problems: list[str] = []
    for line in lines[1:]:
        if not line.startswith(" "):
            problems.append(line.strip())  # the argument
        elif not line.startswith("    ") and problems:  # its problem; the deeper line is a link
            problems[-1] += ": " + re.sub(r"\s*\[type=.*$", "", line.strip())
    return f"{head.group(1)}: " + "; ".join(problems)


async def one_line_errors(ctx: Any, call_next: Callable[[Any], Any]) -> Any:
    """Middleware: every tool error reaches the agent as one line, the SDK's own ones too."""
    result = await call_next(ctx)
    if getattr(ctx, "method", None) != "tools/call":
        return result
    if isinstance(result, CallToolResult) and result.is_error:
        for block in result.content:
            if isinstance(block, TextContent) and "\n" in block.text:
                block.text = ToolProblem(one_line(block.text)).line
    elif isinstance(result, dict) and result.get("isError"):  # the wire form
        for block in result.get("content") or []:
            if isinstance(block, dict) and isinstance(block.get("text"), str) and "\n" in block["text"]:
                block["text"] = ToolProblem(one_line(block["text"])).line
    return result


def build_server(store: SnapshotStore, allow_capture: bool = False) -> MCPServer:
    """An MCP server answering from ``store``'s snapshots (``capture`` only when ``allow_capture``)."""
    server = MCPServer(
        "heaptui", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING", middleware=[one_line_errors]
    )

    def tool(description: str, name: str | None = None, read_only: bool = True) -> Callable[[Any], Any]:
        return server.tool(
            name=name, description=description, annotations=READ_ONLY if read_only else None, structured_output=False
        )

    @tool(
        "Classes by retained size, as DevTools' Summary groups them (heaptui summary --json): count, "
        "distance, shallow and retained size per class. since/before: only objects allocated after/before "
        "the older snapshot OLDER was taken. filter: one of DevTools' Summary filters (duplicated-strings, "
        "detached-dom, contexts, console, event-handlers, shared-native-context, no-native-context, "
        "native-context=@ID). name: only classes whose name contains it. Paged over classes."
    )
    async def summary(
        file: File,
        top: Top = None,
        since: Annotated[str | None, Field(description="OLDER snapshot file.")] = None,
        before: Annotated[str | None, Field(description="OLDER snapshot file.")] = None,
        filter: Annotated[str | None, Field(description="A Summary filter name.")] = None,
        name: Annotated[str | None, Field(description="Part of a class name.")] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> CallToolResult:
        return await ask(
            store,
            tools.summary,
            file,
            file=file,
            top=top,
            since=since,
            before=before,
            filter=filter,
            name=name,
            limit=limit,
            offset=offset,
        )

    @tool(
        "The objects of one class (an exact class name from summary, like Date or {url, date}), as the "
        "Summary expands it: largest retained size first. since: only those allocated after the older snapshot "
        "OLDER was taken (a leak hunt's new objects). Paged over objects; pass an id to retainers."
    )
    async def instances(
        file: File,
        class_name: Annotated[str, Field(description="The class name.")],
        since: Annotated[str | None, Field(description="OLDER snapshot file.")] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> CallToolResult:
        return await ask(
            store, tools.instances, file, file=file, class_name=class_name, since=since, limit=limit, offset=offset
        )

    @tool(
        "DevTools' Comparison (heaptui diff --json): file against the older base, class by class, objects "
        "matched by id: new, deleted, delta, alloc_size, freed_size, size_delta. Paged over classes."
    )
    async def diff(
        base: Annotated[str, Field(description="The older snapshot file.")],
        file: File,
        top: Top = None,
        fail_on_growth: Growth = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> CallToolResult:
        return await ask(
            store,
            tools.diff,
            f"{base}, {file}",
            cancellable=True,
            base=base,
            file=file,
            top=top,
            fail_on_growth=fail_on_growth,
            limit=limit,
            offset=offset,
        )

    @tool(
        "memlab's three-snapshot leak report (heaptui leaks --json): objects allocated between baseline and "
        "target that final still holds, clustered by shortest retainer path, ranked by retained size (each "
        "leaked byte once); then the collections that grew in every snapshot. Paged over clusters."
    )
    async def leaks(
        baseline: Annotated[str, Field(description="The first snapshot file.")],
        target: Annotated[str, Field(description="The second, after the suspect action.")],
        final: Annotated[str, Field(description="The third, after more of it.")],
        top: Top = None,
        fail_on_growth: Growth = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> CallToolResult:
        return await ask(
            store,
            tools.leaks,
            f"{baseline}, {target}, {final}",
            cancellable=True,
            baseline=baseline,
            target=target,
            final=final,
            top=top,
            fail_on_growth=fail_on_growth,
            limit=limit,
            offset=offset,
        )

    @tool(
        "One object (heaptui object --json): class, name, type, self and retained size, distance, dominator, "
        "and its retainers in DevTools' order. Paged over retainers.",
        name="object",
    )
    async def object_(file: File, id: NodeId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> CallToolResult:
        return await ask(store, tools.object_, file, file=file, id=id, limit=limit, offset=offset)

    @tool(
        "Who keeps an object alive: its shortest retainer path, as DevTools' Retainers view opens it (the "
        "first retainer, nearest a GC root; then its first retainer; ...) up to a GC root or depth levels. "
        "Each step: the edge, the retaining object, and of = how many retainers the object below has. "
        "stopped says why the path ends (gc root, depth: ask again with a larger depth, cycle, unreachable). "
        "ignore: ids to ignore as retainers (DevTools' 'Ignore this retainer'), to see the next path."
    )
    async def retainers(
        file: File,
        id: NodeId,
        depth: Annotated[int, Field(ge=1, le=tools.MAX_DEPTH, description="Levels to follow.")] = (
            tools.RETAINER_CHAIN_DEPTH
        ),
        ignore: Annotated[list[str] | None, Field(description="Ids to ignore, like @123.")] = None,
    ) -> CallToolResult:
        return await ask(store, tools.retainers, file, file=file, id=id, depth=depth, ignore=ignore)

    @tool(
        "The objects with the largest retained sizes (heaptui top --json, 20 unless top), each with its "
        "shortest retainer path. Paged over objects."
    )
    async def top(file: File, top: Top = None, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> CallToolResult:
        return await ask(store, tools.top, file, file=file, top=top, limit=limit, offset=offset)

    @tool(
        "Duplicated strings grouped by text, by the bytes all but one copy waste (heaptui strings --json); "
        "texts over 300 characters are cut (length gives the whole). Paged over strings."
    )
    async def strings(file: File, top: Top = None, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> CallToolResult:
        return await ask(store, tools.strings, file, file=file, top=top, limit=limit, offset=offset)

    @tool(
        "The functions that allocated the live objects, by live size (heaptui allocations --json), from an "
        "allocation timeline with stacks (.heaptimeline) or a sampling profile (.heapprofile). Paged over "
        "functions."
    )
    async def allocations(
        file: Annotated[str, Field(description="A .heaptimeline or .heapprofile file.")],
        top: Top = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> CallToolResult:
        return await ask(store, tools.allocations, file, file=file, top=top, limit=limit, offset=offset)

    @tool(
        "Heap totals by category, as DevTools' Statistics (heaptui stats --json): total, V8 heap, native, "
        "code, strings, JS arrays, typed arrays, system; node and edge counts."
    )
    async def stats(file: File) -> CallToolResult:
        return await ask(store, tools.stats, file, file=file)

    if allow_capture:

        @tool(
            "Take heap snapshots of the running Node process pid (heaptui capture --no-open): through its "
            "inspector (closed again afterwards), or with signal through --heapsnapshot-signal. count > 1 "
            "takes a series every DURATION apart (a leak hunt: 3). Files are written in the server's first "
            "root; the answer lists them.",
            read_only=False,
        )
        async def capture(
            pid: Annotated[int, Field(ge=1, description="The Node process id.")],
            count: Annotated[int, Field(ge=1, le=100, description="How many snapshots.")] = 1,
            every: Annotated[str | None, Field(description="Time between snapshots (30s, 2m).")] = None,
            signal: Annotated[str | None, Field(description="Like SIGUSR2.")] = None,
            gc: Annotated[bool, Field(description="Collect garbage before each snapshot.")] = False,
            output: Annotated[str | None, Field(description="A file name ({n}: the number).")] = None,
        ) -> CallToolResult:
            return await ask(
                store,
                capture_tool.capture,
                None,
                pid=pid,
                count=count,
                every=every,
                signal=signal,
                gc=gc,
                output=output,
            )

    return server
