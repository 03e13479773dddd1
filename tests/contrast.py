"""WCAG contrast of every text on a screen, read from the SVG that Textual exports.

Rich's SVG export draws each cell run as a background ``<rect fill=...>`` and then its
text as ``<text class="terminal-rN" ...>`` at the same x on the same line (the class
carries the final fill: dim and reverse already resolved). So each text's colour and the
background under it come from the file itself, as a person's terminal would show them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_CLASS = re.compile(r"\.(terminal-(?:\d+-)?r\d+) \{ fill: (#[0-9a-fA-F]{6})")
_RECT = re.compile(r'<rect fill="(#[0-9a-fA-F]{6})" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+"')
_TEXT = re.compile(
    r'<text class="(terminal-(?:\d+-)?r\d+)" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
    r'clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">([^<]*)</text>'
)
LINE_HEIGHT = 24.4
LINE_TOP = 1.5


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = []
    for i in (1, 3, 5):
        c = int(hex_colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Span:
    line: int
    text: str
    fill: str
    background: str

    @property
    def ratio(self) -> float:
        return contrast(self.fill, self.background)


def spans(svg: str) -> list[Span]:
    """Every text span that has a letter or digit in it (box drawing and markers are not text)."""
    fills = dict(_CLASS.findall(svg))
    rects: dict[int, list[tuple[float, float, str]]] = {}
    for fill, x, y, width in _RECT.findall(svg):
        line = round((float(y) - LINE_TOP) / LINE_HEIGHT)
        rects.setdefault(line, []).append((float(x), float(x) + float(width), fill))
    found = []
    for cls, x, _length, line, raw in _TEXT.findall(svg):
        text = html.unescape(raw).replace("\xa0", " ")
        if not any(ch.isalnum() for ch in text):
            continue
        at = float(x) + 0.1
        under = next((f for left, right, f in rects.get(int(line), []) if left <= at < right), None)
        assert under is not None, f"no background under {text!r} on line {line}"
        found.append(Span(int(line), text, fills[cls], under))
    return found


def offenders(svg: str, minimum: float = 4.5) -> list[Span]:
    return [s for s in spans(svg) if s.ratio < minimum]


def describe(bad: list[Span]) -> str:
    """One line per distinct (colour, background) pair, worst first, with an example text."""
    seen: dict[tuple[str, str], Span] = {}
    for span in bad:
        seen.setdefault((span.fill, span.background), span)
    return "\n".join(
        f"{s.ratio:.2f}:1  {s.fill} on {s.background}  line {s.line}: {s.text.strip()[:50]!r}"
        for s in sorted(seen.values(), key=lambda s: s.ratio)
    )
