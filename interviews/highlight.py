"""Highlighted source text for the coding view.

The text is cut at every excerpt boundary and every speaker-turn boundary;
each piece (a *segment*) knows which excerpts cover it and whether it is part
of a turn's label. Every segment becomes one ``<span data-start="…">`` whose
text is escaped, so the page's ``textContent`` is exactly the source text and
the browser can map a selection back to Python string indices.

Pure functions only: no database, no request. Cost is O((e + t) log (e + t))
for e excerpts and t turns, plus the size of the output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape as _html_escape

from django.utils.safestring import SafeString, mark_safe

MAX_DEPTH_CLASS = 3


def escape(value: object) -> str:
    """HTML-escape ``value`` (& < > " '), as django.utils.html.escape does without its lazy-string wrapper.

    The coding view escapes tens of thousands of pieces per page; Django's wrapper alone cost a third of it.
    """
    return _html_escape(str(value))


@dataclass(frozen=True)
class Mark:
    """An excerpt as the highlighter sees it: offsets and the code that colours it."""

    id: int
    start: int
    end: int
    code_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TurnMark:
    """A speaker turn: ``[start, label_end)`` is the label (``I3:``), ``[label_end, end)`` the speech."""

    id: int
    start: int
    end: int
    label_end: int
    speaker: str = ""


@dataclass
class Segment:
    start: int
    end: int
    excerpt_ids: tuple[int, ...] = ()
    colour_code: int | None = None
    is_label: bool = False
    turn: TurnMark | None = None  # set on the segment where a turn starts

    @property
    def depth(self) -> int:
        return len(self.excerpt_ids)


def segments(
    text: str, marks: Iterable[Mark], turns: Iterable[TurnMark] = (), *, window: tuple[int, int] | None = None
) -> list[Segment]:
    """Cut ``text`` (or its ``window``) into segments at every excerpt, turn and line boundary.

    Line starts are always boundaries, so a window of whole lines renders the
    same spans as the whole text does there: the browser can swap just those.
    Marks and turns are clipped to the window; empty ones are ignored. Within a
    segment the covering excerpts are listed outermost first (earlier start,
    then longer, then lower id).
    """
    low, high = window or (0, len(text))
    opening: dict[int, list[Mark]] = {}
    closing: dict[int, list[Mark]] = {}
    points = {low, high}
    newline = text.find("\n", low, high)
    while newline != -1:
        points.add(newline + 1)
        newline = text.find("\n", newline + 1, high)
    for mark in marks:
        start, end = max(low, mark.start), min(high, mark.end)
        if start >= end:
            continue
        opening.setdefault(start, []).append(mark)
        closing.setdefault(end, []).append(mark)
        points.update((start, end))

    turn_at: dict[int, TurnMark] = {}
    label_ends: dict[int, int] = {}
    for turn in turns:
        start, end = max(low, turn.start), min(high, turn.end)
        if start >= end:
            continue
        label_end = min(max(turn.label_end, start), end)
        if turn.start == start:  # not a turn that began before the window
            turn_at[start] = turn
        points.update((start, end, label_end))
        if label_end > start:
            label_ends[start] = label_end

    ordered = sorted(points)
    active: dict[int, Mark] = {}
    result: list[Segment] = []
    label_until = -1
    for index, point in enumerate(ordered[:-1]):
        for mark in closing.get(point, ()):
            active.pop(mark.id, None)
        for mark in opening.get(point, ()):
            active[mark.id] = mark
        label_until = label_ends.get(point, label_until)
        end = ordered[index + 1]
        covering = sorted(active.values(), key=lambda m: (m.start, -m.end, m.id)) if active else []
        innermost = covering[-1] if covering else None
        result.append(
            Segment(
                start=point,
                end=end,
                excerpt_ids=tuple(m.id for m in covering),
                colour_code=innermost.code_ids[0] if innermost and innermost.code_ids else None,
                is_label=point < label_until,
                turn=turn_at.get(point),
            )
        )
    return result


def render_segments(text: str, pieces: Sequence[Segment]) -> SafeString:
    """The segments as HTML: one span each, text escaped, attributes built from numbers and escaped labels."""
    out: list[str] = []
    append = out.append
    for piece in pieces:
        classes = []
        attributes = [f' data-start="{piece.start}"']
        if piece.excerpt_ids:
            classes.append(f"hl d{min(piece.depth, MAX_DEPTH_CLASS)}")
            attributes.append(' data-excerpts="' + " ".join(map(str, piece.excerpt_ids)) + '"')
            if piece.colour_code is not None:
                attributes.append(f' data-code="{piece.colour_code}"')
        if piece.is_label:
            classes.append("turn-label")
        if piece.turn is not None:
            classes.append("turn-start")
            speaker = escape(piece.turn.speaker)
            attributes.append(f' data-turn="{piece.turn.id}" data-speaker="{speaker}" title="{speaker}"')
        if classes:
            attributes.insert(0, f' class="{" ".join(classes)}"')
        append("<span")
        append("".join(attributes))
        append(">")
        append(escape(text[piece.start : piece.end]))
        append("</span>")
    # Every piece of user text above went through escape(); the tags are ours.
    return mark_safe("".join(out))  # noqa: S308


def highlight(text: str, marks: Iterable[Mark], turns: Iterable[TurnMark] = ()) -> SafeString:
    return render_segments(text, segments(text, marks, turns))
