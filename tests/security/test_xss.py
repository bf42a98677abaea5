"""Hostile text never becomes markup: the XSS corpus rendered where user text is shown.

Each payload is written as a transcript line, a code name, an excerpt memo and
condensed meaning, and a memo (title and text) – then the coding view and the memo
list are rendered; as a study title, an informant role and a code name in the admin
changelists; and as a study title, informant role and research question inside the
method-overview report's HTML; as questionnaire items, options, answers, comments and
data-quality notes on the builder, entry, results and responses pages, and as dataset
rows. For each page: the parsed document contains no
script but ours, no event handler, no script URL, no frame or object; the payload is
shown as text; and a payload with markup characters never appears raw.

The REFI-QDA import preview shows names read from an uploaded project: origin,
code names, source names and skipped pictures are payloads there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from cases.models import Informant, QuestionnaireItem, ResearchQuestion, Study
from cases.reporting import method_overview_context
from cases.services.datasets import RowInput, dataset_create
from cases.services.instruments import guide_question_add, guide_theme_add, instrument_create
from cases.services.questionnaires import (
    AnswerInput,
    questionnaire_create,
    questionnaire_item_add,
    questionnaire_response_create,
    questionnaire_section_add,
)
from interviews.importers import ImportedText, normalise_text
from interviews.models import Code, ReviewBatch
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create, excerpt_update_details
from interviews.services.memos import memo_create
from interviews.services.observation import (
    TickInput,
    checklist_save,
    disagreement_record,
    observation_note_add,
    other_attendee_add,
)
from interviews.services.review import review_batch_create, review_comment_add
from interviews.services.signoff import freeze_codebook
from interviews.services.sources import source_create
from tests.factories import SessionFactory, StudyFactory, UserFactory
from tests.security.figures import collect_figure, record_figure
from tests.security.html_checks import page_problems
from tests.security.xss_payloads import PAYLOADS

pytestmark = pytest.mark.django_db

BATCH = 40
# What escaping must change. A backtick is harmless: every attribute we (and the admin) write is quoted.
MARKUP = set("<>\"'&")
# The admin's own scripts: its static files and its translation catalogue, both same-origin.
ADMIN_SCRIPTS = ("/static/", "/admin/jsi18n/")
LABEL = "I1: "
Kind = QuestionnaireItem.Kind


class VisibleText(HTMLParser):
    """Text nodes and attribute values, as a browser would decode them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.parts.extend(value for _, value in attrs if value)

    def handle_data(self, data):
        self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    parser.close()
    return "\n".join(parser.parts)


def batches() -> Iterator[list[str]]:
    for start in range(0, len(PAYLOADS), BATCH):
        yield PAYLOADS[start : start + BATCH]


def shown(payload: str) -> str:
    return unicodedata.normalize("NFC", payload).strip()


def assert_safe(page: str, payloads: list[str], where: str, *, admin: bool = False) -> None:
    problems = page_problems(
        page, allow_style_attribute=admin, script_prefixes=ADMIN_SCRIPTS if admin else ("/static/",)
    )
    assert not problems, (where, problems[:5])
    text = visible_text(page)
    # An entity-encoded payload is exactly what escaping another payload (or its lower-case search key) produces.
    escaped = "\n".join(escape(form) for payload in payloads for form in (payload, payload.lower()))
    for payload in payloads:
        assert shown(payload) in text, (where, "payload not rendered as text", payload)
        if MARKUP & set(payload) and payload not in escaped:
            assert payload not in page, (where, "payload appears unescaped", payload)


@pytest.fixture
def rolled_back():
    """Each batch writes its objects, renders, and leaves nothing behind for the next."""

    class Rollback(Exception):
        pass

    def run(body):
        try:
            with transaction.atomic():
                body()
                raise Rollback
        except Rollback:
            pass

    return run


