"""heaptui's own markup around text from a file, which is shown as it is and never read as markup.

A class named ``[bold red]x[/]`` or ``[@click=app.quit]`` must appear as
written, and ``rich.markup.escape`` is not enough for Textual's parser
(``[$accent]``, ``[Bold]`` and a trailing backslash get through it). So file
text never goes into a markup string: templates name it as ``$variables``,
which Textual inserts as plain text, after :func:`~heaptui.visible.visible`
has escaped its control characters.
"""

from __future__ import annotations

from textual.content import Content

from ..visible import visible


def with_texts(template: str, **texts: object) -> Content:
    """Content from heaptui's markup ``template``, its ``$name`` variables filled with ``texts`` as plain text."""
    return Content.from_markup(template, **{name: visible(str(text)) for name, text in texts.items()})


def plain(text: str) -> Content:
    """File text as Content: plain, control characters escaped."""
    return Content(visible(text))
