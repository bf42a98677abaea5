"""Chapter files: the PDF from the preview's template through WeasyPrint, the DOCX through python-docx.

Called by the report worker (``cases.services.reports.report_render``) only.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from cases.models import ReportJob

from .document import Document, build_document
from .markup import Paragraph

CHAPTER_TEMPLATE = "reports/chapter.html"


def chapter_html(document: Document) -> str:
    with translation.override(document.language):
        return render_to_string(CHAPTER_TEMPLATE, {"doc": document, "study": document.chapter.study, "print": True})


def chapter_pdf(document: Document) -> tuple[bytes, int]:
    from pypdf import PdfReader

    from cases.pdf import render_pdf

    pdf = render_pdf(chapter_html(document))
    return pdf, len(PdfReader(BytesIO(pdf)).pages)


def _add_runs(paragraph: Any, runs: list) -> None:
    for run in runs:
        added = paragraph.add_run(run.text)
        added.bold = run.bold or None
        added.italic = run.italic or None


def _add_paragraphs(docx: Any, paragraphs: list[Paragraph]) -> None:
    for paragraph in paragraphs:
        if paragraph.kind == "p":
            _add_runs(docx.add_paragraph(), paragraph.items[0])
        else:
            style = "List Bullet" if paragraph.kind == "ul" else "List Number"
            for item in paragraph.items:
                _add_runs(docx.add_paragraph(style=style), item)


def chapter_docx(document: Document) -> bytes:
    """Real Heading 1/2/3 and Quote styles and Word tables, so the chapter pastes into a thesis template."""
    from docx import Document as Docx
    from docx.shared import Pt

    docx = Docx()
    docx.styles["Normal"].font.name = "Times New Roman"
    docx.styles["Normal"].font.size = Pt(12)
    chapter = document.chapter
    with translation.override(document.language):
        title = f"{chapter.number} {chapter.title}" if chapter.numbered else chapter.title
        docx.add_heading(title, level=1)
        _add_paragraphs(docx, document.introduction)
        for section in document.sections:
            heading = f"{section.number} {section.section.title}" if section.number else section.section.title
            docx.add_heading(heading, level=min(section.depth + 1, 9))
            for item in section.items:
                if item.kind == "text":
                    _add_paragraphs(docx, item.paragraphs)
                elif item.kind == "group":
                    docx.add_paragraph().add_run(item.label).bold = True
                elif item.kind == "quote" and item.quote is not None:
                    quote = item.quote
                    if quote.inline:  # «…» in the running text, the lead-in before it on the same line
                        paragraph = docx.add_paragraph()
                        if quote.lead_in:
                            paragraph.add_run(f"{quote.lead_in} ")
                        paragraph.add_run(f"«{quote.text}»").italic = True
                        if quote.attribution:
                            paragraph.add_run(f" {quote.attribution}")
                        continue
                    if quote.lead_in:
                        docx.add_paragraph(quote.lead_in)
                    text = f"{quote.text} {quote.attribution}" if quote.attribution else quote.text
                    docx.add_paragraph(text, style="Quote")
                elif item.kind == "table" and item.table is not None:
                    table = item.table
                    docx.add_paragraph(table.caption, style="Caption")
                    if table.header:
                        grid = docx.add_table(rows=1, cols=len(table.header))
                        grid.style = "Table Grid"
                        for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
                            cell.text = text
                            for run in cell.paragraphs[0].runs:
                                run.bold = True
                        for row in table.rows:
                            cells = grid.add_row().cells
                            for cell, text in zip(cells, row, strict=False):
                                cell.text = text
                    if table.note:
                        docx.add_paragraph(table.note)
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def render_chapter(job: ReportJob, progress: Callable[[int], None]) -> tuple[bytes, int | None, dict[str, Any]]:
    """The file of a chapter job, its page count (PDF only) and the context whose ``informant_ids`` it shows."""
    chapter = job.chapter
    chapter.study = job.study
    document = build_document(chapter, for_print=True)
    progress(40)
    if job.kind == ReportJob.Kind.CHAPTER_DOCX:
        data, pages = chapter_docx(document), None
    else:
        data, pages = chapter_pdf(document)
    progress(90)
    return data, pages, {"informant_ids": document.informant_ids}
