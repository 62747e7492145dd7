"""A context card for a terminal: the card's Markdown as plain text, the agent's words made inert.

The card (`workflows/gate/card.py`) is Markdown for the Web UI and notices; `hitl show` prints it
with this instead. Every control and format character is dropped first (the card quotes the
agent's text, which could otherwise move the cursor, recolour or rewrite the screen, or reorder
what a reviewer reads with bidirectional overrides); then headings, emphasis, inline code,
fences and links become plain text, code blocks indented.
"""

import re
import unicodedata

KEPT = {"\n"}
"""The one control character a card keeps."""

_EMPHASIS = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]*)`")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


def inert(text: str) -> str:
    """`text` without control or format characters (tabs become spaces, newlines stay)."""
    text = text.replace("\t", "    ").replace("\r\n", "\n")
    return "".join(c for c in text if c in KEPT or unicodedata.category(c) not in ("Cc", "Cf"))


def card_for_terminal(card: str) -> str:
    """The card as plain text for a terminal."""
    lines: list[str] = []
    fenced = False
    for line in inert(card).split("\n"):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            lines.append(f"    {line}")
            continue
        heading = _HEADING.match(line)
        text = _LINK.sub(
            r"\1: \2", _CODE.sub(r"\1", _EMPHASIS.sub(r"\1", heading.group(1) if heading else line))
        )
        lines.append(text)
        if heading:
            lines.append("=" * len(text))
    return "\n".join(lines)
