"""Reads for the codebook and memos: the code tree from one flat query, memo lists with their targets."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, QuerySet

from cases.models import Study
from cases.precompiled import prepared

from .models import Code, Coding, Memo, Source

PATH_SEPARATOR = " > "


@dataclass
class CodeNode:
    code: Code
    depth: int
    path: str
    parent_path: str
    children: list[CodeNode] = field(default_factory=list)
    has_active: bool = False  # the code or one of its descendants is active

    @property
    def is_active(self) -> bool:
        return self.code.status == Code.Status.ACTIVE


@dataclass
class CodeTree:
    roots: list[CodeNode]
    nodes: list[CodeNode]  # depth-first, in codebook order

    def __len__(self) -> int:
        return len(self.nodes)


def _order(code: Code) -> tuple:
    return (code.position, code.name.lower(), code.pk)


def build_tree(codes: Iterable[Code]) -> CodeTree:
    """Arrange a flat list of one study's codes into a tree by ``parent_id``, siblings in codebook order.

    A code whose parent is not in the list is shown at the top level, so no code is ever lost from view.
    """
    codes = list(codes)
    known = {code.pk for code in codes}
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        parent_id = code.parent_id if code.parent_id in known else None
        children.setdefault(parent_id, []).append(code)
    for siblings in children.values():
        siblings.sort(key=_order)

    nodes: list[CodeNode] = []
    seen: set[int] = set()

    def visit(code: Code, depth: int, parent_path: str) -> CodeNode:
        seen.add(code.pk)
        path = f"{parent_path}{PATH_SEPARATOR}{code.name}" if parent_path else code.name
        node = CodeNode(code=code, depth=depth, path=path, parent_path=parent_path)
        nodes.append(node)
        for child in children.get(code.pk, []):
            if child.pk not in seen:
                node.children.append(visit(child, depth + 1, path))
        node.has_active = node.is_active or any(child.has_active for child in node.children)
        return node

    roots = [visit(code, 0, "") for code in children.get(None, [])]
    return CodeTree(roots=roots, nodes=nodes)


def code_paths(codes: Iterable[Code]) -> dict[int, str]:
    """Each code's path (``A > B > C``) by id."""
    return {node.code.pk: node.path for node in build_tree(codes).nodes}


# What the code lists show of a code; the fingerprint covers exactly these.
LISTED_FIELDS = ("id", "parent_id", "name", "colour", "status", "shortcut", "position")


def fingerprint_of(rows: Iterable[tuple]) -> str:
    """A digest of code rows (``LISTED_FIELDS``, in id order), for databases without ``md5()`` in SQL."""
    return hashlib.md5(json.dumps(list(rows), default=str).encode(), usedforsecurity=False).hexdigest()


def codebook_fingerprint(study: Study) -> str:
    """A digest of what the code lists show of every code of ``study``, in one query.

    It changes whenever a code is added, deleted, renamed, moved, recoloured, reordered,
    dropped, merged or given a shortcut, whether through a service or ``QuerySet.update()``:
    it is computed from the rows themselves, not from a timestamp. Caches of rendered code
    lists are keyed by it. On PostgreSQL the rows never leave the database (7–14 ms for
    6,000 codes as the machine's speed drifts; a row's text form, quoted where needed and empty for
    NULL, costs about 30 % less than a JSON array of the same fields); elsewhere they are read and hashed in Python.
    """
    if connection.vendor != "postgresql":
        return fingerprint_of(Code.objects.filter(study=study).order_by("id").values_list(*LISTED_FIELDS))
    with connection.cursor() as cursor, prepared(connection):
        cursor.execute(fingerprint_sql("%s"), [study.pk])
        return cursor.fetchone()[0]


