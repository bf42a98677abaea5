"""``{% codebook_nodes tree %}``: the codebook page's tree of codes built in Python.

Each code was a recursive ``{% include %}`` of a template with seven URLs to reverse, a dozen
translations, three CSRF fields and some forty variable look-ups: 100 of the page's 135 ms for a typical
codebook of 60 codes, and 8 seconds for one of 6,000. Here the URLs are reversed once per page (a code's
key put into a pattern reversed with a stand-in), the words translated once, and each code is a few string
joins. The markup is what the template made; every value from the database is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from cases.permissions import Action
from interviews.models import Code
from interviews.selectors_codebook import CodeNode, CodeTree

register = template.Library()

# A key no code has, reversed in its place and then replaced by each code's (the last occurrence in the URL).
_STAND_IN = 987_654_321


def _pattern(name: str, study_id: int) -> tuple[str, str]:
    url = reverse(name, args=[study_id, _STAND_IN])
    before, _stand_in, after = url.rpartition(str(_STAND_IN))
    return escape(before), escape(after)


@dataclass(frozen=True)
class _Page:
    """What every code's row shares: the URLs around the code's key, the words, the CSRF field."""

    can_edit: bool
    hide_inactive: bool
    create: str
    memo: str
    edit: tuple[str, str]
    reorder: tuple[str, str]
    move: tuple[str, str]
    merge: tuple[str, str]
    drop: tuple[str, str]
    delete: tuple[str, str]
    csrf: str
    words: dict[str, str]

    def url(self, pattern: tuple[str, str], pk: int) -> str:
        return f"{pattern[0]}{pk}{pattern[1]}"


def _page(context: template.Context, study_id: int) -> _Page:
    request = context["request"]
    words = {
        key: escape(gettext(text))
        for key, text in {
            "shortcut": gettext_noop("Shortcut key"),
            "dropped": gettext_noop("Dropped"),
            "guide": gettext_noop("Guide"),
            "excerpts": gettext_noop("Excerpts"),
            "informants": gettext_noop("Informants"),
            "add": gettext_noop("Add a sub-code"),
            "edit": gettext_noop("Edit"),
            "up": gettext_noop("Move up"),
            "down": gettext_noop("Move down"),
            "move": gettext_noop("Move to another parent"),
            "memo": gettext_noop("Write a memo"),
            "merge": gettext_noop("Merge into another code"),
            "drop_confirm": gettext_noop(
                "Drop this code? Its excerpts keep it, but it is no longer offered for coding."
            ),
            "drop": gettext_noop("Drop"),
            "delete_confirm": gettext_noop("Delete this code?"),
            "delete": gettext_noop("Delete"),
        }.items()
    }
    token = context.get("csrf_token")
    return _Page(
        can_edit=bool(request.study_can[Action.EDIT.value]),
        hide_inactive=bool(context.get("hide_inactive")),
        create=escape(reverse("code_create", args=[study_id])),
        memo=escape(reverse("memo_create", args=[study_id])),
        edit=_pattern("code_edit", study_id),
        reorder=_pattern("code_reorder", study_id),
        move=_pattern("code_move", study_id),
        merge=_pattern("code_merge", study_id),
        drop=_pattern("code_drop", study_id),
        delete=_pattern("code_delete", study_id),
        csrf=f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">' if token else "",
        words=words,
    )


def _actions(page: _Page, node: CodeNode, first: bool, last: bool) -> str:
    code, words, pk = node.code, page.words, node.code.pk
    parts = ['\n    <div class="text-nowrap small">\n      ']
    if node.is_active:
        parts.append(
            f'<a class="btn btn-sm btn-link p-0" href="{page.create}?parent={pk}" title="{words["add"]}" '
            f'aria-label="{words["add"]}"><i class="bi bi-plus-square"></i></a>\n      '
        )
    parts.append(
        f'\n      <a class="btn btn-sm btn-link p-0" href="{page.url(page.edit, pk)}" title="{words["edit"]}" '
        f'aria-label="{words["edit"]}"><i class="bi bi-pencil"></i></a>\n'
        f'      <form method="post" action="{page.url(page.reorder, pk)}" class="d-inline">{page.csrf}\n'
        f'        <button class="btn btn-sm btn-link p-0" name="direction" value="up" {"disabled" if first else ""} '
        f'title="{words["up"]}" aria-label="{words["up"]}"><i class="bi bi-arrow-up"></i></button>\n'
        f'        <button class="btn btn-sm btn-link p-0" name="direction" value="down" {"disabled" if last else ""} '
        f'title="{words["down"]}" aria-label="{words["down"]}"><i class="bi bi-arrow-down"></i></button>\n'
        f"      </form>\n"
        f'      <a class="btn btn-sm btn-link p-0" href="{page.url(page.move, pk)}" title="{words["move"]}" '
        f'aria-label="{words["move"]}"><i class="bi bi-arrows-move"></i></a>\n'
        f'      <a class="btn btn-sm btn-link p-0" href="{page.memo}?code={pk}" title="{words["memo"]}" '
        f'aria-label="{words["memo"]}"><i class="bi bi-journal-plus"></i></a>\n      '
    )
    if node.is_active:
        parts.append(
            f'\n      <a class="btn btn-sm btn-link p-0" href="{page.url(page.merge, pk)}" title="{words["merge"]}" '
            f'aria-label="{words["merge"]}"><i class="bi bi-sign-merge-left"></i></a>\n'
            f'      <form method="post" action="{page.url(page.drop, pk)}" class="d-inline" '
            f'data-confirm="{words["drop_confirm"]}">{page.csrf}<button class="btn btn-sm btn-link p-0 text-warning" '
            f'title="{words["drop"]}" aria-label="{words["drop"]}"><i class="bi bi-slash-circle"></i></button></form>\n      '
        )
    parts.append("\n      ")
    if not code.excerpt_count and not node.children:
        parts.append(
            f'\n      <form method="post" action="{page.url(page.delete, pk)}" class="d-inline" '
            f'data-confirm="{words["delete_confirm"]}">{page.csrf}<button class="btn btn-sm btn-link p-0 text-danger" '
            f'title="{words["delete"]}" aria-label="{words["delete"]}"><i class="bi bi-trash"></i></button></form>\n      '
        )
    parts.append("\n    </div>\n    ")
    return "".join(parts)


def _node(page: _Page, node: CodeNode, first: bool, last: bool, out: list[str]) -> None:
    if page.hide_inactive and not node.has_active:
        return
    code, words, pk = node.code, page.words, node.code.pk
    inactive = not node.is_active
    out.append(
        f'\n<li class="codebook-node py-1" id="code-{pk}" data-code="{pk}" data-depth="{node.depth}">\n'
        f'  <div class="d-flex flex-wrap align-items-start gap-2 border-bottom pb-1 '
        f'{"text-body-secondary opacity-75" if inactive else ""}">\n'
        f'    <span class="rq-swatch mt-1" data-colour="{escape(code.colour)}" aria-hidden="true"></span>\n'
        f'    <div class="me-auto codebook-main">\n'
        f'      <span class="fw-semibold code-name {"text-decoration-line-through" if inactive else ""}">'
        f"{escape(code.name)}</span>\n      "
    )
    if code.shortcut:
        out.append(f'<kbd class="small ms-1" title="{words["shortcut"]}">{escape(code.shortcut)}</kbd>')
    out.append(
        f'\n      <span class="badge text-bg-light border ms-1">{escape(code.get_origin_display())}</span>\n      '
    )
    if code.status == Code.Status.DROPPED:
        out.append(f'<span class="badge text-bg-secondary ms-1">{words["dropped"]}</span>')
    elif code.status == Code.Status.MERGED:
        merged = gettext("Merged into %(name)s") % {"name": escape(code.merged_into.name if code.merged_into else "")}
        out.append(f'<span class="badge text-bg-secondary ms-1">{merged}</span>')
    out.append("\n      ")
    question = code.research_question
    if question:
        out.append(
            f'<span class="badge text-bg-light border ms-1" title="{escape(question.text)}">'
            f'<span class="rq-swatch" data-colour="{escape(question.colour)}"></span> {escape(question.label)}</span>'
        )
    out.append("\n      ")
    if code.description:
        out.append(f'<div class="small">{linebreaksbr(code.description, autoescape=True)}</div>')
    out.append("\n      ")
    questions = code.guide_question_list
    if questions:
        spans = "".join(f'<span class="me-2">{escape(question)}</span>' for question in questions)
        out.append(f'\n      <div class="small text-body-secondary">{words["guide"]}: {spans}</div>\n      ')
    out.append(
        f"\n    </div>\n"
        f'    <span class="small text-nowrap" title="{words["excerpts"]}"><i class="bi bi-chat-square-quote"></i> '
        f'<span class="excerpt-count">{int(code.excerpt_count)}</span></span>\n'
        f'    <span class="small text-nowrap" title="{words["informants"]}"><i class="bi bi-person"></i> '
        f'<span class="informant-count">{int(code.informant_count)}</span></span>\n    '
    )
    if page.can_edit:
        out.append(_actions(page, node, first, last))
    out.append("\n  </div>\n  ")
    if node.children:
        out.append('\n  <ul class="list-unstyled ps-4 mb-0">\n    ')
        _nodes(page, node.children, out)
        out.append("\n  </ul>\n  ")
    out.append("\n</li>\n")


def _nodes(page: _Page, nodes: list[CodeNode], out: list[str]) -> None:
    for index, node in enumerate(nodes):
        _node(page, node, index == 0, index == len(nodes) - 1, out)


@register.simple_tag(takes_context=True)
def codebook_nodes(context: template.Context, tree: CodeTree, roots: list[CodeNode], study_id: int) -> SafeString:
    """The top-level codes ``roots`` of ``tree`` (a page of them) as the codebook page lists them, each with its
    sub-codes inside its item. The first and last of ``tree``'s top level cannot move up or down."""
    page = _page(context, study_id)
    out: list[str] = []
    first, last = (tree.roots[0], tree.roots[-1]) if tree.roots else (None, None)
    for node in roots:
        _node(page, node, node is first, node is last, out)
    return mark_safe("".join(out))  # noqa: S308  (every value from the database is escaped above)