def test_the_corpus_is_large_and_distinct():
    assert len(PAYLOADS) >= 200
    assert len({payload.strip() for payload in PAYLOADS}) == len(PAYLOADS)
    assert all("\n" not in payload and len(payload) <= 190 for payload in PAYLOADS)
    record_figure("xss_payloads", len(PAYLOADS))


def test_coding_view_review_screen_and_memo_list_escape_everything(study, researcher, researcher_client, rolled_back):
    def batch_renders(payloads: list[str]) -> None:
        text = normalise_text("".join(f"{LABEL}{payload}\n" for payload in payloads))
        source = source_create(
            study=study, actor=researcher, imported=ImportedText(text=text, format="txt"), title="XSS"
        )
        offset = 0
        coded = []
        for payload, line in zip(payloads, text.split("\n"), strict=False):
            start, end = offset + len(LABEL), offset + len(line)
            offset += len(line) + 1
            code = code_create(study=study, actor=researcher, name=payload)
            excerpt = excerpt_create(
                source=source, actor=researcher, start=start, end=end, text=text[start:end], code_ids=[code.pk]
            )
            excerpt_update_details(
                excerpt=excerpt,
                actor=researcher,
                memo=payload,
                condensed_meaning=payload,
                is_deviant=False,
                is_counter_finding=False,
                has_identifying_details=False,
            )
            memo_create(study=study, actor=researcher, title=payload, text=payload, code=code)
            coded.append((excerpt, payload))
        batch = review_batch_create(
            study=study, actor=researcher, title=payloads[0][:200], excerpt_ids=[e.pk for e, _ in coded]
        )
        for excerpt, payload in coded:
            review_comment_add(study=study, actor=researcher, text=payload, excerpt=excerpt, batch=batch)
        session = SessionFactory(study=study, code=f"XSS{len(payloads)}")
        for payload in payloads:
            review_comment_add(study=study, actor=researcher, text=payload, source=source)
            review_comment_add(study=study, actor=researcher, text=payload, session=session)
        page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk]))
        assert page.status_code == 200
        assert_safe(page.content.decode(), payloads, "session comments")
        page = researcher_client.get(reverse("review_list", args=[study.pk]))
        assert_safe(page.content.decode(), payloads, "open threads")
        review = researcher_client.get(reverse("review_batch", args=[study.pk, batch.pk]))
        assert review.status_code == 200
        assert_safe(review.content.decode(), payloads, "review screen")
        coding = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk]))
        assert coding.status_code == 200
        assert_safe(coding.content.decode(), payloads, "coding view")
        memos = researcher_client.get(reverse("memo_list", args=[study.pk]))
        assert memos.status_code == 200
        assert_safe(memos.content.decode(), payloads, "memo list")
        # A code's definition under review: its name, definition, sub-codes and example excerpts.
        first_code = coded[0][0].codes.get()
        Code.objects.filter(pk=first_code.pk).update(description="\n".join(payloads))
        Code.objects.filter(study=study, name__in=payloads[1:]).update(parent=first_code)
        definition = review_batch_create(
            study=study,
            actor=researcher,
            title=payloads[0][:200],
            code=first_code,
            kind=ReviewBatch.Kind.CODE_DEFINITION,
        )
        page = researcher_client.get(reverse("review_batch", args=[study.pk, definition.pk]))
        assert page.status_code == 200
        assert_safe(page.content.decode(), payloads, "definition review")
        # The whole codebook under review: the tree, the diff against the approved version, threads on codes.
        freeze_codebook(study=study, reviewer=researcher)
        Code.objects.filter(pk=first_code.pk).update(description="Endret")
        whole = review_batch_create(
            study=study, actor=researcher, title=payloads[0][:200], kind=ReviewBatch.Kind.CODEBOOK
        )
        for payload in payloads:
            review_comment_add(study=study, actor=researcher, text=payload, code=first_code, batch=whole)
        page = researcher_client.get(reverse("review_batch", args=[study.pk, whole.pk]))
        assert page.status_code == 200
        assert_safe(page.content.decode(), payloads, "codebook review")
        # The corroboration picker shows excerpts by a shortened label: the short payloads appear whole.
        first = coded[0][0]
        first.corroborates.set([excerpt for excerpt, _ in coded[1:]])
        # The label collapses whitespace, as the comparison here does.
        short = {payload: " ".join(payload.split()) for _, payload in coded if 0 < len(" ".join(payload.split())) <= 60}
        panel = researcher_client.get(reverse("excerpt_detail", args=[study.pk, first.pk]))
        assert_safe(
            panel.content.decode(), [label for p, label in short.items() if p != coded[0][1]], "excerpt details"
        )
        first.corroborates.clear()
        search = reverse("excerpt_corroboration_search", args=[study.pk, first.pk])
        for excerpt, payload in coded[1:6]:
            found = researcher_client.get(search, {"q": payload.split()[0] if payload.split() else "XSS"})
            assert found.status_code == 200
            assert_safe(found.content.decode(), [short[payload]] if payload in short else [], "corroboration search")

    for payloads in batches():
        rolled_back(lambda payloads=payloads: batch_renders(payloads))
    collect_figure(
        "xss_views",
        "coding view",
        "memo list",
        "review screen",
        "definition review",
        "codebook review",
        "session comments",
        "open threads",
        "excerpt details",
        "corroboration search",
    )


