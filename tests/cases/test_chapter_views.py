"""The composer's pages: editor, preview and export; permissions, forged posts and pinned query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import AuditEvent, ChapterBlock, ChapterSection, ReportJob
from cases.services import chapters as services
from tests.factories import StudyFactory
from tests.interviews import analysis_data

Feed = ChapterSection.Feed


@pytest.fixture
def world(study, researcher):
    return analysis_data.build(study, researcher)


@pytest.fixture
def chapter(world, researcher):
    chapter = services.chapter_create(study=world.study, actor=researcher, title="Resultater")
    section = services.section_create(
        chapter=chapter, actor=researcher, title="Medvirkning", feed=Feed.CODE, code=world.medvirkning
    )
    services.text_block_create(section=section, actor=researcher, text="Et par av informantene sa *dette*: {count}.")
    services.table_block_create(section=section, actor=researcher, table=ChapterBlock.Table.CODE_FREQUENCY)
    return chapter


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def test_editor_preview_and_export_pages_render(chapter, researcher_client, world):
    study = world.study
    editor = researcher_client.get(url("chapter_edit", study.pk, chapter.pk))
    assert editor.status_code == 200
    body = editor.content.decode()
    assert "4.1" in body and world.e1.text in body and "<em>dette</em>" in body
    preview = researcher_client.get(url("chapter_preview", study.pk, chapter.pk)).content.decode()
    assert "4.1" in preview and f"«{world.e1.text}»" in preview
    export = researcher_client.get(url("chapter_export_gate", study.pk, chapter.pk))
    assert export.status_code == 200
    assert researcher_client.get(url("chapter_list", study.pk)).status_code == 200


def test_supervisor_reads_but_cannot_change_or_export(chapter, supervisor_client, world):
    study = world.study
    assert supervisor_client.get(url("chapter_edit", study.pk, chapter.pk)).status_code == 200
    assert supervisor_client.get(url("chapter_preview", study.pk, chapter.pk)).status_code == 200
    assert supervisor_client.get(url("chapter_export_gate", study.pk, chapter.pk)).status_code == 403
    section = chapter.sections.get()
    response = supervisor_client.post(
        url("chapter_section_action", study.pk, section.pk), {"action": "text", "text": "x"}
    )
    assert response.status_code == 403
    assert not ChapterBlock.objects.filter(text="x").exists()


def test_outsiders_get_404(chapter, outsider_client, world):
    assert outsider_client.get(url("chapter_edit", world.study.pk, chapter.pk)).status_code == 404


def test_forged_posts_write_nothing(chapter, researcher_client, researcher, world):
    study = world.study
    other = analysis_data.build(StudyFactory(created_by=researcher), researcher)
    section = chapter.sections.get()
    blocks = ChapterBlock.objects.count()
    sections = ChapterSection.objects.count()
    audits = AuditEvent.objects.count()
    # An excerpt, code and group of another study of the same researcher.
    researcher_client.post(
        url("chapter_section_action", study.pk, section.pk), {"action": "quote", "excerpt": other.e1.pk}
    )
    researcher_client.post(
        url("chapter_section_create", study.pk, chapter.pk), {"title": "x", "feed": "code", "code": other.ledelse.pk}
    )
    researcher_client.post(
        url("chapter_section_create", study.pk, chapter.pk), {"title": "x", "feed": "group", "group": other.ag.pk}
    )
    # A block of this study through another study's URL, a bad direction, a bad order, a bad shortening.
    block = section.blocks.filter(kind="quote").first()
    other_chapter = services.chapter_create(study=other.study, actor=researcher, title="Annen")
    assert (
        researcher_client.post(url("chapter_block_action", other.study.pk, block.pk), {"action": "delete"}).status_code
        == 404
    )
    assert (
        researcher_client.post(
            url("chapter_block_action", study.pk, block.pk), {"action": "move", "direction": "x"}
        ).status_code
        == 400
    )
    assert (
        researcher_client.post(
            url("chapter_section_action", study.pk, section.pk), {"action": "reorder", "order": "1,2"}
        ).status_code
        == 400
    )
    researcher_client.post(
        url("chapter_block_action", study.pk, block.pk), {"action": "edit", "print_text": "Noe helt annet (…)"}
    )
    table = section.blocks.get(kind="table")
    researcher_client.post(url("chapter_block_action", study.pk, table.pk), {"action": "edit", "cell-nonsense": "x"})
    assert ChapterBlock.objects.count() == blocks
    assert ChapterSection.objects.count() == sections
    assert AuditEvent.objects.count() == audits + 1  # only the other chapter's creation
    block.refresh_from_db()
    assert block.print_text == ""
    assert other_chapter.sections.count() == 0


def test_reorder_exclude_shorten_through_the_pages(chapter, researcher_client, world):
    study = world.study
    section = chapter.sections.get()
    quotes = list(section.blocks.filter(kind="quote").order_by("position"))
    assert quotes[1].excerpt == world.e1 or quotes[0].excerpt == world.e1
    if quotes[0].excerpt == world.e1:
        quotes[0], quotes[1] = quotes[1], quotes[0]
        researcher_client.post(
            url("chapter_block_action", study.pk, quotes[0].pk), {"action": "move", "direction": "up"}
        )
    researcher_client.post(url("chapter_block_action", study.pk, quotes[1].pk), {"action": "move", "direction": "up"})
    researcher_client.post(url("chapter_block_action", study.pk, quotes[0].pk), {"action": "exclude", "excluded": "1"})
    researcher_client.post(
        url("chapter_block_action", study.pk, quotes[1].pk),
        {"action": "edit", "print_text": "Vi fikk være med (…) legges."},
    )
    ordered = list(section.blocks.filter(kind="quote").order_by("position").values_list("pk", "excluded", "print_text"))
    assert ordered[0] == (quotes[1].pk, False, "Vi fikk være med (…) legges.")
    assert ordered[1][:2] == (quotes[0].pk, True)
    preview = researcher_client.get(url("chapter_preview", study.pk, chapter.pk)).content.decode()
    assert "«Vi fikk være med (…) legges.»" in preview
    assert quotes[0].excerpt.text not in preview


def test_export_needs_the_warnings_acknowledged(chapter, researcher_client, world):
    study = world.study
    world.ag1.role = "rådmann"  # a role only one informant has: a structural warning
    world.ag1.save()
    response = researcher_client.post(url("chapter_export_gate", study.pk, chapter.pk), {"kind": "chapter_pdf"})
    assert response.status_code == 200 and not ReportJob.objects.exists()
    response = researcher_client.post(
        url("chapter_export_gate", study.pk, chapter.pk), {"kind": "chapter_pdf", "acknowledge": "on"}
    )
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert (job.chapter_id, job.kind, job.state) == (chapter.pk, "chapter_pdf", "queued")


def _add_quotes(section, researcher, world, n: int) -> None:
    from tests.interviews.analysis_data import make_excerpt, make_source

    sentences = [f"Setning nummer {i} om medvirkning i kommunen." for i in range(n)]
    source = make_source(world.study, researcher, f"Ekstra {n}", sentences, session=world.s02)
    for sentence in sentences:
        excerpt = make_excerpt(source, researcher, sentence, [world.medvirkning], [world.ag2])
        services.quote_add(section=section, actor=researcher, excerpt=excerpt)


@pytest.mark.parametrize("page", ["chapter_edit", "chapter_preview"])
def test_query_counts_do_not_grow_with_quotes(
    chapter, researcher_client, researcher, world, django_assert_num_queries, page
):
    section = chapter.sections.get()
    target = url(page, world.study.pk, chapter.pk)
    researcher_client.get(target)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        researcher_client.get(target)
    _add_quotes(section, researcher, world, 25)
    with django_assert_num_queries(len(few.captured_queries)):
        response = researcher_client.get(target)
    assert response.content.decode().count("Setning nummer") >= 25


def test_an_unknown_action_is_a_bad_request(chapter, researcher_client, world):
    section = chapter.sections.get()
    block = section.blocks.first()
    assert (
        researcher_client.post(url("chapter_section_action", world.study.pk, section.pk), {"action": "x"}).status_code
        == 400
    )
    assert researcher_client.post(url("chapter_block_action", world.study.pk, block.pk)).status_code == 400


def test_add_a_merged_guide_question_section_through_the_page(chapter, researcher_client, researcher, world):
    from cases.models import GuideQuestion, GuideTheme, Instrument, InstrumentVersion

    version = InstrumentVersion.objects.create(
        instrument=Instrument.objects.create(study=world.study, title="Guide"), label="v1"
    )
    theme = GuideTheme.objects.create(version=version, title="Tema")
    q3 = GuideQuestion.objects.create(theme=theme, label="Q3", text="Hva må på plass?")
    q4 = GuideQuestion.objects.create(theme=theme, label="Q4", text="Hvordan tilrettelegge?")
    world.ledelse.guide_questions.set([q3])
    world.tillit.guide_questions.set([q4])
    response = researcher_client.post(
        url("chapter_section_create", world.study.pk, chapter.pk),
        {"title": "Q3 + Q4", "feed": "guide_questions", "guide_questions": [q3.pk, q4.pk], "fill_quotes": "on"},
    )
    assert response.status_code == 302
    section = chapter.sections.get(title="Q3 + Q4")
    quoted = set(section.blocks.values_list("excerpt_id", flat=True))
    assert quoted == {world.e2.pk, world.e5.pk}  # Ledelse (Q3) and Tillit (Q4), each once


def test_the_supervisor_does_not_see_quotes_of_informants_without_consent(
    chapter, supervisor_client, researcher_client, world
):
    from cases.services.consent import consent_withdraw

    consent_withdraw(informant=world.tv1, actor=world.study.created_by, withdrawn_on=dt.date(2017, 3, 1))
    target = url("chapter_edit", world.study.pk, chapter.pk)
    assert world.e5.text not in supervisor_client.get(target).content.decode()
    assert world.e5.text in researcher_client.get(target).content.decode()  # struck through, with the reason


def test_the_chosen_group_order_is_shown_and_kept(chapter, researcher_client, world):
    section = chapter.sections.get()
    researcher_client.post(
        url("chapter_section_action", world.study.pk, section.pk),
        {"action": "edit", "title": "Medvirkning", "group_quotes": "on", "group_order": [world.tv.pk, world.ag.pk]},
    )
    section.refresh_from_db()
    assert section.group_quotes and section.group_order == [world.tv.pk, world.ag.pk]
    page = researcher_client.get(url("chapter_edit", world.study.pk, chapter.pk)).content.decode()
    assert f'<option value="{world.tv.pk}" selected>' in page


def test_a_risk_found_several_times_in_one_section_is_listed_once_with_its_count(
    chapter, researcher_client, researcher, world
):
    world.ag1.role = "rådmann"
    world.ag1.save()
    section = chapter.sections.get()
    services.text_block_create(section=section, actor=researcher, text="Rådmannen og rådmann.")
    services.text_block_create(section=section, actor=researcher, text="Igjen: rådmann, Rådmann.")
    body = researcher_client.get(url("chapter_export_gate", world.study.pk, chapter.pk)).content.decode()
    assert body.count("(in 4.1)") == 1
    assert 'data-times="3"' in body
