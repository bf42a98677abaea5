"""The tiny markup of narrative blocks: paragraphs, *emphasis*, **strong** and lists. Never HTML.

The result is a structure of plain-text runs; templates escape every run, and
the DOCX writer sets them as text, so nothing a researcher types is markup to
a browser or to Word.

* a blank line separates paragraphs; a single newline is a space;
* lines starting ``- `` or ``* `` form a bullet list, ``1. `` a numbered list;
* ``*text*`` is emphasis, ``**text**`` strong;
* ``{count}`` is replaced by the section's counting phrase ("Nesten alle"),
  ``{count_of}`` by the count itself in words ("Seks av åtte informanter");
  either starts with a capital only where a sentence, paragraph or list item
  starts ("I alt sa {count_of} ..." gives "I alt sa seks av åtte informanter").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
INLINE = re.compile(r"\*\*(.+?)\*\*|\*(?!\s)(.+?)(?<!\s)\*")
COUNT_TOKEN = "{count}"
COUNT_OF_TOKEN = "{count_of}"
TOKENS = re.compile(r"\{count_of\}|\{count\}")
# Where a token starts a sentence: at the start of the text, a paragraph or a list item, or after . ! ? and a
# space; opening quotes and brackets in between do not count.
SENTENCE_START = re.compile(r"(?:(?:^|\n)\s*(?:[-*]|\d+[.)])\s+|(?:^|\n\s*\n)\s*|[.!?]\s+)[«“\"(\[]*$")


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass
class Paragraph:
    """``kind`` is "p", "ul" or "ol"; a paragraph has one item, a list one per entry."""

    kind: str
    items: list[list[Run]] = field(default_factory=list)


def runs(text: str) -> list[Run]:
    found: list[Run] = []
    position = 0
    for match in INLINE.finditer(text):
        if match.start() > position:
            found.append(Run(text[position : match.start()]))
        if match.group(1) is not None:
            found.append(Run(match.group(1), bold=True))
        else:
            found.append(Run(match.group(2), italic=True))
        position = match.end()
    if position < len(text):
        found.append(Run(text[position:]))
    return found


def fill_tokens(text: str, *, count_phrase: str, count_of_total: str) -> str:
    """``text`` with its counting tokens replaced, capitalised only at the start of a sentence."""
    out: list[str] = []
    position = 0
    for match in TOKENS.finditer(text):
        out.append(text[position : match.start()])
        value = count_of_total if match.group(0) == COUNT_OF_TOKEN else count_phrase
        if value and not SENTENCE_START.search(text, 0, match.start()):
            value = value[0].lower() + value[1:]
        out.append(value)
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def parse(text: str, *, count_phrase: str = "", count_of_total: str = "") -> list[Paragraph]:
    text = fill_tokens(text.replace("\r\n", "\n"), count_phrase=count_phrase, count_of_total=count_of_total)
    paragraphs: list[Paragraph] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        current: Paragraph | None = None
        for line in lines:
            bullet, numbered = BULLET.match(line), NUMBERED.match(line)
            kind = "ul" if bullet else "ol" if numbered else "p"
            content = (bullet or numbered).group(1) if kind != "p" else line.strip()
            if kind == "p" and current is not None and current.kind == "p":
                current.items[0].extend(runs(" " + content))
            elif kind == "p" and current is not None and current.kind != "p":
                current.items[-1].extend(runs(" " + content))  # a continuation line of a list entry
            elif current is not None and current.kind == kind:
                current.items.append(runs(content))
            else:
                current = Paragraph(kind, [runs(content)])
                paragraphs.append(current)
    return paragraphs
