"""Questionnaire screens: builder, entry, results, responses, CSV export, free text as a source, datasets."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from cases.models import (
    AuditEvent,
    Questionnaire,
    QuestionnaireItem,
    QuestionnaireResponse,
    SecondaryDataset,
)
from cases.services.questionnaires import (
    AnswerInput,
    questionnaire_create,
    questionnaire_item_add,
    questionnaire_response_create,
    questionnaire_section_add,
)
from interviews.models import Source
from tests.cases import evaluation_world
from tests.factories import InformantFactory, SessionFactory

Kind = QuestionnaireItem.Kind


@pytest.fixture
def evaluation(study):
    return evaluation_world.build(study)


@pytest.fixture
def blank(study):
    return evaluation_world.build_questionnaire(study)


def _post_form(client, study, world, form: dict, **extra):
    items = world.items
    data = {f"item-{items.role.pk}": _option(items.role, form["role"])}
    for key in ("s1", "s2", "total"):
        data[f"item-{getattr(items, key).pk}"] = form[key]
    data[f"item-{items.higher.pk}"] = form["higher"]
    for option in items.rank.options.all():
        data[f"rank-{items.rank.pk}-{option.pk}"] = str(form["rank"].get(option.text, ""))
    for key in ("improved", "industries", "recommend"):
        item = getattr(items, key)
        data[f"item-{item.pk}"] = _option(item, form[key])
        data[f"comment-{item.pk}"] = form.get(f"{key}_comment", "")
    data["data_quality_note"] = form.get("note", "")
    data.update(extra)
    return client.post(reverse("questionnaire_entry", args=[study.pk, world.version.pk]), data)


def _option(item, text):
    return str(item.options.get(text=text).pk) if text else ""


def test_entry_saves_a_form_and_opens_the_next(researcher_client, study, blank):
    response = _post_form(researcher_client, study, blank, evaluation_world.FORMS[0])
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaire_entry", args=[study.pk, blank.version.pk])
    saved = QuestionnaireResponse.objects.get()
    assert saved.anonymous and saved.informant_id is None
    assert saved.answers.count() == 9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"s1": "11"}, "11 is outside the scale: type a number from 1 to 10."),
        ({"role": ""}, "This item is required."),
    ],
)
def test_bad_input_on_the_entry_screen_writes_nothing_and_keeps_the_typing(
    researcher_client, study, blank, change, message
):
    form = {**evaluation_world.FORMS[0], **change}
    response = _post_form(researcher_client, study, blank, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved." in page and message in page
    assert 'value="Mulig mer konkret' not in page  # textarea content, not an attribute
    assert "Mulig mer konkret gjennomgang" in page
    assert QuestionnaireResponse.objects.count() == 0
    assert not AuditEvent.objects.filter(action="questionnaire.response_entered").exists()


def test_a_duplicate_rank_on_the_entry_screen(researcher_client, study, blank):
    form = dict(evaluation_world.FORMS[0], rank={evaluation_world.REASONS[0]: 1, evaluation_world.REASONS[1]: 1})
    response = _post_form(researcher_client, study, blank, form)
    assert "Rank 1 is given twice" in response.content.decode()
    assert QuestionnaireResponse.objects.count() == 0


def test_the_supervisor_reads_results_but_cannot_enter(supervisor_client, study, evaluation):
    assert (
        supervisor_client.get(reverse("questionnaire_results", args=[study.pk, evaluation.version.pk])).status_code
        == 200
    )
    response = _post_form(supervisor_client, study, evaluation, evaluation_world.FORMS[0])
    assert response.status_code == 403
    assert QuestionnaireResponse.objects.count() == 8


def test_results_page_shows_the_thesis_figures(researcher_client, study, evaluation, django_assert_num_queries):
    url = reverse("questionnaire_results", args=[study.pk, evaluation.version.pk])
    researcher_client.get(url)  # warm the session and the language
    with django_assert_num_queries(12):
        response = researcher_client.get(url)
    page = response.content.decode()
    assert "8 respondents of 8 participants" in page
    for item, mean in ((evaluation.items.s1, "7.5"), (evaluation.items.s2, "7.3"), (evaluation.items.total, "8.3")):
        section = page[page.index(f'id="result-{item.pk}"') :]
        assert f'data-stat="mean">{mean}<' in section[:3000]
    assert page.count('<svg class="result-chart"') == 8  # every item but the free text has a chart


def test_entry_page_query_count_does_not_grow_with_items(researcher_client, study, blank, django_assert_num_queries):
    url = reverse("questionnaire_entry", args=[study.pk, blank.version.pk])
    researcher_client.get(url)
    with django_assert_num_queries(9):
        researcher_client.get(url)
    section = blank.version.sections.first()
    for n in range(5):
        questionnaire_item_add(
            section=section, actor=study.created_by, text=f"Valg {n}", kind=Kind.SINGLE_CHOICE, options=["Ja", "Nei"]
        )
    with django_assert_num_queries(9):
        researcher_client.get(url)


def test_responses_page_and_export_of_an_anonymous_questionnaire_cannot_be_joined(researcher_client, study, evaluation):
    informant = InformantFactory(study=study, code="W2-07")
    SessionFactory(study=study, code="W2")
    export = researcher_client.get(reverse("questionnaire_export", args=[study.pk, evaluation.version.pk]))
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    heading, body = rows[0], rows[1:]
    assert len(body) == 8
    assert "Informant" not in heading and "Session" not in heading
    text = export.content.decode("utf-8-sig")
    assert informant.code not in text and "W2" not in text
    # Rows come in the order of the responses' random keys, not the order they were typed in.
    keys = [str(pk) for pk in QuestionnaireResponse.objects.order_by("pk").values_list("pk", flat=True)]
    page = researcher_client.get(reverse("questionnaire_responses", args=[study.pk, evaluation.version.pk])).content
    positions = [page.decode().index(key) for key in keys]
    assert positions == sorted(positions)
    assert informant.code.encode() not in page
    # Nor do the results page or the audit trail name a response.
    results = researcher_client.get(reverse("questionnaire_results", args=[study.pk, evaluation.version.pk]))
    assert not any(key.encode() in results.content for key in keys)
    audit = researcher_client.get(reverse("audit_log", args=[study.pk])).content.decode()
    assert not any(key in audit for key in keys)


def test_a_linked_questionnaire_exports_informant_and_session(researcher_client, study):
    actor = study.created_by
    questionnaire = questionnaire_create(
        study=study, actor=actor, title="Motivasjon", anonymous=False, mode=Questionnaire.Mode.IN_INTERVIEW
    )
    version = questionnaire.versions.get()
    section = questionnaire_section_add(version=version, actor=actor, title="Intervju")
    item = questionnaire_item_add(section=section, actor=actor, text="Motivasjon 1–10", kind=Kind.SCALE, scale_max=10)
    informant, session = InformantFactory(study=study, code="L3"), SessionFactory(study=study, code="I3")
    response = researcher_client.post(
        reverse("questionnaire_entry", args=[study.pk, version.pk]),
        {"informant": informant.pk, "session": session.pk, f"item-{item.pk}": "6"},
    )
    assert response.status_code == 302
    rows = list(
        csv.reader(
            io.StringIO(
                researcher_client.get(reverse("questionnaire_export", args=[study.pk, version.pk])).content.decode(
                    "utf-8-sig"
                )
            ),
            delimiter=";",
        )
    )
    assert rows[0][:3] == ["Response", "Informant", "Session"]
    assert rows[1][:4] == ["1", "L3", "I3", "6"]


def test_free_text_answers_become_a_codable_source(researcher_client, study, evaluation):
    response = researcher_client.post(reverse("questionnaire_free_text_source", args=[study.pk, evaluation.version.pk]))
    source = Source.objects.get(kind=Source.Kind.QUESTIONNAIRE)
    assert response["Location"] == reverse("coding_view", args=[study.pk, source.pk])
    assert "• Samling 2: det ble for mye “prat”" in source.text
    assert "• (Nei) Hadde kommet i gang ved hjelp av BHT fra før." in source.text
    assert not source.speaker_labels.exists()  # "Samling 2:" is not mistaken for a speaker
    assert researcher_client.get(response["Location"]).status_code == 200


def test_builder_adds_sections_and_items_and_refuses_bad_items(researcher_client, study):
    questionnaire = questionnaire_create(study=study, actor=study.created_by, title="Evaluering")
    version = questionnaire.versions.get()
    researcher_client.post(reverse("questionnaire_section_add", args=[study.pk, version.pk]), {"title": "Nytte"})
    section = version.sections.get()
    url = reverse("questionnaire_item_add", args=[study.pk, section.pk])
    base = {"scale_min": "1", "scale_max": "10", "text": "Anbefale?", "kind": "single_choice"}
    response = researcher_client.post(url, {**base, "options_text": "Ja"}, follow=True)
    assert "A choice item needs at least two options." in response.content.decode()
    assert not section.items.exists()
    researcher_client.post(url, {**base, "options_text": "Ja\nNei\nDelvis", "follow_up_prompt": "Kommentar"})
    item = section.items.get()
    assert [o.text for o in item.options.all()] == ["Ja", "Nei", "Delvis"]
    assert item.scale_max is None  # the scale fields the builder posts are not kept on a choice item
    page = researcher_client.get(reverse("questionnaire_version", args=[study.pk, version.pk])).content.decode()
    assert "Ja / Nei / Delvis" in page


def test_a_dataset_pasted_from_a_spreadsheet(researcher_client, study):
    table = "Faktor\tKommune A\tNorge\nOppgavemotivasjon\t4,2\t4,3\nMestringstro\t4,3\t4,3\nLandssnitt\t4,25\t4,3\n"
    response = researcher_client.post(
        reverse("dataset_create", args=[study.pk]),
        {
            "title": "KS 10-faktor",
            "source_note": "Kommunenes medarbeiderundersøkelse",
            "decimal_places": "2",
            "table": table,
            "reference_rows": "Landssnitt",
            "reference_column_name": "Norge",
        },
    )
    dataset = SecondaryDataset.objects.get()
    assert response["Location"] == reverse("dataset_detail", args=[study.pk, dataset.pk])
    assert dataset.reference_column == 2 and dataset.rows.get(label="Landssnitt").is_reference
    page = researcher_client.get(response["Location"]).content.decode()
    assert "4.20" in page and "Oppgavemotivasjon" in page
    bad = researcher_client.post(
        reverse("dataset_edit", args=[study.pk, dataset.pk]),
        {"title": "KS", "decimal_places": "2", "table": "Faktor\tA\nX\tmye\n", "reference_column_name": ""},
    )
    assert "“mye” is not a number" in bad.content.decode()
    assert dataset.rows.count() == 3


def test_in_interview_answers_per_informant_need_the_informant(researcher_client, study):
    actor = study.created_by
    questionnaire = questionnaire_create(study=study, actor=actor, title="Skala", anonymous=False)
    version = questionnaire.versions.get()
    section = questionnaire_section_add(version=version, actor=actor, title="Del")
    item = questionnaire_item_add(section=section, actor=actor, text="Motivasjon", kind=Kind.SCALE, scale_max=10)
    response = researcher_client.post(
        reverse("questionnaire_entry", args=[study.pk, version.pk]), {f"item-{item.pk}": "8"}
    )
    assert "Choose the informant who answered." in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    questionnaire_response_create(
        version=version, actor=actor, answers={item.pk: AnswerInput(value="8")}, informant=InformantFactory(study=study)
    )
