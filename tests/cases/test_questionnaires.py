"""Questionnaires: responses checked before writing, results, anonymity held by the database, datasets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.models import (
    AuditEvent,
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireItem,
    QuestionnaireResponse,
)
from cases.selectors_questionnaires import dataset_table, questionnaire_results, round_half_up
from cases.services.datasets import dataset_create, dataset_parse
from cases.services.questionnaires import (
    AnswerInput,
    questionnaire_create,
    questionnaire_item_add,
    questionnaire_item_update,
    questionnaire_response_create,
    questionnaire_section_add,
    questionnaire_update,
    questionnaire_version_copy,
)
from tests.cases import evaluation_world
from tests.factories import InformantFactory, SessionFactory

Kind = QuestionnaireItem.Kind


@pytest.fixture
def evaluation(study):
    return evaluation_world.build(study)


def test_study_000_evaluation_results(evaluation):
    results = questionnaire_results(evaluation.version)
    items = evaluation.items

    assert results.respondents == 8
    s1, s2, total = (results.item(items.s1.pk), results.item(items.s2.pk), results.item(items.total.pk))
    assert round_half_up(s1.mean) == Decimal("7.5")
    assert round_half_up(s2.mean) == Decimal("7.3")
    assert round_half_up(total.mean) == Decimal("8.3")
    assert (s1.answered, s1.non_response) == (8, 0)
    assert (total.answered, total.non_response) == (7, 1)
    assert s1.median == Decimal("8")
    assert s2.median == Decimal("7.25")
    assert dict(s1.distribution)[Decimal(8)] == 4
    assert dict(s2.distribution)[Decimal("7.5")] == 1
    assert len(s1.distribution) == 19  # 1, 1.5 … 10: every step shown, also those nobody chose

    role = results.item(items.role.pk)
    assert [(o.text, o.count) for o in role.options] == [("Verneombud", 3), ("Leder", 1), ("Annet", 4)]
    recommend = results.item(items.recommend.pk)
    assert [(o.text, o.count, o.share) for o in recommend.options] == [
        ("Ja", 8, Decimal(100)),
        ("Nei", 0, Decimal(0)),
        ("Delvis", 0, Decimal(0)),
    ]
    assert len(recommend.comments) == 3
    improved = results.item(items.improved.pk)
    assert [o.count for o in improved.options] == [7, 1, 0]
    assert ("Nei", "Hadde kommet i gang ved hjelp av BHT fra før.") in improved.comments
    industries = results.item(items.industries.pk)
    assert [o.count for o in industries.options] == [6, 1, 1]

    rank = results.item(items.rank.pk)
    assert (rank.answered, rank.non_response) == (6, 2)
    assert [(r.text, r.score) for r in rank.ranks[:2]] == [
        (evaluation_world.REASONS[0], 16),
        (evaluation_world.REASONS[1], 8),
    ]
    assert rank.ranks[0].counts_by_rank == [4, 2, 0]
    assert rank.ranks[-1].text == evaluation_world.REASONS[5] and rank.ranks[-1].score == 0

    higher = results.item(items.higher.pk)
    assert higher.answered == 4 and higher.texts == sorted(higher.texts)
    assert results.data_quality_notes == ["Krysset av tre punkter som nr. 1; registrert i rekkefølgen på skjemaet."]


def test_results_take_a_fixed_number_of_queries(evaluation, django_assert_num_queries):
    with django_assert_num_queries(8):
        questionnaire_results(evaluation.version)


def _count_rows():
    return (
        QuestionnaireResponse.objects.count(),
        QuestionnaireAnswer.objects.count(),
        AuditEvent.objects.filter(action="questionnaire.response_entered").count(),
    )


@pytest.mark.parametrize(
    ("key", "answer", "message"),
    [
        ("s1", AnswerInput(value="11"), "11 is outside the scale: type a number from 1 to 10."),
        ("s1", AnswerInput(value="0"), "0 is outside the scale"),
        ("s1", AnswerInput(value="sju"), "Type a number from 1 to 10."),
        ("role", AnswerInput(), "This item is required."),
    ],
)
def test_bad_input_writes_nothing(evaluation, key, answer, message):
    items = evaluation.items
    answers = evaluation_world.answers_for(items, evaluation_world.FORMS[0])
    answers[getattr(items, key).pk] = answer
    before = _count_rows()

    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(
            version=evaluation.version, actor=evaluation.questionnaire.study.created_by, answers=answers
        )

    assert message in " ".join(error.value.message_dict[f"item-{getattr(items, key).pk}"])
    assert _count_rows() == before


def test_rank_with_duplicates_is_refused(evaluation):
    items = evaluation.items
    answers = evaluation_world.answers_for(items, evaluation_world.FORMS[0])
    options = list(items.rank.options.all())
    answers[items.rank.pk] = AnswerInput(ranks={options[0].pk: "1", options[1].pk: "1", options[2].pk: "2"})
    before = _count_rows()

    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(
            version=evaluation.version, actor=evaluation.questionnaire.study.created_by, answers=answers
        )

    assert "Rank 1 is given twice" in error.value.message_dict[f"item-{items.rank.pk}"][0]
    assert _count_rows() == before


@pytest.mark.parametrize(("ranks", "message"), [({0: "4"}, "Ranks go from 1 to 3"), ({0: "2"}, "rank 1 is missing")])
def test_rank_outside_places_or_with_gaps_is_refused(evaluation, ranks, message):
    items = evaluation.items
    options = list(items.rank.options.all())
    answers = {
        items.role.pk: AnswerInput(chosen=[items.role.options.first().pk]),
        items.rank.pk: AnswerInput(ranks={options[i].pk: r for i, r in ranks.items()}),
    }
    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(
            version=evaluation.version, actor=evaluation.questionnaire.study.created_by, answers=answers
        )
    assert message in error.value.message_dict[f"item-{items.rank.pk}"][0]


def test_half_points_only_where_allowed_and_follow_up_only_after_its_answers(study, evaluation):
    actor = study.created_by
    questionnaire = questionnaire_create(study=study, actor=actor, title="Kort skjema")
    section = questionnaire_section_add(version=questionnaire.versions.get(), actor=actor, title="Del 1")
    whole = questionnaire_item_add(section=section, actor=actor, text="Motivasjon", kind=Kind.SCALE, scale_max=10)
    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(
            version=questionnaire.versions.get(), actor=actor, answers={whole.pk: AnswerInput(value="7,5")}
        )
    assert "half points are not allowed" in str(error.value)

    items = evaluation.items
    answers = evaluation_world.answers_for(items, evaluation_world.FORMS[2])
    answers[items.improved.pk] = AnswerInput(chosen=[items.improved.options.get(text="Vet ikke").pk], comment="Usikker")
    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(version=evaluation.version, actor=actor, answers=answers)
    assert "only after: Ja, Nei" in str(error.value)


def test_an_empty_form_is_refused(study):
    actor = study.created_by
    questionnaire = questionnaire_create(study=study, actor=actor, title="Tomt")
    section = questionnaire_section_add(version=questionnaire.versions.get(), actor=actor, title="Del 1")
    questionnaire_item_add(section=section, actor=actor, text="Kommentar", kind=Kind.FREE_TEXT)
    with pytest.raises(ValidationError, match="The form is empty"):
        questionnaire_response_create(version=questionnaire.versions.get(), actor=actor, answers={})


# Anonymity ---------------------------------------------------------------------------------------


def test_the_database_refuses_an_informant_on_an_anonymous_response(study, evaluation):
    informant = InformantFactory(study=study)
    response = QuestionnaireResponse.objects.filter(version=evaluation.version).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.filter(pk=response.pk).update(informant=informant)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.create(version=evaluation.version, anonymous=True, informant=informant)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Nor can the flag be cleared without naming an informant.
        QuestionnaireResponse.objects.filter(pk=response.pk).update(anonymous=False)


def test_the_service_refuses_an_informant_on_an_anonymous_questionnaire(study, evaluation):
    informant = InformantFactory(study=study)
    answers = evaluation_world.answers_for(evaluation.items, evaluation_world.FORMS[0])
    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(
            version=evaluation.version, actor=study.created_by, answers=answers, informant=informant
        )
    assert "anonymous" in error.value.message_dict["informant"][0]


def test_anonymity_cannot_be_switched_off_once_responses_exist(evaluation):
    questionnaire = evaluation.questionnaire
    with pytest.raises(ValidationError, match="cannot change"):
        questionnaire_update(
            questionnaire=questionnaire, actor=questionnaire.study.created_by, data={"anonymous": False}
        )
    questionnaire.refresh_from_db()
    assert questionnaire.anonymous is True


def test_anonymous_responses_leave_no_order_or_time_to_match(evaluation):
    fields = {f.name for f in QuestionnaireResponse._meta.get_fields()}
    assert not {"created_at", "updated_at", "entered_at"} & fields
    assert QuestionnaireResponse._meta.pk.get_internal_type() == "UUIDField"
    assert QuestionnaireAnswer._meta.pk.get_internal_type() == "UUIDField"
    response_ids = {str(pk) for pk in QuestionnaireResponse.objects.values_list("pk", flat=True)}
    events = AuditEvent.objects.filter(action="questionnaire.response_entered")
    assert events.count() == 8
    for event in events:
        assert event.target_type == "cases.questionnaire"
        assert event.target_id == evaluation.questionnaire.pk
        assert not response_ids & {str(v) for v in event.data.values()}
        assert "informant" not in event.data


# Linked questionnaires: scale answers inside interviews -----------------------------------------------


@pytest.fixture
def motivation(study):
    actor = study.created_by
    questionnaire = questionnaire_create(
        study=study,
        actor=actor,
        title="Skalaspørsmål om motivasjon",
        anonymous=False,
        mode=Questionnaire.Mode.IN_INTERVIEW,
    )
    section = questionnaire_section_add(version=questionnaire.versions.get(), actor=actor, title="Intervju")
    item = questionnaire_item_add(
        section=section,
        actor=actor,
        kind=Kind.SCALE,
        scale_max=10,
        scale_max_label="best",
        text="Hvor motivert er du for KvalitetsLosen og forbedringsarbeid?",
    )
    return questionnaire, item


def test_in_interview_scale_answers_per_informant_and_session(study, motivation):
    questionnaire, item = motivation
    version = questionnaire.versions.get()
    actor = study.created_by
    values = ["9", "8", "8", "9", "6", "8"]
    for number, value in enumerate(values, start=1):
        informant = InformantFactory(study=study, code=f"R{number}")
        session = SessionFactory(study=study, code=f"I{number}")
        questionnaire_response_create(
            version=version,
            actor=actor,
            answers={item.pk: AnswerInput(value=value)},
            informant=informant,
            session=session,
        )
    result = questionnaire_results(version).item(item.pk)
    assert result.answered == 6 and result.median == Decimal("8")
    assert sum(c for v, c in result.distribution if v in (8, 9)) == 5  # "alle bortsett fra én" between 8 and 9

    informant = questionnaire.study.informants.get(code="R1")
    with pytest.raises(ValidationError, match="already answered"):
        questionnaire_response_create(
            version=version,
            actor=actor,
            answers={item.pk: AnswerInput(value="7")},
            informant=informant,
            session=study.sessions.get(code="I1"),
        )
    with pytest.raises(ValidationError) as error:
        questionnaire_response_create(
            version=version, actor=actor, answers={item.pk: AnswerInput(value="7")}, informant=informant
        )
    assert "interview" in error.value.message_dict["session"][0]


def test_an_in_interview_questionnaire_cannot_be_anonymous(study):
    with pytest.raises(ValidationError):
        questionnaire_create(
            study=study, actor=study.created_by, title="X", anonymous=True, mode=Questionnaire.Mode.IN_INTERVIEW
        )


# Builder ---------------------------------------------------------------------------------------------


def test_items_need_options_and_a_scale(study):
    actor = study.created_by
    questionnaire = questionnaire_create(study=study, actor=actor, title="Skjema")
    section = questionnaire_section_add(version=questionnaire.versions.get(), actor=actor, title="Del")
    with pytest.raises(ValidationError, match="at least two options"):
        questionnaire_item_add(section=section, actor=actor, text="Ja?", kind=Kind.SINGLE_CHOICE, options=["Ja"])
    with pytest.raises(ValidationError):
        questionnaire_item_add(section=section, actor=actor, text="Skala", kind=Kind.SCALE)
    with pytest.raises(ValidationError, match="fewer options than places"):
        questionnaire_item_add(
            section=section, actor=actor, text="Ranger", kind=Kind.RANK, rank_count=3, options=["a", "b"]
        )
    assert not section.items.exists()


def test_an_answered_item_keeps_its_scale_and_a_copy_keeps_everything(evaluation):
    actor = evaluation.questionnaire.study.created_by
    with pytest.raises(ValidationError, match="cannot change"):
        questionnaire_item_update(item=evaluation.items.s1, actor=actor, data={"scale_max": 5})
    copy = questionnaire_version_copy(version=evaluation.version, actor=actor, label="v2")
    copied = QuestionnaireItem.objects.get(section__version=copy, text=evaluation.items.improved.text)
    assert [o.text for o in copied.options.all()] == ["Ja", "Nei", "Vet ikke"]
    assert sorted(o.text for o in copied.follow_up_on.all()) == ["Ja", "Nei"]
    assert all(o.item_id == copied.pk for o in copied.follow_up_on.all())
    assert questionnaire_results(copy).respondents == 0


# Secondary datasets ------------------------------------------------------------------------------------

KS_TABLE = (
    "Faktor\tKommune A\tKommune B\tKommune D\tNorge\n"
    "Oppgavemotivasjon\t4,2\t4,3\t4,3\t4,3\n"
    "Mestringstro\t4,3\t4,2\t4,3\t4,3\n"
    "Selvstendighet\t4,3\t4,2\t4,3\t4,2\n"
    "Bruk av kompetanse\t4,3\t4,2\t4,2\t4,2\n"
    "Mestringsorientert ledelse\t4,0\t4,0\t4,0\t3,9\n"
)


def test_a_pasted_survey_table_becomes_a_dataset_table(study):
    parsed = dataset_parse(KS_TABLE)
    dataset = dataset_create(
        study=study,
        actor=study.created_by,
        title="KS 10-faktor, utvalgte faktorer",
        source_note="Kommunenes egne medarbeiderundersøkelser 2016/2017, skala 1–5.",
        row_heading=parsed.row_heading,
        columns=parsed.columns,
        rows=parsed.rows,
        reference_column=4,
        decimal_places=2,
    )
    table = dataset_table(dataset)
    assert table.columns == ["Kommune A", "Kommune B", "Kommune D", "Norge"]
    assert table.reference_column == 3
    assert [r.label for r in table.rows][:2] == ["Oppgavemotivasjon", "Mestringstro"]
    assert table.rows[0].values == [Decimal("4.2"), Decimal("4.3"), Decimal("4.3"), Decimal("4.3")]
    # The thesis's chapter-4 table: the average of the five factors per column.
    assert [table.formatted(m) for m in table.column_means()] == ["4.22", "4.18", "4.22", "4.18"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Faktor\tA\tB\nMotivasjon\t4,2\n", "Line 2 has 1 values; the heading has 2 columns."),
        ("Faktor\tA\nMotivasjon\thøy\n", "“høy” is not a number"),
        ("Faktor\tA\n", "at least one row"),
    ],
)
def test_a_bad_table_is_refused_with_the_line(text, message):
    with pytest.raises(ValidationError, match=message):
        dataset_parse(text)


def test_a_reference_column_must_exist(study):
    with pytest.raises(ValidationError):
        dataset_create(study=study, actor=study.created_by, title="T", columns=["A"], rows=[], reference_column=2)
