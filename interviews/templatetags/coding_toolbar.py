"""``{% coding_toolbar %}``: the coding view's status line and Undo, as the answer to a write builds them."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from interviews.views import coding_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def coding_toolbar(context: template.Context) -> SafeString:
    return coding_parts.toolbar_html(
        can_edit=bool(context.get("can_edit")),
        can_undo=bool(context.get("can_undo")),
        message=context.get("message") or "",
        warning=context.get("warning") or "",
        errors=context.get("errors") or (),
    )