def fingerprint_sql(study: str) -> str:
    """PostgreSQL's :func:`codebook_fingerprint` of the study ``study`` (a placeholder or a column), as a subquery.

    Only quoted names from the model go into it; another query may carry it as a column
    (``RawSQL``) to save the round trip.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in LISTED_FIELDS)
    return (
        f"SELECT md5(coalesce(string_agg(ROW({columns})::text, ',' ORDER BY id), ''))"  # noqa: S608
        f" FROM {quote(Code._meta.db_table)} WHERE study_id = {study}"
    )


def codebook_codes(study: Study) -> list[Code]:
    """The study's codes with their RQ, merge target, counts and ``guide_question_list``, in three queries.

    ``excerpt_count`` counts the excerpts coded with the code; ``informant_count``
    counts the distinct informants speaking in those excerpts. The counts come from their own
    aggregate, grouped by the code's key alone: annotated on the codes, the query grouped and sorted
    every coding row with all of its code's columns (and the RQ's and the merge target's) and took
    455 ms for a codebook of 6,000 codes with 144,000 codings, 23 ms for a typical one of 60.
    """
    codes = _listed_codes(study)
    _add_details(study, codes, None)
    return codes


def _listed_codes(study: Study) -> list[Code]:
    return list(Code.objects.filter(study=study).select_related("research_question", "merged_into"))


def _add_details(study: Study, codes: list[Code], detailed: set[int] | None) -> None:
    """Each code's counts and ``guide_question_list``; with ``detailed``, only those codes' (others: 0, none)."""
    links = Code.guide_questions.through.objects.filter(code__study=study)
    codings = Coding.objects.filter(code__study=study)
    if detailed is not None:
        links, codings = links.filter(code_id__in=detailed), codings.filter(code_id__in=detailed)
    # The guide questions from one query of the links, not prefetch_related: it builds a queryset for every
    # code to cache them in, 340 of the 440 ms that reading 6,000 codes took.
    questions: dict[int, list] = defaultdict(list)
    for link in links.select_related("guidequestion").order_by("guidequestion__position", "guidequestion_id"):
        questions[link.code_id].append(link.guidequestion)
    counts = {
        code_id: (excerpts, informants)
        for code_id, excerpts, informants in codings.order_by()
        .values_list("code_id")
        .annotate(
            excerpts=Count("excerpt_id", distinct=True),
            informants=Count("excerpt__speakers", distinct=True),
        )
    }
    for code in codes:
        code.excerpt_count, code.informant_count = counts.get(code.pk, (0, 0))
        code.guide_question_list = questions.get(code.pk, [])


def codebook_tree(study: Study) -> CodeTree:
    return build_tree(codebook_codes(study))


# The codebook page shows this many top-level codes, each with all of its sub-codes. A typical codebook has
# 7 (60 codes) and fits on one page; one of 6,000 codes has 750, and all of them at once were 16 MB of HTML.
CODEBOOK_PAGE_ROOTS = 50


@dataclass
class CodebookPage:
    tree: CodeTree  # every code; only those under ``page``'s top-level codes have their counts and questions
    page: Page  # of ``tree.roots``


def _subtree(node: CodeNode) -> Iterator[CodeNode]:
    yield node
    for child in node.children:
        yield from _subtree(child)


def codebook_page(study: Study, number: Any = 1) -> CodebookPage:
    """Page ``number`` of the codebook's top-level codes (any value: Django's ``get_page`` rules)."""
    codes = _listed_codes(study)
    tree = build_tree(codes)
    page = Paginator(tree.roots, CODEBOOK_PAGE_ROOTS).get_page(number)
    _add_details(study, codes, {node.code.pk for root in page.object_list for node in _subtree(root)})
    return CodebookPage(tree, page)


def codebook_page_of(study: Study, code_id: int) -> int:
    """The page of the codebook that shows code ``code_id`` (1 if it is not in the study)."""
    codes = Code.objects.filter(study=study).only("pk", "parent_id", "name", "position")
    for number, root in enumerate(build_tree(codes).roots):
        if any(node.code.pk == code_id for node in _subtree(root)):
            return number // CODEBOOK_PAGE_ROOTS + 1
    return 1


def code_choices(study: Study, *, active_only: bool = True, exclude: set[int] | None = None) -> list[tuple[int, str]]:
    """(id, indented name) for a select, in tree order, from one query."""
    codes = Code.objects.filter(study=study).only("pk", "name", "parent_id", "position", "status")
    choices = []
    for node in build_tree(codes).nodes:
        if exclude and node.code.pk in exclude:
            continue
        if active_only and not node.is_active:
            continue
        choices.append((node.code.pk, f"{'— ' * node.depth}{node.code.name}"))
    return choices


def memo_list(study: Study, *, target: str = "") -> QuerySet[Memo]:
    """The study's memos with their targets; ``target`` is ``study``, ``code-<id>`` or ``source-<id>`` (empty: all)."""
    memos = Memo.objects.filter(study=study).select_related("code", "source", "created_by")
    if target == "study":
        return memos.filter(code__isnull=True, source__isnull=True)
    if target == "codes":
        return memos.filter(code__isnull=False)
    if target == "sources":
        return memos.filter(source__isnull=False)
    kind, _sep, pk = target.partition("-")
    if pk.isdigit() and kind == "code":
        return memos.filter(code_id=int(pk))
    if pk.isdigit() and kind == "source":
        return memos.filter(source_id=int(pk))
    return memos


def memo_target_choices(study: Study) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The codes (tree order) and sources a memo may be about, as ``code-<id>``/``source-<id>`` choices (two queries)."""
    codes = [(f"code-{pk}", name) for pk, name in code_choices(study, active_only=False)]
    sources = [
        (f"source-{source.pk}", str(source))
        for source in Source.objects.filter(study=study)
        .only("pk", "title", "version")
        .order_by("title", "version", "id")
    ]
    return codes, sources
