"""Study-000's written evaluation (Vedlegg 9) as a questionnaire, with responses consistent with the thesis.

The appendix gives per-item counts and the sorted values, not the forms; the
eight forms below are one assignment of those values to respondents that
reproduces every reported figure: usefulness of session 1 (5, 5, 8, 8, 8, 8,
9, 9 → mean 7.5), session 2 (6, 7, 7, 7, 7.5, 8, 8, 8 → 7.3), overall (one
blank; 8, 8, 8, 8, 8, 9, 9 → 8.3), roles 3 / 1 / 4, improvement 7 Ja / 1 Nei,
different industries 6 / 1 / 1, and all eight would recommend the method.
The ranking in the appendix counts forms that ranked several options first;
here those forms are entered in a valid order with a data-quality note.
"""

from __future__ import annotations

from types import SimpleNamespace

from cases.models import QuestionnaireItem, Study
from cases.services.questionnaires import (
    AnswerInput,
    questionnaire_create,
    questionnaire_item_add,
    questionnaire_response_create,
    questionnaire_section_add,
)

Kind = QuestionnaireItem.Kind

ROLE = ["Verneombud", "Leder", "Annet"]
YES_NO_DONT_KNOW = ["Ja", "Nei", "Vet ikke"]
YES_NO_PARTLY = ["Ja", "Nei", "Delvis"]
REASONS = [
    "Erfaringsutveksling med andre bedrifter",
    "Det faglige innholdet/undervisningen",
    "Treffpunkt med BHT",
    "Treffe kolleger i samme situasjon",
    "Oppgaven mellom samlingene",
    "Ingen av de overstående punkter",
]

# One dict per paper form, in the order the items appear.
FORMS = [
    {
        "role": "Verneombud",
        "s1": "5",
        "s2": "6",
        "total": "8",
        "higher": "Mulig mer konkret gjennomgang og alle deler sine erfaringer punkt for punkt.",
        "rank": {REASONS[0]: 1, REASONS[1]: 2, REASONS[2]: 3},
        "improved": "Nei",
        "improved_comment": "Hadde kommet i gang ved hjelp av BHT fra før.",
        "industries": "Ja",
        "recommend": "Ja",
        "recommend_comment": "Dele erfaringer med andre gir mye tilbake.",
    },
    {
        "role": "Annet",
        "s1": "5",
        "s2": "7",
        "total": "8",
        "higher": "Samling 2: det ble for mye “prat”, deltakerne snakket seg bort.",
        "rank": {REASONS[0]: 1, REASONS[4]: 2, REASONS[3]: 3},
        "improved": "Ja",
        "improved_comment": "Fått laget en handlingsplan for 2015.",
        "industries": "Nei",
        "recommend": "Ja",
    },
    {
        "role": "Verneombud",
        "s1": "8",
        "s2": "7",
        "total": "8",
        "higher": "Mere samtale rundt hvordan få HMS arbeidet til å fungere og bli brukt av ansatte.",
        "rank": {REASONS[1]: 1, REASONS[0]: 2, REASONS[4]: 3},
        "improved": "Ja",
        "improved_comment": "Har fått i gang HMS-arbeidet",
        "industries": "Vet ikke",
        "recommend": "Ja",
    },
    {
        "role": "Leder",
        "s1": "8",
        "s2": "7",
        "total": "8",
        "higher": "",
        "rank": {REASONS[0]: 1, REASONS[1]: 2, REASONS[2]: 3},
        "improved": "Ja",
        "improved_comment": "",
        "industries": "Ja",
        "recommend": "Ja",
        "recommend_comment": "Utveksling av erfaringer/utfordringer gjør det lettere å løse evt. problemer.",
    },
    {
        "role": "Annet",
        "s1": "8",
        "s2": "7.5",
        "total": "8",
        "higher": "Ingen kommentarer - bra innhold og artig å høre andres HMS-erfaring.",
        "rank": {REASONS[0]: 1, REASONS[2]: 2, REASONS[1]: 3},
        "improved": "Ja",
        "improved_comment": "Det løfter fokus på arbeidet og gir inspirasjon.",
        "industries": "Ja",
        "recommend": "Ja",
    },
    {
        "role": "Annet",
        "s1": "8",
        "s2": "8",
        "total": "9",
        "higher": "",
        "rank": {REASONS[3]: 1, REASONS[0]: 2, REASONS[4]: 3},
        "note": "Krysset av tre punkter som nr. 1; registrert i rekkefølgen på skjemaet.",
        "improved": "Ja",
        "improved_comment": "",
        "industries": "Ja",
        "recommend": "Ja",
    },
    {
        "role": "Verneombud",
        "s1": "9",
        "s2": "8",
        "total": "9",
        "higher": "",
        "rank": {},
        "improved": "Ja",
        "improved_comment": "Øker fokus.",
        "industries": "Ja",
        "recommend": "Ja",
        "recommend_comment": "Nyttig med utveksling av erfaring og tips fra andre bedrifter, BHT og NAV.",
    },
    {
        "role": "Annet",
        "s1": "9",
        "s2": "8",
        "total": "",
        "higher": "",
        "rank": {},
        "improved": "Ja",
        "improved_comment": "",
        "industries": "Ja",
        "recommend": "Ja",
    },
]


