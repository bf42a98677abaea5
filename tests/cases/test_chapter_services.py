"""The chapter-4 composer's services: feeds, order, shortening, attribution, consent and refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.chapters.document import build_document
from cases.chapters.markup import Paragraph, Run, fill_tokens, parse
from cases.chapters.quoting import check_shortening, check_template
from cases.models import Attribution, AuditEvent, ChapterBlock, ChapterSection, ConsentRecord
from cases.services import chapters as services
from tests.factories import StudyFactory
from tests.interviews import analysis_data

Feed = ChapterSection.Feed


@pytest.fixture
def world(study, researcher):
    return analysis_data.build(study, researcher)


@pytest.fixture
def chapter(world, researcher):
    return services.chapter_create(study=world.study, actor=researcher, title="Resultater")


def quote_texts(section: ChapterSection) -> list[str]:
    return [b.excerpt.text for b in section.blocks.filter(kind="quote").order_by("position")]


def test_a_code_section_is_filled_with_its_excerpts_and_descendants(world, chapter, researcher):
    with_children = services.section_create(
        chapter=chapter, actor=researcher, title="Medvirkning", feed=Feed.CODE, code=world.medvirkning
    )
    only_it = services.section_create(
        chapter=chapter,
        actor=researcher,
        title="Tillit",
        feed=Feed.CODE,
        code=world.medvirkning,
        include_descendants=False,
    )
    assert len(quote_texts(with_children)) == 5  # e1–e4 coded Medvirkning, e5 under Tillit
    assert world.e5.text not in quote_texts(only_it)
    assert services.section_fill_quotes(section=with_children, actor=researcher) == 0  # nothing twice


def test_a_group_narrows_the_sections_below_it(world, chapter, researcher):
    group = services.section_create(
        chapter=chapter, actor=researcher, title="Arbeidsgiver", feed=Feed.GROUP, group=world.ag
    )
    below = services.section_create(
        chapter=chapter, actor=researcher, title="Ledelse", parent=group, feed=Feed.CODE, code=world.ledelse
    )
    assert quote_texts(below) == [world.e2.text]  # e5 (Ledelse) is TV1's


def test_numbering_and_counting(world, chapter, researcher):
    first = services.section_create(chapter=chapter, actor=researcher, title="A", feed=Feed.CODE, code=world.ledelse)
    services.section_create(chapter=chapter, actor=researcher, title="A.1", parent=first)
    services.section_create(chapter=chapter, actor=researcher, title="B")
    doc = build_document(chapter, for_print=True)
    assert [(s.number, s.section.title) for s in doc.sections] == [("4.1", "A"), ("4.1.1", "A.1"), ("4.2", "B")]
    assert (doc.sections[0].count.informants, doc.sections[0].count.total) == (2, 3)  # AG1, TV1 of 3
    services.chapter_update(chapter=chapter, actor=researcher, numbered=False)
    assert [s.number for s in build_document(chapter, for_print=True).sections] == ["", "", ""]


def test_sections_move_up_and_down(world, chapter, researcher):
    a = services.section_create(chapter=chapter, actor=researcher, title="A")
    b = services.section_create(chapter=chapter, actor=researcher, title="B")
    services.section_move(section=b, actor=researcher, direction="up")
    assert [s.section.title for s in build_document(chapter, for_print=True).sections] == ["B", "A"]
    services.section_move(section=b, actor=researcher, direction="up")  # already first: no change
    services.section_delete(section=a, actor=researcher)
    assert [s.section.title for s in build_document(chapter, for_print=True).sections] == ["B"]


@pytest.mark.parametrize(
    ("shortened", "ok"),
    [
        ("Vi fikk være med (…) turnusen skulle legges.", True),
        ("Vi fikk være med (...) legges.", True),
        ("(…) hvordan turnusen skulle legges.", True),
        ("Vi fikk være med og bestemme hvordan turnusen skulle legges.", False),  # no omission marked
        ("Vi fikk ikke være med (…) legges.", False),  # a word added
        ("legges (…) Vi fikk", False),  # order changed
        ("(…)", False),
    ],
)
def test_a_shortened_quote_may_only_leave_words_out(shortened, ok):
    verbatim = "Vi fikk være med og bestemme hvordan turnusen skulle legges."
    if ok:
        assert "(…)" in check_shortening(shortened, verbatim)
    else:
        with pytest.raises(ValidationError):
            check_shortening(shortened, verbatim)


def test_shortening_is_refused_and_nothing_written(world, chapter, researcher):
    section = services.section_create(chapter=chapter, actor=researcher, title="T", feed=Feed.CODE, code=world.tillit)
    block = section.blocks.get()
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        services.quote_update(block=block, actor=researcher, print_text="Tilliten vokste (…) aldri")
    block.refresh_from_db()
    assert block.print_text == "" and AuditEvent.objects.count() == audits
    services.quote_update(block=block, actor=researcher, print_text="Tilliten (…) vokste etter prosjektet.")
    doc = build_document(chapter, for_print=True)
    assert doc.sections[0].quotes[0].text == "Tilliten (…) vokste etter prosjektet."
    block.excerpt.refresh_from_db()
    assert block.excerpt.text == world.e5.text  # the excerpt stays verbatim


def test_links_from_another_study_are_refused(world, chapter, researcher):
    other = analysis_data.build(StudyFactory(created_by=researcher), researcher)
    for kwargs in (
        {"feed": Feed.CODE, "code": other.ledelse},
        {"feed": Feed.GROUP, "group": other.ag},
        {"feed": Feed.SITE, "site": other.site_a},
    ):
        with pytest.raises(ValidationError):
            services.section_create(chapter=chapter, actor=researcher, title="x", **kwargs)
    section = services.section_create(chapter=chapter, actor=researcher, title="Picked", feed=Feed.EXCERPTS)
    with pytest.raises(ValidationError):
        services.quote_add(section=section, actor=researcher, excerpt=other.e1)
    assert not ChapterBlock.objects.filter(section__chapter=chapter).exists()
    assert ChapterSection.objects.filter(chapter=chapter).count() == 1


@pytest.mark.parametrize(
    ("mode", "template", "expected"),
    [
        (Attribution.NONE, "", ["", ""]),
        (Attribution.CODE, "", ["(AG1, AG2)", "(AG1, TV1)"]),
        (Attribution.GROUP, "", ["(Arbeidsgiver)", "(Arbeidsgiver, Tillitsvalgt)"]),
        (Attribution.TEMPLATE, "[{code} – {session}]", ["[AG1, AG2 – S01]", "[AG1, TV1 – S01]"]),
    ],
)
def test_attribution_modes(world, chapter, researcher, mode, template, expected):
    services.chapter_update(chapter=chapter, actor=researcher, attribution=mode, attribution_template=template)
    section = services.section_create(chapter=chapter, actor=researcher, title="Picked", feed=Feed.EXCERPTS)
    services.quote_add(section=section, actor=researcher, excerpt=world.e1)
    services.quote_add(section=section, actor=researcher, excerpt=world.e2)
    assert [q.attribution for q in build_document(chapter, for_print=True).sections[0].quotes] == expected


def test_generic_lead_ins_in_the_study_language(world, chapter, researcher):
    services.chapter_update(chapter=chapter, actor=researcher, attribution=Attribution.LEAD_IN)
    section = services.section_create(
        chapter=chapter, actor=researcher, title="Med", feed=Feed.CODE, code=world.medvirkning
    )
    first = section.blocks.order_by("position").first()
    services.quote_update(block=first, actor=researcher, excluded=True)
    quotes = build_document(chapter, for_print=True).sections[0].quotes
    assert [q.lead_in for q in quotes[:3]] == ["En respondent sa:", "En annen:", "En tredje:"]


def test_a_template_with_unknown_fields_is_refused(chapter, researcher):
    for template in ("{name}", "{code.__class__}", "{code!r}", "{0}", "{code:>10}", "{"):
        with pytest.raises(ValidationError):
            check_template(template)
        with pytest.raises(ValidationError):
            services.chapter_update(
                chapter=chapter, actor=researcher, attribution="template", attribution_template=template
            )


def test_quotes_grouped_by_group_in_a_chosen_order_keep_their_comments(world, chapter, researcher):
    section = services.section_create(
        chapter=chapter,
        actor=researcher,
        title="Picked",
        feed=Feed.EXCERPTS,
        group_quotes=True,
        group_order=[world.tv.pk, world.ag.pk],
    )
    services.quote_add(section=section, actor=researcher, excerpt=world.e4)  # AG2
    services.text_block_create(section=section, actor=researcher, text="Kommentar til AG2.")
    services.quote_add(section=section, actor=researcher, excerpt=world.e5)  # TV1
    items = build_document(chapter, for_print=True).sections[0].items
    assert [(i.kind, i.label or (i.quote.text if i.quote else "")) for i in items] == [
        ("group", "Tillitsvalgt"),
        ("quote", world.e5.text),
        ("group", "Arbeidsgiver"),
        ("quote", world.e4.text),
        ("text", ""),
    ]


def test_withheld_quotes_are_never_printed_and_listed_for_the_gate(world, chapter, researcher):
    section = services.section_create(
        chapter=chapter, actor=researcher, title="Med", feed=Feed.CODE, code=world.medvirkning
    )
    ConsentRecord.objects.filter(informant=world.tv1).update(withdrawn_on="2017-03-01")
    doc = build_document(chapter, for_print=True)
    printed = [q.text for q in doc.sections[0].quotes]
    assert world.e2.text not in printed and world.e5.text not in printed
    assert [(w.code, w.quotes) for w in doc.withheld] == [("TV1", 2)]
    assert world.tv1.pk not in doc.informant_ids
    editor = build_document(chapter, for_print=False)
    assert any(q.withheld for q in editor.sections[0].quotes)
    assert section.blocks.count() == 5  # nothing deleted: consent may come back


def test_markup_is_text_only():
    assert parse("Hei *du* og **deg**\n\n- en\n- to\n\n1. a\n2. b\n\n<b>x</b> {count}", count_phrase="Et par") == [
        Paragraph("p", [[Run("Hei "), Run("du", italic=True), Run(" og "), Run("deg", bold=True)]]),
        Paragraph("ul", [[Run("en")], [Run("to")]]),
        Paragraph("ol", [[Run("a")], [Run("b")]]),
        Paragraph("p", [[Run("<b>x</b> et par")]]),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{count} sa dette.", "Nesten alle sa dette."),
        ("I alt sa {count_of} det.", "I alt sa seks av åtte informanter det."),
        ("{count} ({count_of}) tok det opp.", "Nesten alle (seks av åtte informanter) tok det opp."),
        ("Først dette. {count} sa det.", "Først dette. Nesten alle sa det."),
        ("Oppsummert: {count} sa det.", "Oppsummert: nesten alle sa det."),
        ("«{count} sa det»", "«Nesten alle sa det»"),
        ("En linje\n{count} fortsetter.", "En linje\nnesten alle fortsetter."),
        ("Avsnitt.\n\n{count} begynner.", "Avsnitt.\n\nNesten alle begynner."),
        ("Liste:\n- {count} sa det", "Liste:\n- Nesten alle sa det"),
    ],
)
def test_counting_tokens_start_with_a_capital_only_where_a_sentence_starts(text, expected):
    assert fill_tokens(text, count_phrase="Nesten alle", count_of_total="Seks av åtte informanter") == expected


def test_reorder_must_name_exactly_the_sections_blocks(world, chapter, researcher):
    section = services.section_create(
        chapter=chapter, actor=researcher, title="Med", feed=Feed.CODE, code=world.ledelse
    )
    ids = list(section.blocks.order_by("position").values_list("pk", flat=True))
    with pytest.raises(ValidationError):
        services.block_reorder(section=section, actor=researcher, block_ids=[ids[0]])
    services.block_reorder(section=section, actor=researcher, block_ids=list(reversed(ids)))
    assert list(section.blocks.order_by("position").values_list("pk", flat=True)) == list(reversed(ids))


def test_tables_questionnaire_dataset_informants_and_code_frequency(world, chapter, researcher):
    from cases.services.datasets import RowInput, dataset_create
    from cases.services.questionnaires import (
        AnswerInput,
        questionnaire_create,
        questionnaire_item_add,
        questionnaire_response_create,
        questionnaire_section_add,
    )

    questionnaire = questionnaire_create(study=world.study, actor=researcher, title="Evaluering")
    version = questionnaire.versions.get()
    part = questionnaire_section_add(version=version, actor=researcher, title="Nytte")
    item = questionnaire_item_add(
        section=part, actor=researcher, text="Nyttig?", kind="scale", scale_min=1, scale_max=5
    )
    for value in ("4", "5", "3"):
        questionnaire_response_create(version=version, actor=researcher, answers={item.pk: AnswerInput(value=value)})
    dataset = dataset_create(
        study=world.study,
        actor=researcher,
        title="10-faktor",
        columns=["A", "Norge"],
        rows=[RowInput("Mestring", [4.3, 4.2])],
    )
    section = services.section_create(
        chapter=chapter, actor=researcher, title="T", feed=Feed.CODE, code=world.innovasjon
    )
    for table, extra in (
        ("questionnaire", {"questionnaire_version": version}),
        ("dataset", {"dataset": dataset}),
        ("informants", {}),
        ("code_frequency", {}),
    ):
        services.table_block_create(section=section, actor=researcher, table=table, **extra)
    tables = [item.table for item in build_document(chapter, for_print=True).sections[0].items if item.table]
    questionnaire_table, dataset_table, informants, frequency = tables
    assert questionnaire_table.rows[0][:3] == ["Nyttig?", "3", "4.0"]  # item, n, mean
    assert dataset_table.rows == [["Mestring", "4.3", "4.2"]]
    assert [row[0] for row in informants.rows] == ["AG1", "AG2", "TV1"]
    assert frequency.header == ["Kode", "Arbeidsgiver", "Tillitsvalgt", "Totalt"]  # in the study's language
    assert frequency.rows[0] == ["Innovasjon", "2", "1", "3"]  # AG1, AG2 via Medvirkning…; TV1 via Tillit
    with pytest.raises(ValidationError):  # a dataset table without a dataset
        services.table_block_create(section=section, actor=researcher, table="dataset")