def test_questionnaire_and_dataset_pages_escape_everything(study, researcher, researcher_client, rolled_back):
    def batch_renders(payloads: list[str]) -> None:
        questionnaire = questionnaire_create(study=study, actor=researcher, title=payloads[0])
        version = questionnaire.versions.get()
        section = questionnaire_section_add(version=version, actor=researcher, title=payloads[0])
        free = questionnaire_item_add(section=section, actor=researcher, text=payloads[0], kind=Kind.FREE_TEXT)
        answers = {}
        for payload in payloads:
            item = questionnaire_item_add(
                section=section,
                actor=researcher,
                text=payload,
                kind=Kind.SINGLE_CHOICE,
                options=[payload, "Annet svar"],
                follow_up_prompt=payload[:300],
            )
            answers[item.pk] = AnswerInput(chosen=[item.options.get(text=payload.strip()).pk], comment=payload)
        questionnaire_response_create(version=version, actor=researcher, answers=answers)
        for payload in payloads:
            questionnaire_response_create(
                version=version,
                actor=researcher,
                answers={free.pk: AnswerInput(text=payload)},
                data_quality_note=payload,
            )
        for name in (
            "questionnaire_version",
            "questionnaire_entry",
            "questionnaire_results",
            "questionnaire_responses",
        ):
            response = researcher_client.get(reverse(name, args=[study.pk, version.pk]))
            assert response.status_code == 200
            assert_safe(response.content.decode(), payloads, name)
        dataset = dataset_create(
            study=study,
            actor=researcher,
            title=payloads[0],
            source_note=payloads[0],
            columns=[payloads[0][:60], "B"],
            rows=[RowInput(label=payload[:200], values=[1.0, None]) for payload in payloads],
        )
        response = researcher_client.get(reverse("dataset_detail", args=[study.pk, dataset.pk]))
        assert_safe(response.content.decode(), [p for p in payloads if len(p.strip()) <= 200], "dataset table")

    for payloads in batches():
        rolled_back(lambda payloads=payloads: batch_renders(payloads))
    collect_figure("xss_views", "questionnaire builder", "entry screen", "results", "responses", "dataset table")


