"""``{% matrix_cells row retrieval_url rollup %}``: a matrix row's count cells built in Python.

A page of the code matrix has 100 rows of a dozen cells; through the template loop each
cell cost a dozen variable look-ups and a localised number (64 ms of the page at 100×).
The markup is the same as the loop made: every count a plain integer, the URL and each
cell's filter escaped.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def matrix_cells(row, retrieval_url: str, rollup: bool) -> SafeString:
    """The row's cells (each linking to its excerpts in retrieval when it has any and a filter), then its total."""
    link = f"{escape(retrieval_url)}?code={int(row.code.pk)}{'&amp;descendants=1' if rollup else ''}&amp;"
    cells = []
    for cell in row.cells:
        counts = f"{int(cell.excerpts)} / {int(cell.informants)}"
        if cell.excerpts and cell.filter:
            counts = f'<a href="{link}{escape(cell.filter)}">{counts}</a>'
        muted = "" if cell.excerpts else " text-body-tertiary"
        cells.append(f'<td class="text-end text-nowrap{muted}">{counts}</td>')
    total = f'<td class="text-end text-nowrap fw-semibold">{int(row.total.excerpts)} / {int(row.total.informants)}</td>'
    return mark_safe(f"{''.join(cells)}\n    {total}")  # noqa: S308  (the URL and the filters are escaped above)
