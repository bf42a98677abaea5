"""``{{ field|select_options }}``: a select's options built in Python.

Retrieval's code select holds the whole codebook (6,000 options in a large study) and its
informant select every informant; the template loop cost more than the page's queries.
"""

from __future__ import annotations

from html import escape

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def select_options(field: BoundField) -> SafeString:
    """The field's choices as ``<option>`` tags, the current value selected; values and labels escaped."""
    value = field.value()
    current = "" if value is None else str(value)
    options = []
    for choice, label in field.field.choices:
        choice = str(choice)
        selected = " selected" if choice == current else ""
        options.append(f'<option value="{escape(choice)}"{selected}>{escape(str(label))}</option>')
    return mark_safe("".join(options))  # noqa: S308  (every value and label is escaped above)