def test_observation_pages_escape_everything(study, researcher, co_researcher, researcher_client, rolled_back):
    def batch_renders(payloads: list[str]) -> None:
        short = [payload for payload in payloads if len(payload.strip()) <= 120]
        instrument = instrument_create(study=study, actor=researcher, kind="observation_guide", title=payloads[0])
        version = instrument.versions.get()
        theme = guide_theme_add(version=version, actor=researcher, title=payloads[0])
        points = [guide_question_add(theme=theme, actor=researcher, text=payload) for payload in payloads]
        session = SessionFactory(study=study, kind="observation", guide_version=version, title=payloads[0][:200])
        for payload in short:
            other_attendee_add(session=session, actor=researcher, kind="other", role=payload)
        checklist_save(
            session=session,
            actor=researcher,
            ticks=[
                TickInput(question_id=p.pk, answer="yes", note=payload)
                for p, payload in zip(points, payloads, strict=True)
            ],
        )
        for payload in payloads:
            observation_note_add(session=session, actor=researcher, observer=researcher, note_type="said", text=payload)
        text = normalise_text("\n".join(payloads))
        notes = [
            source_create(
                study=study,
                actor=observer,
                imported=ImportedText(text=text, format="txt"),
                title=payloads[0][:200],
                kind="field_notes",
                session=session,
                observer=observer,
            )
            for observer in (researcher, co_researcher)
        ]
        for payload in payloads:
            disagreement_record(
                session=session,
                actor=researcher,
                topic=payload,
                first_source=notes[0],
                first_view=payload,
                second_source=notes[1],
                second_view=payload,
                resolution=payload,
            )
        pages = {
            "session page": reverse("session_detail", args=[study.pk, session.pk]),
            "checklist": reverse("observation_checklist", args=[study.pk, session.pk]),
            "observation notes": reverse("observation_notes", args=[study.pk, session.pk]),
            "field notes side by side": reverse("field_notes_compare", args=[study.pk, session.pk]),
            "observation counts": reverse("observation_counts", args=[study.pk]),
        }
        for where, url in pages.items():
            response = researcher_client.get(url)
            assert response.status_code == 200
            assert_safe(response.content.decode(), short if where == "session page" else payloads, where)

    for payloads in batches():
        rolled_back(lambda payloads=payloads: batch_renders(payloads))
    collect_figure("xss_views", "checklist", "observation notes", "field notes side by side", "observation counts")


def test_admin_changelists_escape_everything(db, rolled_back):
    admin = Client()
    admin.force_login(
        UserFactory(email="admin@example.org", is_staff=True, is_superuser=True),
        backend="config.auth.ModelBackend",
    )

    def batch_renders(payloads: list[str]) -> None:
        owner = UserFactory()
        home = StudyFactory(created_by=owner, title="Vertsstudie")
        for number, payload in enumerate(payloads):
            StudyFactory(created_by=owner, title=payload)
            Informant.objects.create(study=home, code=f"X{number}", role=payload)
            code_create(study=home, actor=owner, name=payload)
        for url in ("/admin/cases/study/", "/admin/cases/informant/", "/admin/interviews/code/"):
            response = admin.get(url)
            assert response.status_code == 200, url
            assert_safe(response.content.decode(), payloads, url, admin=True)

    for payloads in batches():
        rolled_back(lambda payloads=payloads: batch_renders(payloads))
    collect_figure("xss_views", "admin")


def test_method_overview_html_escapes_everything(db, rolled_back):
    def batch_renders(payloads: list[str]) -> None:
        owner = UserFactory()
        study = StudyFactory(created_by=owner, title=payloads[0])
        for number, payload in enumerate(payloads):
            Informant.objects.create(study=study, code=f"I{number}", role=payload)
            ResearchQuestion.objects.create(study=study, label=f"RQ{number}", text=payload, position=number)
        study = Study.objects.get(pk=study.pk)
        page = render_to_string("reports/method_overview.html", method_overview_context(study))
        assert_safe(page, payloads, "method overview HTML")

    for payloads in batches():
        rolled_back(lambda payloads=payloads: batch_renders(payloads))
    collect_figure("xss_views", "method overview PDF HTML")


