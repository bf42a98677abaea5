"""Retrieval, the code matrix and code co-occurrence: read-only pages and their CSV exports."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cases import consent_policy
from cases.models import AttributeDefinition, Study
from cases.views.base import study_view
from interviews import selectors_analysis as selectors
from interviews.forms.retrieval import MatrixForm, RetrievalFilterForm
from interviews.refi import spreadsheets

PAGE_SIZE = 50
EXPORT_CHUNK = 1000


def _csv_response(filename: str, rows: Iterable[list]) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel opens æøå correctly."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    csv.writer(response).writerows(rows)
    return response


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _retrieval_form(request: HttpRequest, study: Study) -> tuple[RetrievalFilterForm, selectors.RetrievalLookups]:
    lookups = selectors.retrieval_lookups(study)
    return RetrievalFilterForm(request.GET or None, lookups=lookups), lookups


@study_view()
def retrieval(request: HttpRequest, study: Study) -> HttpResponse:
    form, lookups = _retrieval_form(request, study)
    valid = form.is_valid() if form.is_bound else True
    page = None
    left_out = consent_policy.LeftOut()
    hides = consent_policy.hides_excluded(request.study_role)
    if valid:
        chosen = form.to_filter() if form.is_bound else selectors.RetrievalFilter()
        excerpts = selectors.retrieval_excerpts(study, chosen)
        # One query: which of the matching excerpts an informant without consent speaks in. A supervisor
        # does not see them; a researcher does, and learns that the CSV export leaves them out.
        left_out = consent_policy.left_out(excerpts, study)
        if hides:
            excerpts = consent_policy.excerpts_without_excluded(excerpts, study)
        page = Paginator(excerpts, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = selectors.attach_codes_and_speakers(page.object_list, lookups)
    return render(
        request,
        "interviews/retrieval/retrieval.html",
        {
            "study": study,
            "form": form,
            "page": page,
            "chosen_code": form.chosen_code if form.is_bound else None,
            "has_codes": bool(lookups.tree.codes),
            "filtered": form.is_bound and bool(_query_without_page(request)),
            "query": _query_without_page(request),
            "left_out": left_out,
            "hides_left_out": hides,
        },
        status=200 if valid else 400,
    )


@study_view()
def retrieval_export(request: HttpRequest, study: Study) -> HttpResponse:
    form, lookups = _retrieval_form(request, study)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("The filter is not valid: %(errors)s") % {"errors": form.errors.as_text()},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    chosen = form.to_filter() if form.is_bound else selectors.RetrievalFilter()
    matching = selectors.retrieval_excerpts(study, chosen)
    # Every export, whoever asks, leaves out what an informant without consent (to quotes) says.
    left_out = consent_policy.left_out(matching, study)
    excerpts = consent_policy.excerpts_without_excluded(matching, study)

    def rows() -> Iterator[list]:
        yield [_("Codes"), _("Excerpt"), _("Source"), _("Session"), _("Speakers"), _("Groups"), _("Flags"), _("Memo")]
        chunk: list = []
        for excerpt in excerpts.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(excerpt)
            if len(chunk) == EXPORT_CHUNK:
                yield from _export_rows(chunk, lookups)
                chunk = []
        yield from _export_rows(chunk, lookups)
        if left_out:
            # Said at the end, after a blank row, so the table above stays a plain table.
            yield []
            yield [left_out.summary]

    return _csv_response(f"retrieval-study-{study.pk}.csv", rows())


def _export_rows(excerpts: list, lookups: selectors.RetrievalLookups) -> Iterator[list]:
    for excerpt in selectors.attach_codes_and_speakers(excerpts, lookups):
        session = excerpt.source.session
        yield [
            "; ".join(code.path for code in excerpt.code_list),
            excerpt.text,
            str(excerpt.source),
            session.code if session else "",
            ", ".join(informant.code for informant in excerpt.speaker_list),
            ", ".join(group.label for group in excerpt.group_list),
            ", ".join(excerpt.flag_list),
            excerpt.memo,
        ]


def _matrix_form(request: HttpRequest, study: Study) -> MatrixForm:
    attributes = list(AttributeDefinition.objects.filter(study=study))
    form = MatrixForm(request.GET, attributes=attributes)
    form.is_valid()
    return form


def _matrix(request: HttpRequest, study: Study) -> tuple[MatrixForm, selectors.Matrix | None]:
    form = _matrix_form(request, study)
    if not form.is_valid():
        return form, None
    by, attribute = form.columns()
    data = form.cleaned_data
    return form, selectors.code_matrix(
        study, by=by, attribute=attribute, rollup=data["rollup"], open_id=data["open"], page=data["page"]
    )


@study_view()
def code_matrix(request: HttpRequest, study: Study) -> HttpResponse:
    form, matrix = _matrix(request, study)
    columns = request.GET.copy()
    for name in ("open", "page"):
        columns.pop(name, None)
    return render(
        request,
        "interviews/retrieval/matrix.html",
        {
            "study": study,
            "form": form,
            "matrix": matrix,
            "query": request.GET.urlencode(),
            "columns_query": columns.urlencode(),
            "page_query": _query_without_page(request),
        },
        status=200 if matrix is not None else 400,
    )


@study_view()
def code_matrix_export(request: HttpRequest, study: Study) -> HttpResponse:
    """Every code a row (counting its subtree when rolled up), streamed: the counts are read before the first byte."""
    form = _matrix_form(request, study)
    if not form.is_valid():
        return HttpResponse(
            _("The choice of columns is not valid: %(errors)s") % {"errors": form.errors.as_text()},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    by, attribute = form.columns()
    table = selectors.matrix_table(study, by=by, attribute=attribute, rollup=form.cleaned_data["rollup"])
    header = [_("Code")]
    for column in [*table.columns, selectors.MatrixColumn("total", _("Total"))]:
        header += [
            _("%(column)s: excerpts") % {"column": column.label},
            _("%(column)s: informants") % {"column": column.label},
        ]

    all_codes = _("All codes")  # translated now, not while the response streams

    def rows() -> Iterator[list]:
        for code, cells in table.rows:
            yield [code.path, *(n for cell in cells for n in (cell.excerpts, cell.informants))]
        yield [all_codes, *(n for cell in table.footer for n in (cell.excerpts, cell.informants))]

    response = StreamingHttpResponse(
        spreadsheets.write_csv(spreadsheets.Table(header=header, rows=rows())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="code-matrix-study-{study.pk}.csv"'
    return response


@study_view()
def code_cooccurrence(request: HttpRequest, study: Study) -> HttpResponse:
    matrix = selectors.code_cooccurrence_counts(study, most_used=selectors.COOCCURRENCE_PAGE_CODES)
    return render(
        request,
        "interviews/retrieval/cooccurrence.html",
        {
            "study": study,
            "rows": list(matrix.rows(matrix.shown)),
            "shown": len(matrix.shown),
            "used": len(matrix.codes),
        },
    )


@study_view()
def code_cooccurrence_export(request: HttpRequest, study: Study) -> HttpResponse:
    matrix = selectors.code_cooccurrence_counts(study)
    header = [_("Code"), *[code.path for code in matrix.codes]]
    # Streamed, one row built at a time: a 6,000-code study's table has 36 million cells (56 MB, 26 s to write).
    rows = ([row.code.path, *row.counts] for row in matrix.rows())
    response = StreamingHttpResponse(
        spreadsheets.write_csv(spreadsheets.Table(header=header, rows=rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="code-cooccurrence-study-{study.pk}.csv"'
    return response
