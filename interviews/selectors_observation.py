"""Reads for observed meetings: the checklist counted across meetings, the side-by-side field notes.

``checklist_counts`` returns plain data (no querysets, no model instances) so the
chapter-4 composer can turn a row into "in all meetings but one" later.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import GuideQuestion, Instrument, Study
from interviews.models import ChecklistTick, FieldNoteDisagreement, Session, Source


@dataclass(frozen=True)
class PointCount:
    """One guide point over the meetings that used its guide."""

    question_id: int
    theme: str
    label: str
    text: str
    research_question: str
    meetings: int
    yes: int
    no: int
    not_applicable: int
    not_recorded: int
    phrase: str
    no_in: tuple[str, ...] = ()  # codes of the meetings answered "no", in date order: the exceptions

    @property
    def observed_in(self) -> int:
        """Meetings where the point could be judged: answered yes or no."""
        return self.yes + self.no


@dataclass
class GuideCounts:
    version_id: int
    title: str
    meetings: int
    points: list[PointCount] = field(default_factory=list)


def meetings_phrase(yes: int, judged: int) -> str:
    """How many of the judged meetings showed the point, in the words a findings chapter uses."""
    if judged == 0:
        return _("not recorded")
    if yes == judged:
        if judged <= 2:
            return _("in the only meeting") if judged == 1 else _("in both meetings")
        return _("in all %(n)d meetings") % {"n": judged}
    if yes == 0:
        return _("in no meeting")
    if yes == judged - 1 and judged >= 3:
        return _("in all meetings but one")
    return ngettext("in %(yes)d of %(n)d meeting", "in %(yes)d of %(n)d meetings", judged) % {"yes": yes, "n": judged}


def observation_meetings(study: Study) -> list[Session]:
    """The study's held observation sessions that used an observation guide, in date order."""
    return list(
        Session.objects.filter(
            study=study,
            kind=Session.Kind.OBSERVATION,
            status=Session.Status.HELD,
            guide_version__instrument__kind=Instrument.Kind.OBSERVATION_GUIDE,
        )
        .select_related("guide_version__instrument")
        .order_by("date", "code")
    )


def checklist_counts(study: Study, *, language: str | None = None) -> list[GuideCounts]:
    """Per observation guide version, each point's yes / no / not applicable counts over the held meetings.

    Three queries however many meetings and points there are. ``phrase`` is in the
    active language, or in ``language`` when given (a chapter passes the study's).
    """
    if language is not None:
        with translation.override(language):
            return checklist_counts(study)
    meetings = observation_meetings(study)
    meetings_per_version = Counter(meeting.guide_version_id for meeting in meetings)
    if not meetings:
        return []
    codes = {meeting.pk: meeting.code for meeting in meetings}
    order = {meeting.pk: index for index, meeting in enumerate(meetings)}
    ticks = list(
        ChecklistTick.objects.filter(session__in=list(codes)).values_list("question_id", "answer", "session_id")
    )
    answers: Counter[tuple[int, str]] = Counter((question_id, answer) for question_id, answer, _session in ticks)
    no_in: dict[int, list[int]] = {}
    for question_id, answer, session_id in ticks:
        if answer == ChecklistTick.Answer.NO:
            no_in.setdefault(question_id, []).append(session_id)
    questions = (
        GuideQuestion.objects.filter(theme__version_id__in=meetings_per_version.keys())
        .select_related("theme__version__instrument", "research_question")
        .order_by("theme__version_id", "theme__position", "theme_id", "position", "id")
    )
    guides: dict[int, GuideCounts] = {}
    for question in questions:
        version = question.theme.version
        guide = guides.setdefault(
            version.pk,
            GuideCounts(
                version_id=version.pk,
                title=f"{version.instrument.title} ({version.label})",
                meetings=meetings_per_version[version.pk],
            ),
        )
        yes = answers[(question.pk, ChecklistTick.Answer.YES)]
        no = answers[(question.pk, ChecklistTick.Answer.NO)]
        not_applicable = answers[(question.pk, ChecklistTick.Answer.NOT_APPLICABLE)]
        guide.points.append(
            PointCount(
                question_id=question.pk,
                theme=question.theme.title,
                label=question.label,
                text=question.text,
                research_question=question.research_question.label if question.research_question else "",
                meetings=guide.meetings,
                yes=yes,
                no=no,
                not_applicable=not_applicable,
                not_recorded=guide.meetings - yes - no - not_applicable,
                phrase=meetings_phrase(yes, yes + no),
                no_in=tuple(codes[pk] for pk in sorted(no_in.get(question.pk, []), key=order.__getitem__)),
            )
        )
    return list(guides.values())


@dataclass
class SideBySide:
    observer_notes: list[Source]
    reconciled: list[Source]
    disagreements: list[FieldNoteDisagreement]


def field_notes_side_by_side(session: Session) -> SideBySide:
    """The meeting's current field notes per observer, its reconciled versions and the recorded disagreements."""
    sources = list(
        Source.objects.filter(
            session=session,
            is_current=True,
            kind__in=[Source.Kind.FIELD_NOTES, Source.Kind.RECONCILED_NOTES],
        )
        .select_related("observer")
        .order_by("kind", "observer_id", "id")
    )
    return SideBySide(
        observer_notes=[source for source in sources if source.kind == Source.Kind.FIELD_NOTES],
        reconciled=[source for source in sources if source.kind == Source.Kind.RECONCILED_NOTES],
        disagreements=list(
            FieldNoteDisagreement.objects.filter(session=session).select_related(
                "first_source__observer", "second_source__observer"
            )
        ),
    )
