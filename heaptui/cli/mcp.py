"""``heaptui mcp``: the headless commands as tools for a coding agent, over the Model Context Protocol (stdio)."""

from __future__ import annotations

import os

import click

from .errors import EXIT_BAD_INPUT, fail
from .options import LoadOptions, pass_load_options


@click.command("mcp")
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="A directory whose snapshots the agent may open (repeatable; default: the working directory).",
)
@click.option("--allow-capture", is_flag=True, help="Offer the capture tool (it opens a process's inspector).")
@pass_load_options
def mcp_command(options: LoadOptions, roots: tuple[str, ...], allow_capture: bool) -> None:
    """Answer a coding agent's questions over the Model Context Protocol (stdio): the headless commands as tools."""
    from ..mcp import SdkMissing, serve
    from ..mcp.sessions import ToolProblem

    try:
        serve(
            list(roots) or [os.getcwd()],
            allow_capture,
            cache=options.cache(),
            salvage=options.salvage,
            force=options.force,
        )
    except (SdkMissing, ToolProblem) as error:
        fail(str(error), EXIT_BAD_INPUT)
