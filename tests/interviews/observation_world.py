"""Study-002's participant observation as a test world: weekly meetings of a leader group, ticked against its guide.

The thesis gives the observation guide (Vedlegg 3) and two counts over the
meetings: an improvement topic was on the agenda, and the superior asked for
deviations, "in all meetings but one". The dates are not given (fieldwork
June–October 2011); the world holds weekly meetings from June 2011 and ticks
the guide so that both counts come out as in the thesis.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

from cases.models import GuideQuestion, Instrument, ResearchQuestion, Study, User
from cases.services.instruments import guide_question_add, guide_theme_add, instrument_create
from interviews.models import ChecklistTick, Session
from interviews.services.observation import TickInput, checklist_save, other_attendee_add
from tests.factories import SessionFactory

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "domain" / "study-002.json"
ASKED_FOR_DEVIATIONS = "Blir forbedringsarbeid etterspurt?"
IMPROVEMENT_TOPIC = "Temaer som blir tatt opp som handler om mellomledernes utfordringer i arbeid med KvalitetsLosen"
# Which meeting (0-based) lacked what, per the thesis's "alle bortsett fra ett møte".
MISSING_IN = {ASKED_FOR_DEVIATIONS: 3, IMPROVEMENT_TOPIC: 7}
# Not every prompt of Vedlegg 3 is a yes/no point; these are left open or not applicable.
NOT_APPLICABLE = {"Informert samtykke…."}


def study_002() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def observation_guide(study: Study, actor: User) -> SimpleNamespace:
    """Vedlegg 3 as an observation guide: each theme's prompts become the points ticked per meeting."""
    data = study_002()
    instrument = instrument_create(
        study=study, actor=actor, kind=Instrument.Kind.OBSERVATION_GUIDE, title="Observasjonsguide, ledermøte"
    )
    version = instrument.versions.get()
    questions: list[GuideQuestion] = []
    for theme_data in data["observation_guide"]:
        rq = None
        if theme_data["research_question"]:
            rq, _created = ResearchQuestion.objects.get_or_create(
                study=study, label=theme_data["research_question"], defaults={"text": theme_data["theme"]}
            )
        theme = guide_theme_add(version=version, actor=actor, title=theme_data["theme"][:300])
        for prompt in theme_data["prompts"]:
            questions.append(guide_question_add(theme=theme, actor=actor, text=prompt, research_question=rq))
    return SimpleNamespace(instrument=instrument, version=version, questions=questions)


def weekly_meetings(study: Study, version, count: int, *, first_code: int = 1) -> list[Session]:
    start = dt.date(2011, 6, 6)
    return [
        SessionFactory(
            study=study,
            code=f"OBS{first_code + index:02d}",
            title="Ledermøte pleie og omsorg",
            kind=Session.Kind.OBSERVATION,
            status=Session.Status.HELD,
            date=start + dt.timedelta(weeks=index),
            duration_minutes=120,
            guide_version=version,
        )
        for index in range(count)
    ]


def tick_like_the_thesis(session: Session, index: int, questions: list[GuideQuestion], actor: User) -> None:
    ticks = []
    for question in questions:
        if question.text in NOT_APPLICABLE:
            answer = ChecklistTick.Answer.NOT_APPLICABLE
        elif question.text in MISSING_IN:
            answer = ChecklistTick.Answer.NO if MISSING_IN[question.text] == index else ChecklistTick.Answer.YES
        else:
            answer = ChecklistTick.Answer.YES if (index + question.pk) % 2 else ChecklistTick.Answer.NO
        ticks.append(TickInput(question_id=question.pk, answer=answer))
    checklist_save(session=session, actor=actor, ticks=ticks)


def build_observation_world(study: Study, actor: User, *, meetings: int = 12) -> SimpleNamespace:
    guide = observation_guide(study, actor)
    sessions = weekly_meetings(study, guide.version, meetings)
    for index, session in enumerate(sessions):
        other_attendee_add(session=session, actor=actor, kind="other", role="Leder for kjøkken og renhold")
        other_attendee_add(session=session, actor=actor, kind="other", role="Overordnet leder for pleie og omsorg")
        other_attendee_add(session=session, actor=actor, kind="researcher", role="Fullt deltakende, naturlig medlem")
        tick_like_the_thesis(session, index, guide.questions, actor)
    by_text = {question.text: question for question in guide.questions}
    return SimpleNamespace(
        guide=guide,
        sessions=sessions,
        asked_for_deviations=by_text[ASKED_FOR_DEVIATIONS],
        improvement_topic=by_text[IMPROVEMENT_TOPIC],
    )