def build_questionnaire(study: Study, *, session=None) -> SimpleNamespace:
    """The evaluation form (no responses yet); returns the questionnaire, version and items by key."""
    actor = study.created_by
    questionnaire = questionnaire_create(
        study=study,
        actor=actor,
        title="Skriftlig evaluering, kundeverksted samling 2",
        anonymous=True,
        session=session,
        participants_count=8,
    )
    version = questionnaire.versions.get()
    about = questionnaire_section_add(version=version, actor=actor, title="Om deg")
    usefulness = questionnaire_section_add(version=version, actor=actor, title="Nytte")
    method = questionnaire_section_add(version=version, actor=actor, title="Arbeidsmetoden")

    def scale(section, text):
        return questionnaire_item_add(
            section=section,
            actor=actor,
            text=text,
            kind=Kind.SCALE,
            scale_max=10,
            scale_min_label="dårligst",
            scale_max_label="best",
            allow_half_points=True,
        )

    items = SimpleNamespace(
        role=questionnaire_item_add(
            section=about,
            actor=actor,
            text="Din rolle i bedriften (sett kryss)",
            kind=Kind.SINGLE_CHOICE,
            options=ROLE,
            required=True,
        ),
        s1=scale(usefulness, "Hvor nyttig opplever du at samling nr. 1 var for deg i HMS-arbeidet?"),
        s2=scale(usefulness, "Hvor nyttig opplever du at samling nr. 2 var for deg i HMS-arbeidet?"),
        total=scale(usefulness, "Hvor nyttig opplever du at samlingene totalt har vært for deg?"),
        higher=questionnaire_item_add(
            section=usefulness,
            actor=actor,
            kind=Kind.FREE_TEXT,
            text="Hva skal til for at du skal score høyere på de foregående spørsmål enn du har gjort?",
        ),
        rank=questionnaire_item_add(
            section=usefulness,
            actor=actor,
            kind=Kind.RANK,
            rank_count=3,
            options=REASONS,
            text="Dersom du opplevde samlingene som nyttige (fra 5 til 10), ranger de tre viktigste årsakene "
            "(fra 1 til 3, hvor 1 er viktigst)",
        ),
        improved=questionnaire_item_add(
            section=method,
            actor=actor,
            kind=Kind.SINGLE_CHOICE,
            options=YES_NO_DONT_KNOW,
            text="Har samlingene ført til forbedring i det systematiske arbeidet med HMS i din bedrift?",
            follow_up_prompt="Kommentar",
            follow_up_on=["Ja", "Nei"],
        ),
        industries=questionnaire_item_add(
            section=method,
            actor=actor,
            kind=Kind.SINGLE_CHOICE,
            options=YES_NO_DONT_KNOW,
            text="Synes du det er en fordel at bedriftene er fra forskjellige bransjer?",
        ),
        recommend=questionnaire_item_add(
            section=method,
            actor=actor,
            kind=Kind.SINGLE_CHOICE,
            options=YES_NO_PARTLY,
            text="Er slike samlinger en arbeidsmetode du ville anbefalt andre bedrifter/kolleger?",
            follow_up_prompt="Kommentar",
        ),
    )
    return SimpleNamespace(questionnaire=questionnaire, version=version, items=items)


def answers_for(items: SimpleNamespace, form: dict) -> dict[int, AnswerInput]:
    """One paper form as the entry service takes it."""

    def option(item, text):
        return [next(o.pk for o in item.options.all() if o.text == text)] if text else []

    return {
        items.role.pk: AnswerInput(chosen=option(items.role, form["role"])),
        items.s1.pk: AnswerInput(value=form["s1"]),
        items.s2.pk: AnswerInput(value=form["s2"]),
        items.total.pk: AnswerInput(value=form["total"]),
        items.higher.pk: AnswerInput(text=form["higher"]),
        items.rank.pk: AnswerInput(
            ranks={next(o.pk for o in items.rank.options.all() if o.text == t): str(r) for t, r in form["rank"].items()}
        ),
        items.improved.pk: AnswerInput(
            chosen=option(items.improved, form["improved"]), comment=form.get("improved_comment", "")
        ),
        items.industries.pk: AnswerInput(chosen=option(items.industries, form["industries"])),
        items.recommend.pk: AnswerInput(
            chosen=option(items.recommend, form["recommend"]), comment=form.get("recommend_comment", "")
        ),
    }


def build(study: Study, *, session=None) -> SimpleNamespace:
    """The questionnaire with all eight forms entered."""
    world = build_questionnaire(study, session=session)
    for form in FORMS:
        questionnaire_response_create(
            version=world.version,
            actor=study.created_by,
            answers=answers_for(world.items, form),
            data_quality_note=form.get("note", ""),
        )
    return world


__all__ = ["FORMS", "REASONS", "answers_for", "build", "build_questionnaire"]
