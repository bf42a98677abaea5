"""The highlighter: the HTML, with its tags stripped and entities unescaped, is the source text exactly."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from interviews.highlight import Mark, TurnMark, highlight, render_segments, segments
from interviews.views.coding_parts import line_window

TAG = re.compile(r"<[^>]*>")
SPAN = re.compile(r"<span([^>]*)>([^<]*)</span>")
SPAN_WHOLE = re.compile(r'(<span[^>]*data-start="(\d+)"[^>]*>[^<]*</span>)')

ALPHABET = st.sampled_from(list("ab c\n<>&\"'æøåÆØÅ😀🇳🇴é\u0301\t;:/=") + ["&amp;", "<script>", "-->", "\r"])


def strip(markup: str) -> str:
    return html.unescape(TAG.sub("", markup))


@st.composite
def source_with_marks(draw):
    text = "".join(draw(st.lists(ALPHABET, max_size=60)))
    length = len(text)
    offsets = st.integers(min_value=0, max_value=max(length, 0))
    marks = []
    for index in range(draw(st.integers(min_value=0, max_value=8))):
        a, b = draw(offsets), draw(offsets)
        if a == b:
            continue
        start, end = min(a, b), max(a, b)
        marks.append(Mark(index + 1, start, end, (draw(st.integers(1, 5)),)))
    if marks and draw(st.booleans()):  # identical twin
        twin = marks[0]
        marks.append(Mark(100, twin.start, twin.end, (9,)))
    if marks and draw(st.booleans()):  # touching neighbour
        first = marks[0]
        if first.end < length:
            marks.append(Mark(101, first.end, length, ()))
    cuts = sorted(set(draw(st.lists(offsets, max_size=5))) | {0, length})
    turns = []
    for index, (start, end) in enumerate(zip(cuts, cuts[1:], strict=False)):
        if start < end and draw(st.booleans()):
            label_end = draw(st.integers(min_value=start, max_value=end))
            turns.append(TurnMark(index + 1, start, end, label_end, draw(st.sampled_from(["I3", "<b>", 'K"2']))))
    return text, marks, turns


@settings(max_examples=400, deadline=None)
@given(source_with_marks())
def test_stripped_html_is_the_source_text(case):
    text, marks, turns = case
    markup = highlight(text, marks, turns)
    assert strip(markup) == text


@settings(max_examples=200, deadline=None)
@given(source_with_marks())
def test_segments_tile_the_text_and_know_their_excerpts(case):
    text, marks, turns = case
    pieces = segments(text, marks, turns)
    assert [p.start for p in pieces[1:]] == [p.end for p in pieces[:-1]]
    if text:
        assert pieces[0].start == 0 and pieces[-1].end == len(text)
    for piece in pieces:
        assert piece.start < piece.end or not text
        covering = {m.id for m in marks if m.start <= piece.start and piece.end <= m.end}
        assert set(piece.excerpt_ids) == covering
        # No excerpt boundary falls strictly inside a segment.
        assert not any(piece.start < m.start < piece.end or piece.start < m.end < piece.end for m in marks)


@settings(max_examples=200, deadline=None)
@given(source_with_marks())
def test_each_span_says_where_its_text_starts(case):
    text, marks, turns = case
    for attributes, body in SPAN.findall(highlight(text, marks, turns)):
        start = int(re.search(r'data-start="(\d+)"', attributes).group(1))
        content = html.unescape(body)
        assert text[start : start + len(content)] == content


@settings(max_examples=300, deadline=None)
@given(source_with_marks(), st.data())
def test_a_window_of_whole_lines_renders_the_same_spans_as_the_whole_text(case, data):
    """What the apply answer sends for the lines around a change is exactly what a full render has there."""
    text, marks, turns = case
    if not text:
        return
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    low, high = line_window(text, a, b)
    assert (
        low <= a and b <= high and (low == 0 or text[low - 1] == "\n") and (high == len(text) or text[high - 1] == "\n")
    )
    full = SPAN_WHOLE.findall(highlight(text, marks, turns))
    inside = "".join(span for span, start in full if low <= int(start) < high)
    assert render_segments(text, segments(text, marks, turns, window=(low, high))) == inside


def test_nesting_depth_classes_and_order():
    text = "0123456789"
    marks = [Mark(1, 0, 10, (11,)), Mark(2, 2, 8, (12,)), Mark(3, 4, 6, (13,)), Mark(4, 5, 6, (14,))]
    by_start = {p.start: p for p in segments(text, marks)}
    assert by_start[0].excerpt_ids == (1,) and by_start[0].depth == 1
    assert by_start[2].excerpt_ids == (1, 2)
    assert by_start[4].excerpt_ids == (1, 2, 3) and by_start[4].colour_code == 13
    assert by_start[5].excerpt_ids == (1, 2, 3, 4) and by_start[5].colour_code == 14
    markup = highlight(text, marks)
    assert '<span class="hl d1" data-start="0" data-excerpts="1" data-code="11">01</span>' in markup
    assert 'class="hl d3" data-start="4" data-excerpts="1 2 3"' in markup
    # Depth 4 still gets the deepest class (3+).
    assert 'class="hl d3" data-start="5" data-excerpts="1 2 3 4" data-code="14">5<' in markup
    assert '<span data-start="8">' not in markup  # 8–10 is still inside excerpt 1
    assert 'class="hl d1" data-start="8"' in markup


def test_identical_and_touching_excerpts():
    text = "abcdef"
    pieces = segments(text, [Mark(1, 0, 3), Mark(2, 0, 3), Mark(3, 3, 6)])
    assert [(p.start, p.end, p.excerpt_ids) for p in pieces] == [(0, 3, (1, 2)), (3, 6, (3,))]


def test_turn_labels_are_badges_and_turn_starts_are_marked():
    text = "I3: Ja, vi delte.\nModerator: Hvordan?"
    turns = [TurnMark(7, 0, 18, 3, "I3 → K1"), TurnMark(8, 18, len(text), 28, "Moderator")]
    markup = highlight(text, [Mark(5, 4, 17, (2,))], turns)
    assert (
        '<span class="turn-label turn-start" data-start="0" data-turn="7" data-speaker="I3 → K1" title="I3 → K1">I3:</span>'
        in markup
    )
    assert 'data-start="18" data-turn="8"' in markup and ">Moderator:</span>" in markup
    assert '<span class="hl d1" data-start="4" data-excerpts="5" data-code="2">Ja, vi delte.</span>' in markup
    assert "<br" not in markup and strip(markup) == text


def test_user_text_is_escaped_never_trusted():
    text = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
    markup = highlight(text, [Mark(1, 0, 8)], [TurnMark(1, 0, len(text), 0, '"><img src=x onerror=alert(1)>')])
    assert "<script>" not in markup and "<img" not in markup
    assert "&lt;script&gt;" in markup and "&quot;&gt;&lt;img" in markup


def test_out_of_range_and_empty_marks_are_clipped_or_ignored():
    pieces = segments("abc", [Mark(1, -5, 2), Mark(2, 2, 99), Mark(3, 1, 1)])
    assert [(p.start, p.end, p.excerpt_ids) for p in pieces] == [(0, 2, (1,)), (2, 3, (2,))]


def test_a_long_transcript_with_many_excerpts_highlights_exactly():
    """Speed is measured in bench/coding_view.py, not asserted here; this checks correctness at full size."""
    sentence = "I3: Vi måtte lære av hverandre & dele <erfaringer> 😀 med kundene.\n"
    text = (sentence * (250_000 // len(sentence) + 1))[:250_000]
    step = len(text) // 1000
    marks = [Mark(i, i * step, min(i * step + step * 2, len(text)), (i % 80,)) for i in range(1000)]
    turns = [
        TurnMark(i, i * len(sentence), (i + 1) * len(sentence), i * len(sentence) + 3, "I3")
        for i in range(len(text) // len(sentence))
    ]
    markup = highlight(text, marks, turns)
    assert strip(markup) == text
    highlighted = {int(i) for ids in re.findall(r'data-excerpts="([^"]+)"', markup) for i in ids.split()}
    assert highlighted == set(range(1000))
