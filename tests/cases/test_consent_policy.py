"""Whose data is left out, where, and what each place says about it; the consent gate; stale reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases.consent_policy import Reason, excluded_informants, left_out
from cases.models import AuditEvent, ConsentRecord, ReportJob, Study
from cases.reporting import method_overview_context
from cases.services import reports as report_services
from cases.services.consent import consent_record, consent_withdraw
from interviews.models import CodingAction, Excerpt
from interviews.services.excerpts import excerpt_create
from tests.cases.uploads import media_root_fixture, pdf_bytes  # noqa: F401  (own media folder per test)
from tests.factories import AttendanceFactory, ConsentRecordFactory, InformantFactory, SessionFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
TRANSCRIPT = (
    "Moderator: Hva betyr medvirkning?\n"
    "AGA: Vi planla turnusen sammen med de ansatte.\n"
    "AGB: Jeg vil ikke bli sitert på dette.\n"
    "TVA: Første poeng om tillit.\n"
    "TVA: Andre poeng om tid.\n"
    "TVA: Tredje poeng om ressurser.\n"
)
SUMMARY = "4 excerpts left out: 3 — TV5 has no consent recorded; 1 — AG2 gave no consent to quotes"


def sentence(source, label: str, number: int = 0) -> tuple[int, int]:
    lines = [line for line in source.text.splitlines(keepends=True) if line.startswith(f"{label}: ")]
    line = lines[number]
    start = source.text.index(line) + len(label) + 2
    return start, start + len(line.strip()) - len(label) - 2


@pytest.fixture
def world(study):
    w = SimpleNamespace(study=study)
    w.ag1 = InformantFactory(study=study, code="AG1")
    w.ag2 = InformantFactory(study=study, code="AG2")
    w.tv5 = InformantFactory(study=study, code="TV5")
    w.tv6 = InformantFactory(study=study, code="TV6")
    w.tv7 = InformantFactory(study=study, code="TV7")
    ConsentRecordFactory(informant=w.ag1)
    ConsentRecordFactory(informant=w.ag2, covers_quotes=False)
    ConsentRecordFactory(informant=w.tv6, given_on=None)
    ConsentRecordFactory(informant=w.tv7, withdrawn_on=dt.date(2017, 2, 1))
    w.source = make_source(study, TRANSCRIPT, informants={"AGA": w.ag1, "AGB": w.ag2, "TVA": w.tv5})
    w.code = make_code(study, "Medvirkning")
    w.included = make_excerpt(w.source, *sentence(w.source, "AGA"), w.code)
    w.included.speakers.set([w.ag1])
    w.no_quotes = make_excerpt(w.source, *sentence(w.source, "AGB"), w.code)
    w.no_quotes.speakers.set([w.ag2])
    w.no_consent = []
    for number in range(3):
        excerpt = make_excerpt(w.source, *sentence(w.source, "TVA", number), w.code)
        excerpt.speakers.set([w.tv5])
        w.no_consent.append(excerpt)
    return w


def test_excluded_informants_say_why_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        excluded = excluded_informants(world.study)
    assert excluded == {
        world.ag2.pk: Reason.NO_QUOTES,
        world.tv5.pk: Reason.NO_CONSENT,
        world.tv6.pk: Reason.PENDING,
        world.tv7.pk: Reason.WITHDRAWN,
    }
    assert excluded[world.tv5.pk] == "no consent recorded"


def test_an_informant_marked_withdrawn_is_excluded_whatever_the_records(world):
    consent_withdraw(informant=world.ag1, actor=world.study.created_by, withdrawn_on=dt.date(2017, 3, 1))
    assert excluded_informants(world.study)[world.ag1.pk] == Reason.WITHDRAWN


def test_left_out_summary_names_codes_counts_and_reasons(world):
    summary = left_out(Excerpt.objects.filter(study=world.study), world.study)
    assert summary.count == 4 and summary.summary == SUMMARY


# --- retrieval and its export ----------------------------------------------------------------------------


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-excerpt-id="(\d+)"', response.content.decode())}


def test_supervisor_retrieval_leaves_them_out_and_says_why(supervisor_client, world):
    response = supervisor_client.get(reverse("retrieval", args=[world.study.pk]))
    assert shown(response) == {world.included.pk}
    content = response.content.decode()
    assert SUMMARY in content and 'data-left-out="4"' in content
    assert "Tove" not in content


def test_researcher_retrieval_shows_everything_and_warns_about_the_export(researcher_client, world):
    response = researcher_client.get(reverse("retrieval", args=[world.study.pk]))
    assert len(shown(response)) == 5
    assert f"The CSV export leaves out what has no consent for publication – {SUMMARY}." in response.content.decode()


@pytest.mark.parametrize("persona", ["researcher_client", "supervisor_client"])
def test_every_export_leaves_them_out_and_says_why(request, world, persona):
    client = request.getfixturevalue(persona)
    response = client.get(reverse("retrieval_export", args=[world.study.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:-2]] == [world.included.text]
    assert rows[-2:] == [[], [SUMMARY]]
    assert "TV5" not in "".join(row[4] for row in rows[1:-2])


@pytest.mark.parametrize("extra", [0, 40])
def test_supervisor_retrieval_query_count_is_pinned(supervisor_client, world, django_assert_num_queries, extra):
    for _ in range(extra):
        excerpt = make_excerpt(world.source, *sentence(world.source, "TVA"), world.code)
        excerpt.speakers.set([world.tv5])
    supervisor_client.get(reverse("retrieval", args=[world.study.pk]))  # session warm-up
    # session, user with membership and study; the form's codes, informants, groups, sites, attributes; what is
    # left out; count and page of excerpts; their codings and speakers.
    with django_assert_num_queries(12):
        response = supervisor_client.get(reverse("retrieval", args=[world.study.pk]))
    assert shown(response) == {world.included.pk}


# --- the coding view ---------------------------------------------------------------------------------------


def margin_items(response) -> int:
    return response.content.decode().count('class="list-group-item margin-item')


def test_supervisor_coding_view_hides_their_excerpts(supervisor_client, researcher_client, world):
    url = reverse("coding_view", args=[world.study.pk, world.source.pk])
    response = supervisor_client.get(url)
    content = response.content.decode()
    assert margin_items(response) == 1 and f'id="excerpt-{world.included.pk}"' in content
    assert f'data-excerpts="{world.no_consent[0].pk}"' not in content
    assert SUMMARY in content
    # Their words are blotted out of the transcript as well, and every offset still holds.
    assert "Første poeng om tillit" not in content and "Andre poeng" not in content
    assert "······" in content
    response = researcher_client.get(url)
    assert margin_items(response) == 5 and "left out" not in response.content.decode()


@pytest.mark.parametrize("extra", [0, 40])
def test_supervisor_coding_view_query_count_is_pinned(supervisor_client, world, django_assert_num_queries, extra):
    for _ in range(extra):
        excerpt = make_excerpt(world.source, *sentence(world.source, "TVA"), world.code)
        excerpt.speakers.set([world.tv5])
    url = reverse("coding_view", args=[world.study.pk, world.source.pk])
    supervisor_client.get(url)  # session warm-up
    # One more than the researcher's page: no undo query (a supervisor cannot undo), but one for which
    # excerpts are left out and why, and one for whose words in the transcript are blotted out; the source's
    # comment threads are one more for everyone.
    with django_assert_num_queries(12):
        response = supervisor_client.get(url)
    assert margin_items(response) == 1


# --- the method-overview PDF -------------------------------------------------------------------------------


def overview_html(study) -> str:
    job = ReportJob(study=study, kind=ReportJob.Kind.METHOD_OVERVIEW, language="en")
    context = method_overview_context(study)
    context["job"] = job
    with translation.override("en"):
        return render_to_string("reports/method_overview.html", context)


def test_method_overview_counts_the_left_out_by_reason_and_never_names_them(world):
    session = SessionFactory(study=world.study, code="FG1")
    for informant in (world.ag1, world.ag2, world.tv5):
        AttendanceFactory(session=session, informant=informant)
    context = method_overview_context(world.study)
    assert context["informant_ids"] == [world.ag1.pk]
    html = overview_html(world.study)
    for code in ("AG2", "TV5", "TV6", "TV7"):
        assert code not in html
    assert "AG1" in html
    assert (
        "1 informant – no consent recorded; 1 informant – consent pending; 1 informant – no consent to quotes." in html
    )
    assert "withdrawn" not in html


def test_the_real_pdf_leaves_them_out(world, settings, tmp_path):
    from pypdf import PdfReader

    settings.MEDIA_ROOT = tmp_path
    job = ReportJob.objects.create(
        study=world.study, kind=ReportJob.Kind.METHOD_OVERVIEW, language="en", requested_by=world.study.created_by
    )
    report_services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE and job.informant_ids == [world.ag1.pk]
    with job.file.open("rb") as handle:
        text = "\n".join(page.extract_text() for page in PdfReader(handle).pages)
    assert "AG1" in text and not any(code in text for code in ("AG2", "TV5", "TV6", "TV7"))
    assert "no consent to quotes" in text


def test_a_report_whose_informant_lost_consent_while_rendering_is_never_published(
    world, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    job = ReportJob.objects.create(
        study=world.study, kind=ReportJob.Kind.METHOD_OVERVIEW, language="en", requested_by=world.study.created_by
    )
    real = method_overview_context

    def context_then_withdrawal(study):
        context = real(study)
        consent_withdraw(informant=world.ag1, actor=study.created_by, withdrawn_on=dt.date(2017, 3, 1))
        return context

    monkeypatch.setattr("cases.reporting.method_overview_context", context_then_withdrawal)
    report_services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ReportJob.State.STALE and not job.file


# --- the consent gate on coding -----------------------------------------------------------------------------


def test_block_refuses_coding_an_informant_without_consent(world):
    world.study.consent_gate = Study.Gate.BLOCK
    world.study.save()
    start, end = sentence(world.source, "TVA")
    before = Excerpt.objects.count()
    with pytest.raises(ValidationError) as error:
        excerpt_create(
            source=world.source,
            actor=world.study.created_by,
            start=start,
            end=end,
            text=world.source.text[start:end],
            code_ids=[world.code.pk],
        )
    assert "TV5 has no consent recorded" in str(error.value)
    assert Excerpt.objects.count() == before


def test_warn_codes_and_says_why(world):
    start, end = sentence(world.source, "TVA")
    excerpt = excerpt_create(
        source=world.source,
        actor=world.study.created_by,
        start=start,
        end=end,
        text=world.source.text[start:end],
        code_ids=[world.code.pk],
    )
    assert list(excerpt.speakers.all()) == [world.tv5]
    assert "TV5 has no consent recorded" in excerpt.consent_warning
    start, end = sentence(world.source, "AGA")
    given = excerpt_create(
        source=world.source,
        actor=world.study.created_by,
        start=start,
        end=end,
        text=world.source.text[start:end],
        code_ids=[world.code.pk],
    )
    assert given.consent_warning == ""


def test_a_withdrawn_informant_is_blocked_even_when_the_study_only_warns(world):
    consent_withdraw(informant=world.ag1, actor=world.study.created_by, withdrawn_on=dt.date(2017, 3, 1))
    start, end = sentence(world.source, "AGA")
    with pytest.raises(ValidationError, match="AG1 has withdrawn consent"):
        excerpt_create(
            source=world.source,
            actor=world.study.created_by,
            start=start,
            end=end,
            text=world.source.text[start:end],
            code_ids=[world.code.pk],
        )


def test_the_coding_view_answers_with_the_warning_or_the_refusal(researcher_client, world):
    start, end = sentence(world.source, "TVA")
    data = {
        "source": world.source.pk,
        "start": start,
        "end": end,
        "text": world.source.text[start:end],
        "code": world.code.pk,
    }
    response = researcher_client.post(reverse("excerpt_create", args=[world.study.pk]), data, **FETCH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-consent-warning" in body and "TV5 has no consent recorded" in body
    world.study.consent_gate = Study.Gate.BLOCK
    world.study.save()
    response = researcher_client.post(reverse("excerpt_create", args=[world.study.pk]), data, **FETCH)
    assert response.status_code == 400 and "TV5 has no consent recorded" in " ".join(response.json()["errors"])


def test_the_coding_view_refuses_a_withdrawn_informant_and_writes_nothing(researcher_client, world):
    consent_withdraw(informant=world.ag1, actor=world.study.created_by, withdrawn_on=dt.date(2017, 3, 1))
    start, end = sentence(world.source, "AGA")
    data = {
        "source": world.source.pk,
        "start": start,
        "end": end,
        "text": world.source.text[start:end],
        "code": world.code.pk,
    }

    def counts():
        return [model.objects.count() for model in (Excerpt, Excerpt.history.model, AuditEvent, CodingAction)]

    before = counts()
    response = researcher_client.post(reverse("excerpt_create", args=[world.study.pk]), data, **FETCH)
    assert response.status_code == 400 and "AG1 has withdrawn consent" in " ".join(response.json()["errors"])
    assert counts() == before


# --- consent changes make reports stale ------------------------------------------------------------------


def done_report(study, informant_ids) -> ReportJob:
    job = ReportJob.objects.create(
        study=study,
        kind=ReportJob.Kind.METHOD_OVERVIEW,
        state=ReportJob.State.DONE,
        language="nb",
        requested_by=study.created_by,
        informant_ids=informant_ids,
    )
    job.file.save("method_overview.pdf", ContentFile(pdf_bytes()), save=True)
    return job


def test_narrowing_consent_makes_reports_stale_and_unserved(
    researcher_client, world, django_capture_on_commit_callbacks
):
    containing, other = done_report(world.study, [world.ag1.pk]), done_report(world.study, [world.tv6.pk])
    path = containing.file.path
    with django_capture_on_commit_callbacks(execute=True):
        consent_record(
            informant=world.ag1, actor=world.study.created_by, given_on=dt.date(2017, 1, 10), covers_quotes=False
        )
    containing.refresh_from_db()
    other.refresh_from_db()
    assert containing.state == ReportJob.State.STALE and not containing.file
    assert other.state == ReportJob.State.DONE
    assert not os.path.exists(path)
    response = researcher_client.get(reverse("report_download", args=[world.study.pk, containing.pk]))
    assert response.status_code == 410


def test_widening_consent_keeps_reports(world):
    job = done_report(world.study, [world.ag2.pk])
    consent_record(informant=world.ag2, actor=world.study.created_by, given_on=dt.date(2017, 1, 10), covers_quotes=True)
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE and job.file


def test_a_withdrawal_makes_reports_stale(world):
    job = done_report(world.study, [world.ag1.pk, world.ag2.pk])
    consent_withdraw(informant=world.ag2, actor=world.study.created_by, withdrawn_on=dt.date(2017, 3, 1))
    job.refresh_from_db()
    assert job.state == ReportJob.State.STALE
    assert ConsentRecord.objects.filter(informant=world.ag2).count() == 2
