"""The coding view's parts, built in Python rather than templates: they repeat a thousand times per page.

Reads use ``values()`` rows and a fixed number of queries whatever the number
of excerpts. Every piece of user text goes through ``escape()``; the markup
around it is ours.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from html import escape as _html_escape
from types import MappingProxyType

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.models import Study
from interviews.highlight import Mark, TurnMark, render_segments, segments
from interviews.models import Code, Coding, Excerpt, Source, SpeakerLabel, SpeakerTurn
from interviews.selectors_codebook import codebook_fingerprint
from interviews.selectors_sources import EXCERPTS_IN_WINDOW

PATH_SEPARATOR = " › "
ROW_FIELDS = (
    "id",
    "start",
    "end",
    "text",
    "memo",
    "condensed_meaning",
    "is_deviant",
    "is_counter_finding",
    "has_identifying_details",
    "has_unknown_speaker",
    "speakers_overridden",
    "needs_reanchor",
)


def escape(value: object) -> str:
    """HTML-escape ``value`` (& < > " '), as django.utils.html.escape does without its lazy-string wrapper.

    The coding view escapes tens of thousands of pieces per page; Django's wrapper alone cost a third of it.
    """
    return _html_escape(str(value))


# Above this many active codes the picker shows the top of the tree and loads the rest on demand.
TREE_THRESHOLD = 400
# In the model's field order: ``Model.from_db`` reads the values of a partial row in that order.
CODE_FIELDS = ("id", "study_id", "parent_id", "name", "colour", "status", "position", "shortcut")
CACHE_SECONDS = 24 * 60 * 60  # keys carry the fingerprint: an entry is never stale, only unused


class _Codes(Mapping[int, Code]):
    """Code instances by id, each built on first use from the cached rows (most pages touch a few)."""

    def __init__(self, rows: dict[int, tuple], paths: dict[int, str]):
        self._rows, self._paths, self._built = rows, paths, {}

    def __getitem__(self, pk: int) -> Code:
        code = self._built.get(pk)
        if code is None:
            code = Code.from_db(DEFAULT_DB_ALIAS, CODE_FIELDS, self._rows[pk])
            code.path = self._paths[pk]
            self._built[pk] = code
        return code

    def __contains__(self, pk: object) -> bool:
        return pk in self._rows

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class Codebook:
    """The study's codes with their paths (``by_id``); ``active`` in tree order for the picker.

    Read through :func:`codebook`: one query for the fingerprint, and the rows from the cache.
    """

    def __init__(
        self,
        study_id: int,
        fingerprint: str,
        rows: dict[int, tuple],
        order: list[int],
        paths: dict,
        *,
        cached: bool = True,
    ):
        self.study_id, self.fingerprint, self.order, self.paths = study_id, fingerprint, order, paths
        # False when the codebook changed while it was read: nothing made from it may be cached under the fingerprint.
        self.cached = cached
        self.rows = rows
        self.by_id = _Codes(rows, paths)
        self._active_ids = [pk for pk in order if rows[pk][5] == Code.Status.ACTIVE]

    @cached_property
    def active(self) -> list[Code]:
        return [self.by_id[pk] for pk in self._active_ids]

    @property
    def is_large(self) -> bool:
        """Too many codes to list at once: the picker shows a tree with lazy children and a server search."""
        return len(self._active_ids) > TREE_THRESHOLD

    @cached_property
    def active_children(self) -> dict[int | None, list[int]]:
        """Active code ids under each active code (``None``: those whose parent is not an active code)."""
        active = set(self._active_ids)
        children: dict[int | None, list[int]] = {}
        for pk in self._active_ids:
            parent_id = self.rows[pk][2]
            children.setdefault(parent_id if parent_id in active else None, []).append(pk)
        return children

    def search(self, query: str, limit: int) -> list[Code]:
        """Active codes whose path holds every word of ``query`` (case-insensitive), in tree order."""
        words = query.lower().split()
        found = []
        for pk in self._active_ids:
            path = self.paths[pk].lower()
            if all(word in path for word in words):
                found.append(self.by_id[pk])
                if len(found) == limit:
                    break
        return found


def codebook(study: Study, fingerprint: str | None = None) -> Codebook:
    """All codes of the study, each with ``.path`` ("RQ1 › Kjennskap til innovasjon").

    One query (the fingerprint) when the cache holds this version of the codebook, three otherwise;
    none when the caller read the ``fingerprint`` already and the cache holds that version.
    """
    fingerprint = fingerprint or codebook_fingerprint(study)
    key = f"coding:codebook:{study.pk}:{fingerprint}"
    data = _recent.get(key)
    if data is None:
        data = cache.get(key)
        if data is not None:
            _recent.put(key, data)
    if data is not None:
        return Codebook(study.pk, fingerprint, *data)
    data = _arranged(list(Code.objects.filter(study=study).values_list(*CODE_FIELDS)))
    # The rows are read after the fingerprint: cache them under it only if nothing changed in between.
    cached = codebook_fingerprint(study) == fingerprint
    if cached:
        cache.set(key, data, CACHE_SECONDS)
        _recent.put(key, data)
    return Codebook(study.pk, fingerprint, *data, cached=cached)


class _Recent:
    """The last few codebooks this process read, in front of the shared cache (a round trip and unpickling).

    Safe without invalidation for the same reason as the shared cache: the key holds the codebook's fingerprint,
    so an entry is never stale, only unused. Bounded, least recently used first out; the web server's threads
    share it under a lock.
    """

    def __init__(self, size: int):
        self.size, self._entries, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


# A worker serves a few studies at a time; a 6,000-code codebook takes about 2 MB.
_recent = _Recent(size=32)


def _arranged(rows: list[tuple]) -> tuple[dict[int, tuple], list[int], dict[int, str]]:
    """Rows (in Meta ordering: position, name, id) by id, ids in depth-first tree order, and each path."""
    by_id = {row[0]: row for row in rows}
    children: dict[int | None, list[int]] = {}
    for pk, _study, parent_id, *_rest in rows:
        children.setdefault(parent_id if parent_id in by_id else None, []).append(pk)
    order: list[int] = []
    paths: dict[int, str] = {}
    stack: list[tuple[int, str]] = [(pk, "") for pk in reversed(children.get(None, []))]
    while stack:
        pk, prefix = stack.pop()
        paths[pk] = prefix + by_id[pk][3]
        order.append(pk)
        stack.extend((child, paths[pk] + PATH_SEPARATOR) for child in reversed(children.get(pk, [])))
    return by_id, order, paths


# --- the code picker ---------------------------------------------------------------------------------------


def code_panel_html(book: Codebook) -> SafeString:
    """The picker's code list, rendered once per version of the codebook and language.

    Only editors see the picker and it holds nothing user-specific, so the key needs no user.
    """
    key = f"coding:panel:{book.study_id}:{book.fingerprint}:{get_language()}"
    html = cache.get(key)
    if html is None:
        if book.is_large:
            top = book.active_children.get(None, [])
            roots = set(top)
            context = {
                "tree": True,
                "nodes": code_nodes(book, top),
                "shortcuts": [code for code in book.active if code.shortcut and code.pk not in roots],
            }
        else:
            context = {"tree": False, "codes": book.active}
        html = render_to_string("interviews/coding/codes.html", context)
        if book.cached:
            cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


def code_nodes(book: Codebook, ids: list[int]) -> list[tuple[Code, bool]]:
    """The codes ``ids`` of the picker's tree, each with whether it has active sub-codes to load."""
    children = book.active_children
    return [(book.by_id[pk], pk in children) for pk in ids]


def excerpt_rows(
    source: Source, book: Codebook, *, ids: list[int] | None = None, hidden: set[int] | frozenset[int] = frozenset()
) -> list[dict]:
    """The source's excerpts (or those of ``ids``) in source order, with codes, speakers and corroborations: 4 queries.

    ``hidden`` excerpts are left out (a supervisor does not see excerpts of informants without consent).
    """
    excerpts = Excerpt.objects.filter(source=source)
    in_scope = Q(excerpt__source=source)
    if ids is not None:
        excerpts = excerpts.filter(pk__in=ids)
        in_scope = Q(excerpt_id__in=ids)
    if hidden:
        excerpts = excerpts.exclude(pk__in=hidden)
        in_scope &= ~Q(excerpt_id__in=hidden)
    rows = list(excerpts.order_by("start", "end", "id").values(*ROW_FIELDS))
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["codes"], row["speakers"], row["corroborations"] = [], [], 0
    # Each query sees what was committed when it began: an excerpt another coder saved after the first one
    # can show up in the later ones. It is not on this page; its codings, speakers and links are skipped.
    for excerpt_id, code_id in Coding.objects.filter(in_scope).values_list("excerpt_id", "code_id"):
        if excerpt_id in by_id and code_id in book.by_id:
            by_id[excerpt_id]["codes"].append(book.by_id[code_id])
    speakers = Excerpt.speakers.through.objects.filter(in_scope).order_by("informant__code")
    for excerpt_id, informant_code in speakers.values_list("excerpt_id", "informant__code"):
        if excerpt_id in by_id:
            by_id[excerpt_id]["speakers"].append(informant_code)
    links = Excerpt.corroborates.through.objects.filter(
        Q(from_excerpt__source=source) if ids is None else Q(from_excerpt_id__in=ids)
    )
    if hidden:
        links = links.exclude(from_excerpt_id__in=hidden)
    for (excerpt_id,) in links.values_list("from_excerpt_id"):
        if excerpt_id in by_id:
            by_id[excerpt_id]["corroborations"] += 1
    for row in rows:
        row["codes"].sort(key=lambda code: code.path)
    return rows


def new_excerpt_row(excerpt: Excerpt, book: Codebook) -> dict:
    """The margin row of an excerpt just made by ``excerpt_create``, from what the service returned: no query."""
    row = {name: getattr(excerpt, name) for name in ROW_FIELDS}
    row["codes"] = sorted((book.by_id[code.pk] for code in excerpt.applied_codes), key=lambda code: code.path)
    row["speakers"] = sorted(excerpt.speaker_codes.values())
    row["corroborations"] = 0
    return row


# --- the text ----------------------------------------------------------------------------------------------


def speaker_name(label: SpeakerLabel) -> str:
    if label.role == SpeakerLabel.Role.INFORMANT and label.informant_id:
        return f"{label.label} → {label.informant.code}"
    return f"{label.label} → {label.get_role_display()}"


def line_window(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole lines around ``[start, end)``: line starts are always segment boundaries."""
    low = text.rfind("\n", 0, start) + 1
    if end >= len(text) or text[end - 1] == "\n":
        return low, min(end, len(text))
    newline = text.find("\n", end)
    return low, len(text) if newline == -1 else newline + 1


def masked_text(text: str, turns: list, masked: set[int]) -> str:
    """``text`` with the speech of ``masked`` informants' turns blotted out, keeping every offset.

    Each visible character of their speech becomes "·" (whitespace and line ends stay), so the
    spans of everyone else's excerpts still start and end where they did.
    """
    if not masked:
        return text
    chars = list(text)
    for turn in turns:
        if turn.speaker.informant_id in masked:
            for index in range(turn.label_end, turn.end):
                if not chars[index].isspace():
                    chars[index] = "·"
    return "".join(chars)


def text_html(
    source: Source,
    book: Codebook,
    *,
    rows: list[dict] | None = None,
    window: tuple[int, int] | None = None,
    masked: set[int] | frozenset[int] = frozenset(),
    turns: list[SpeakerTurn] | None = None,
    codings: list[tuple] | None = None,
) -> SafeString:
    """The highlighted text, or only the spans of ``window`` (whole lines).

    One query for the turns unless ``turns`` (at least those overlapping the window,
    with ``speaker__informant``) are given, plus one for the excerpts unless ``rows``
    (all of them, from :func:`excerpt_rows`) or ``codings`` (at least those overlapping
    the window, as :data:`~interviews.selectors_sources.EXCERPTS_IN_WINDOW` reads them) are
    given. The speech of ``masked`` informants is blotted out.
    """
    low, high = window or (0, len(source.text))
    if rows is None:
        if codings is None:
            codings = EXCERPTS_IN_WINDOW.rows(model=Excerpt, source=source.pk, low=low, high=high)
        by_id: dict[int, dict] = {}
        for pk, start, end, code_id in codings:
            if not (start < high and end > low):
                continue
            row = by_id.setdefault(pk, {"id": pk, "start": start, "end": end, "codes": []})
            if code_id in book.by_id:
                row["codes"].append(book.by_id[code_id])
        rows = list(by_id.values())
        for row in rows:
            row["codes"].sort(key=lambda code: code.path)
    marks = [Mark(row["id"], row["start"], row["end"], tuple(code.pk for code in row["codes"])) for row in rows]
    if turns is None:
        turns = list(
            SpeakerTurn.objects.overlapping(source, low, high)
            .select_related("speaker__informant")
            .only("id", "start", "end", "label_end", "speaker__label", "speaker__role", "speaker__informant__code")
            .order_by("start")  # one source: the model's ordering would join the source for its title
        )
    else:
        turns = [turn for turn in turns if turn.start < high and turn.end > low]
    turn_marks = [TurnMark(turn.pk, turn.start, turn.end, turn.label_end, speaker_name(turn.speaker)) for turn in turns]
    text = masked_text(source.text, turns, set(masked))
    return render_segments(text, segments(text, marks, turn_marks, window=(low, high)))


# --- the coding view's fixed words -----------------------------------------------------------------------


def coding_labels() -> Mapping[str, str]:
    """The margin's and the toolbar's words in the active language, escaped (``remove`` after formatting); read only."""
    return _coding_labels(get_language())


@functools.cache
def _coding_labels(language: str | None) -> Mapping[str, str]:
    """Built once per language: translating a dozen words took as long as rendering an applied code's margin item."""
    words = {
        "hint": _("Select text, then pick a code."),
        "undo": _("Undo"),
        "show": _("Show in the text"),
        "unknown": _("Someone not mapped to an informant speaks here"),
        "overridden": _("Speakers set by hand"),
        "deviant": _("deviant"),
        "counter": _("counter-finding"),
        "identifying": _("identifying"),
        "reanchor": _("re-anchor"),
        "corroborations": _("Corroborations"),
        "details_title": _("Memo, meaning, flags, speakers"),
        "details": _("Details"),
        "delete": _("Delete excerpt"),
        "meaning": _("Meaning"),
    }
    labels = {key: escape(value) for key, value in words.items()}
    labels["remove"] = _("Remove the code %(name)s")  # escaped after formatting
    return MappingProxyType(labels)


# --- the toolbar and the answer to a write -------------------------------------------------------------------


def toolbar_html(
    *, can_edit: bool, can_undo: bool, message: str = "", warning: str = "", errors: Sequence[str] = ()
) -> SafeString:
    """The status line above the text (errors, else the message of the last write, else a hint) and Undo."""
    labels = coding_labels()
    if errors:
        status = '<span class="text-danger">' + "".join(f"{escape(error)} " for error in errors) + "</span>"
    elif message:
        status = escape(message)
        if warning:
            status += (
                ' <span class="text-warning-emphasis" data-consent-warning>'
                f'<i class="bi bi-exclamation-triangle"></i> {escape(warning)}</span>'
            )
    elif can_edit:
        status = f'<span class="text-body-secondary">{labels["hint"]}</span>'
    else:
        status = ""
    undo = (
        f'<button id="undo" class="btn btn-sm btn-outline-secondary" type="button"{"" if can_undo else " disabled"}>'
        f'<i class="bi bi-arrow-counterclockwise"></i> {labels["undo"]} <kbd>Ctrl+Z</kbd></button>'
        if can_edit
        else ""
    )
    # The status's words are escaped above; the tags are ours.
    return mark_safe(  # noqa: S308
        '<div class="d-flex align-items-center gap-2 mb-2">'
        f'<div id="coding-status" class="small me-auto" role="status" aria-live="polite">{status}</div>{undo}</div>'
    )


def changes_html(
    toolbar: SafeString,
    windows: list[tuple[int, int, SafeString]],
    items: list[tuple[int, SafeString]],
    removed: Sequence[int] = (),
    codes_html: SafeString | None = None,
) -> SafeString:
    """The answer to a local write, as coding.js swaps it in: each ``<template>`` names what it replaces."""
    out = [f'<template data-target="coding-toolbar">{toolbar}</template>']
    out += [f'<template data-text-window="{int(low)} {int(high)}">{html}</template>' for low, high, html in windows]
    out += [f'<template data-margin-item="{int(pk)}">{html}</template>' for pk, html in items]
    out += [f'<template data-margin-remove="{int(pk)}"></template>' for pk in removed]
    if codes_html is not None:
        out.append(f'<template data-target="coding-codes">{codes_html}</template>')
    # Numbers and pieces that are safe already.
    return mark_safe("\n".join(out))  # noqa: S308


# --- the margin --------------------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, escaped (``Truncator`` is too slow for a thousand items per page)."""
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def margin_item(row: dict, can_edit: bool, labels: Mapping[str, str]) -> SafeString:
    pk, start, end = row["id"], row["start"], row["end"]
    out = [
        f'<li class="list-group-item margin-item px-2 py-1" id="excerpt-{pk}" data-excerpt="{pk}" data-key="{start} {end}">'
        '<div class="d-flex align-items-center gap-1 flex-wrap">'
        f'<button type="button" class="btn btn-link btn-sm p-0 margin-jump" data-jump="{pk}" title="{labels["show"]}">'
        f"{start}–{end}</button>"
    ]
    out += [f'<span class="badge text-bg-secondary">{escape(code)}</span>' for code in row["speakers"]]
    if row["has_unknown_speaker"]:
        out.append(f'<span class="badge text-bg-light border" title="{labels["unknown"]}">?</span>')
    if row["speakers_overridden"]:
        out.append(f'<i class="bi bi-person-check small" title="{labels["overridden"]}"></i>')
    if row["is_deviant"]:
        out.append(f'<span class="badge text-bg-warning">{labels["deviant"]}</span>')
    if row["is_counter_finding"]:
        out.append(f'<span class="badge text-bg-danger">{labels["counter"]}</span>')
    if row["has_identifying_details"]:
        out.append(f'<span class="badge text-bg-dark">{labels["identifying"]}</span>')
    if row["needs_reanchor"]:
        out.append(f'<span class="badge text-bg-danger">{labels["reanchor"]}</span>')
    if row["corroborations"]:
        out.append(
            f'<span class="badge text-bg-info" title="{labels["corroborations"]}">'
            f'<i class="bi bi-link-45deg"></i> {row["corroborations"]}</span>'
        )
    if can_edit:
        out.append(
            '<span class="ms-auto d-flex gap-1">'
            f'<button type="button" class="btn btn-outline-secondary btn-sm py-0 px-1" data-action="detail" title="{labels["details_title"]}">'
            f'<i class="bi bi-pencil"></i><span class="visually-hidden">{labels["details"]}</span></button>'
            f'<button type="button" class="btn btn-outline-danger btn-sm py-0 px-1" data-action="delete" title="{labels["delete"]}">'
            f'<i class="bi bi-trash"></i><span class="visually-hidden">{labels["delete"]}</span></button></span>'
        )
    out.append('</div><div class="margin-codes">')
    for code in row["codes"]:
        out.append(f'<span class="badge code-badge" data-code="{code.pk}">{escape(code.path)}')
        if can_edit:
            out.append(
                f' <button type="button" class="btn-close code-remove" data-action="remove" data-code-id="{code.pk}"'
                f' aria-label="{escape(labels["remove"] % {"name": code.name})}"></button>'
            )
        out.append("</span>")
    out.append(f'</div><div class="small text-body-secondary margin-text">{_cut(row["text"], 140)}</div>')
    if row["condensed_meaning"]:
        meaning = _cut(row["condensed_meaning"], 160)
        out.append(f'<div class="small"><span class="text-body-secondary">{labels["meaning"]}:</span> {meaning}</div>')
    if row["memo"]:
        out.append(f'<div class="small margin-memo"><i class="bi bi-sticky"></i> {_cut(row["memo"], 200)}</div>')
    out.append("</li>")
    # Every value above is escaped or a number; the tags are ours.
    return mark_safe("".join(out))  # noqa: S308


def margin_html(rows: list[dict], can_edit: bool) -> SafeString:
    labels = coding_labels()
    return mark_safe("".join(margin_item(row, can_edit, labels) for row in rows))  # noqa: S308  (items are safe)
