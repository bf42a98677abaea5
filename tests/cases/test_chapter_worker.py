"""A chapter rendered by the real Celery worker: PDF and DOCX, history, download, and stale on withdrawal."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document

from cases.models import AuditEvent, ReportJob
from cases.services import chapters as services
from cases.services.consent import consent_withdraw
from tests.cases import chapter_theses as theses
from tests.cases.test_reports_worker import poll_status_partial, wait_for_job
from tests.conftest import client_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_thesis_003_chapter_pdf_and_docx_on_the_real_worker(celery_worker, researcher):
    w = theses.build_thesis(3, researcher)
    chapter, _sections = theses.compose_003(w)
    export = reverse("chapter_export_gate", args=[w.study.pk, chapter.pk])
    owner = client_for(researcher)
    response = owner.post(export, {"kind": "chapter_pdf", "acknowledge": "on"})
    assert response.status_code == 302
    job = ReportJob.objects.get(chapter=chapter)
    seen = poll_status_partial(owner, job, celery_worker)
    assert seen[-1][0] == "done"
    assert wait_for_job(job, celery_worker)[-1] == "done", job.message
    assert job.attempts == 1 and job.page_count >= 5 and job.file.name.endswith(".pdf")
    with job.file.open("rb") as handle:
        text = theses.pdf_text(handle.read())
    assert "4.1.1 Kjennskap til temaet innovasjon" in text and "(Arbeidsgiver)" in text
    assert set(job.informant_ids) <= {i.pk for i in w.informants.values()} and job.informant_ids

    docx_job = services.chapter_export_request(
        chapter=chapter, actor=researcher, kind=ReportJob.Kind.CHAPTER_DOCX, acknowledged=True, warnings=0
    )
    assert wait_for_job(docx_job, celery_worker)[-1] == "done", docx_job.message
    download = owner.get(reverse("report_download", args=[w.study.pk, docx_job.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].endswith('.docx"')
    document = Document(BytesIO(b"".join(download.streaming_content)))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "4 Resultater") in styles
    assert ("Heading 3", "4.1.1 Kjennskap til temaet innovasjon") in styles
    assert any(name == "Quote" and text.endswith("(Arbeidsgiver)") for name, text in styles)
    assert document.tables, "the survey table is a Word table"

    # The history on the export page lists both versions with who asked.
    page = owner.get(export).content.decode()
    assert page.count('data-report-state="done"') == 2 and researcher.display_name in page

    # A withdrawal marks both files stale and stops serving them.
    speaker = w.informants[next(code for code in w.informants if w.informants[code].pk in job.informant_ids)]
    consent_withdraw(informant=speaker, actor=researcher, withdrawn_on=theses.WITHDRAWN_ON)
    job.refresh_from_db()
    docx_job.refresh_from_db()
    assert (job.state, docx_job.state) == ("stale", "stale") and not job.file and not docx_job.file
    assert owner.get(reverse("report_download", args=[w.study.pk, job.pk])).status_code == 410
    assert AuditEvent.objects.filter(action="report.invalidated", target_id__in=[job.pk, docx_job.pk]).count() == 2
