"""Quotes in print: shortened with "(…)", attributed in one of the study's modes."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import Attribution

OMISSION = "(…)"
TEMPLATE_FIELDS = ("code", "group", "role", "site", "session", "session_date")
BLOCK_QUOTE_WORDS = 40  # longer quotes are set as indented block quotes, shorter ones inline in «»


def _squash(text: str) -> str:
    return " ".join(text.split())


def normalise_shortening(text: str) -> str:
    """Accept "(...)", "( … )" and "[…]" as the omission mark, and stored as "(…)"."""
    return _squash(re.sub(r"[(\[]\s*(?:\.\.\.|…)\s*[)\]]", OMISSION, text))


def check_shortening(print_text: str, verbatim: str) -> str:
    """The normalised print text if it is ``verbatim`` with parts left out and each gap marked "(…)".

    Every piece between the marks must occur in the excerpt, in order and
    without overlapping; only whitespace may differ. Raises ValidationError otherwise.
    """
    shortened = normalise_shortening(print_text)
    if not shortened:
        return ""
    if OMISSION not in shortened:
        raise ValidationError(_("Mark every omission with “(…)”; the words themselves must stay as spoken."))
    haystack = _squash(verbatim)
    position = 0
    for piece in (p.strip() for p in shortened.split(OMISSION)):
        if not piece:
            continue
        found = haystack.find(piece, position)
        if found < 0:
            raise ValidationError(
                _(
                    "“%(piece)s” is not in the excerpt (after the part before it). A shortened quote may only leave words out."
                )
                % {"piece": piece[:80]}
            )
        position = found + len(piece)
    if all(not p.strip() for p in shortened.split(OMISSION)):
        raise ValidationError(_("A shortened quote must keep some of the excerpt's words."))
    return shortened


def check_template(template: str) -> str:
    """A custom attribution template may use the named fields only: no positions, attributes, formats."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValidationError(_("The template is not valid: %(error)s") % {"error": error}) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS or spec or conversion:
            raise ValidationError(
                _("Unknown field {%(name)s} in the template. Allowed: %(fields)s.")
                % {"name": name, "fields": ", ".join("{%s}" % f for f in TEMPLATE_FIELDS)}
            )
    return template


def fill_template(template: str, values: dict[str, str]) -> str:
    return template.format_map({name: values.get(name, "") for name in TEMPLATE_FIELDS})


def lead_in(index: int) -> str:
    """The generic lead-in of the ``index``-th quote (from 0) in a section, in the active language."""
    lead_ins = [
        _("One respondent said:"),
        _("Another:"),
        _("A third:"),
        _("A fourth:"),
        _("A fifth:"),
        _("A sixth:"),
    ]
    return lead_ins[index] if index < len(lead_ins) else _("Another:")


@dataclass
class Speaker:
    code: str
    group: str
    role: str
    site: str
    group_id: int | None


def attribution_text(mode: str, template: str, speakers: list[Speaker], session: str, session_date: str) -> str:
    """The text after a quote ("(Arbeidsgiver)", "(I3)", a filled template); lead-ins are placed before it."""
    if mode == Attribution.GROUP:
        labels = list(dict.fromkeys(s.group or s.role for s in speakers if s.group or s.role))
        return f"({', '.join(labels)})" if labels else ""
    if mode == Attribution.CODE:
        codes = [s.code for s in speakers]
        return f"({', '.join(codes)})" if codes else ""
    if mode == Attribution.TEMPLATE and template:

        def joined(attribute: str) -> str:
            return ", ".join(dict.fromkeys(getattr(s, attribute) for s in speakers if getattr(s, attribute)))

        values = {
            "code": joined("code"),
            "group": joined("group"),
            "role": joined("role"),
            "site": joined("site"),
            "session": session,
            "session_date": session_date,
        }
        return fill_template(template, values)
    return ""