def _qdpx_with(payloads: list[str]) -> bytes:
    """A REFI-QDA project whose origin, code names, source names and picture names are the payloads."""
    import io
    import zipfile

    from lxml import etree

    ns = "urn:QDA-XML:project:1.0"
    root = etree.Element(f"{{{ns}}}Project", name="XSS", origin=payloads[0], nsmap={None: ns})
    codes = etree.SubElement(etree.SubElement(root, f"{{{ns}}}CodeBook"), f"{{{ns}}}Codes")
    sources = etree.SubElement(root, f"{{{ns}}}Sources")
    for number, payload in enumerate(payloads):
        etree.SubElement(
            codes, f"{{{ns}}}Code", guid=f"00000000-0000-4000-8000-{number:012d}", name=payload, isCodable="true"
        )
        source = etree.SubElement(
            sources, f"{{{ns}}}TextSource", guid=f"00000000-0000-4000-9000-{number:012d}", name=payload
        )
        etree.SubElement(source, f"{{{ns}}}PlainTextContent").text = "Tekst"
        etree.SubElement(sources, f"{{{ns}}}PictureSource", guid=f"00000000-0000-4000-a000-{number:012d}", name=payload)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    return out.getvalue()


def test_the_import_preview_escapes_everything(study, researcher_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("exchange_import", args=[study.pk])
    for payloads in batches():
        upload = SimpleUploadedFile("xss.qdpx", _qdpx_with(payloads))
        response = researcher_client.post(url, {"file": upload})
        assert response.status_code == 200, response.content.decode()[:2000]
        assert_safe(response.content.decode(), payloads, "REFI-QDA import preview")
    collect_figure("xss_views", "REFI-QDA import preview")


def test_the_checks_catch_an_unescaped_payload():
    page = "<html><body><p>" + PAYLOADS[0] + "</p></body></html>"
    with pytest.raises(AssertionError):
        assert_safe(page, [PAYLOADS[0]], "a page that forgot to escape")


def test_chapter_composer_pages_and_pdf_html_escape_everything(study, researcher, researcher_client, rolled_back):
    """Chapter and section titles, quotes (excerpt text), narrative text, a table caption and a group label."""
    from cases.chapters.document import build_document
    from cases.chapters.render import chapter_html
    from cases.services import chapters as chapter_services

    def batch_renders(payloads: list[str]) -> None:
        text = normalise_text("".join(f"{LABEL}{payload}\n" for payload in payloads))
        source = source_create(study=study, actor=researcher, imported=ImportedText(text=text, format="txt"), title="X")
        code = code_create(study=study, actor=researcher, name="Kode")
        offset = 0
        for line in text.split("\n")[: len(payloads)]:
            start, end = offset + len(LABEL), offset + len(line)
            offset += len(line) + 1
            excerpt_create(
                source=source, actor=researcher, start=start, end=end, text=text[start:end], code_ids=[code.pk]
            )
        chapter = chapter_services.chapter_create(
            study=study, actor=researcher, title=payloads[0], introduction=payloads[-1], table_of_contents=True
        )
        section = chapter_services.section_create(
            chapter=chapter, actor=researcher, title=payloads[-1], feed="code", code=code
        )
        for payload in payloads:
            chapter_services.section_create(chapter=chapter, actor=researcher, title=payload, parent=section)
        chapter_services.table_block_create(
            section=section, actor=researcher, table="informants", caption=payloads[0][:300]
        )
        shown_payloads = [p for p in payloads if "*" not in p]  # narrative text turns *x* into emphasis
        for payload in shown_payloads:
            chapter_services.text_block_create(section=section, actor=researcher, text=payload)
        for name in ("chapter_edit", "chapter_preview", "chapter_export_gate"):
            response = researcher_client.get(reverse(name, args=[study.pk, chapter.pk]))
            assert response.status_code == 200
            assert_safe(response.content.decode(), payloads if name != "chapter_export_gate" else payloads[:1], name)
        html = chapter_html(build_document(chapter, for_print=True))
        assert_safe(html, payloads, "chapter PDF HTML")

    for payloads in batches():
        rolled_back(lambda payloads=payloads: batch_renders(payloads))
    collect_figure("xss_views", "chapter editor", "chapter preview", "chapter export", "chapter PDF HTML")
