"""Interview and observation guides: versions, themes → questions → prompts, RQ links, copies, permissions."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import AuditEvent, GuidePrompt, GuideQuestion, GuideTheme, Instrument, InstrumentVersion
from cases.services.instruments import (
    guide_prompt_add,
    guide_question_add,
    guide_question_update,
    guide_theme_add,
    instrument_create,
)
from tests.factories import ResearchQuestionFactory, StudyFactory

pytestmark = pytest.mark.django_db


def build_guide(study, actor, *, themes: int = 1, questions: int = 1, prompts: int = 1, rq=None) -> InstrumentVersion:
    instrument = instrument_create(study=study, actor=actor, title="Intervjuguide", first_version_label="full")
    version = instrument.versions.get()
    for t in range(themes):
        theme = guide_theme_add(version=version, actor=actor, title=f"Tema {t + 1}")
        for q in range(questions):
            question = guide_question_add(
                theme=theme,
                actor=actor,
                label=f"Q{t * questions + q + 1}",
                text=f"Spørsmål {t}.{q}",
                research_question=rq,
            )
            for p in range(prompts):
                guide_prompt_add(question=question, actor=actor, text=f"Oppfølging {p}")
    return version


def version_url(study, version) -> str:
    return reverse("instrument_version", args=[study.pk, version.pk])


def test_create_guide_with_first_version(researcher_client, study):
    response = researcher_client.post(
        reverse("instrument_create", args=[study.pk]),
        {
            "title": "Intervjuguide arbeidsgiver",
            "kind": Instrument.Kind.INTERVIEW_GUIDE,
            "description": "",
            "first_version_label": "full",
        },
    )
    instrument = Instrument.objects.get(study=study)
    version = instrument.versions.get()
    assert version.label == "full"
    assert version.audience == InstrumentVersion.Audience.RESEARCHER
    assert response.status_code == 302 and response["Location"] == version_url(study, version)
    assert AuditEvent.objects.filter(study=study, action="instrument.created").count() == 1

    listing = researcher_client.get(reverse("instrument_list", args=[study.pk]))
    assert "Intervjuguide arbeidsgiver" in listing.content.decode()
    assert "Full version for the researcher" in listing.content.decode()


def test_empty_list_says_what_to_do(researcher_client, supervisor_client, study):
    assert (
        "Create your interview guide"
        in researcher_client.get(reverse("instrument_list", args=[study.pk])).content.decode()
    )
    page = supervisor_client.get(reverse("instrument_list", args=[study.pk])).content.decode()
    assert "Create your interview guide" not in page
    assert "not written a guide yet" in page


def test_themes_questions_prompts_and_rq_badge_through_the_views(researcher_client, researcher, study):
    rq = ResearchQuestionFactory(study=study, label="RQ2", colour="#aa3366")
    version = instrument_create(study=study, actor=researcher, title="Guide").versions.get()

    researcher_client.post(reverse("guide_theme_add", args=[study.pk, version.pk]), {"title": "Innovasjon i praksis"})
    theme = GuideTheme.objects.get(version=version)
    researcher_client.post(
        reverse("guide_question_add", args=[study.pk, theme.pk]),
        {"label": "Q3", "text": "Hva betyr innovasjon for deg?", "research_question": rq.pk},
    )
    question = GuideQuestion.objects.get(theme=theme)
    assert question.research_question == rq
    researcher_client.post(
        reverse("guide_prompt_add", args=[study.pk, question.pk]), {"text": "Kan du gi et eksempel?"}
    )
    assert GuidePrompt.objects.get(question=question).text == "Kan du gi et eksempel?"

    page = researcher_client.get(version_url(study, version)).content.decode()
    page = re.sub(r'csrfmiddlewaretoken" value="[^"]+"', "", page[page.index('id="main"') :])  # a token may hold "Q3"
    assert (
        page.index("Innovasjon i praksis")
        < page.index("Q3")
        < page.index("Hva betyr innovasjon for deg?")
        < page.index("Kan du gi et eksempel?")
    )
    assert '<span class="rq-swatch" data-colour="#aa3366"></span> RQ2' in page
    assert AuditEvent.objects.filter(study=study, action__startswith="guide.").count() == 3


def test_empty_theme_title_writes_nothing_and_says_why(researcher_client, researcher, study):
    version = instrument_create(study=study, actor=researcher, title="Guide").versions.get()
    response = researcher_client.post(
        reverse("guide_theme_add", args=[study.pk, version.pk]), {"title": ""}, follow=True
    )
    assert not GuideTheme.objects.exists()
    assert "Nothing was saved" in response.content.decode()


def test_research_question_of_another_study_cannot_be_linked(researcher_client, researcher, study):
    foreign_rq = ResearchQuestionFactory(study=StudyFactory())
    version = build_guide(study, researcher, prompts=0)
    theme = version.themes.get()
    question = theme.questions.get()

    response = researcher_client.post(
        reverse("guide_question_add", args=[study.pk, theme.pk]),
        {"label": "Q9", "text": "Lurespørsmål", "research_question": foreign_rq.pk},
        follow=True,
    )
    assert "Nothing was saved" in response.content.decode()
    assert theme.questions.count() == 1

    response = researcher_client.post(
        reverse("guide_question_edit", args=[study.pk, question.pk]),
        {"label": "Q1", "text": "Endret", "research_question": foreign_rq.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    question.refresh_from_db()
    assert question.research_question is None and question.text != "Endret"

    with pytest.raises(ValidationError):
        guide_question_add(theme=theme, actor=researcher, text="Via tjenesten", research_question=foreign_rq)
    with pytest.raises(ValidationError):
        guide_question_update(question=question, actor=researcher, data={"research_question": foreign_rq})
    question.refresh_from_db()
    assert question.research_question is None


def test_copy_makes_a_deep_copy_for_informants(researcher_client, researcher, study):
    rq = ResearchQuestionFactory(study=study)
    source = build_guide(study, researcher, themes=2, questions=2, prompts=2, rq=rq)
    response = researcher_client.post(
        reverse("instrument_version_copy", args=[study.pk, source.pk]),
        {"label": "kort", "audience": InstrumentVersion.Audience.INFORMANTS},
    )
    copy = InstrumentVersion.objects.get(instrument=source.instrument, label="kort")
    assert response["Location"] == version_url(study, copy)
    assert copy.audience == InstrumentVersion.Audience.INFORMANTS

    def shape(version):
        return [
            (
                t.title,
                [
                    (q.label, q.text, q.research_question_id, [p.text for p in q.prompts.all()])
                    for q in t.questions.all()
                ],
            )
            for t in version.themes.all()
        ]

    assert shape(copy) == shape(source)
    assert not set(GuideTheme.objects.filter(version=copy).values_list("pk", flat=True)) & set(
        GuideTheme.objects.filter(version=source).values_list("pk", flat=True)
    )
    GuidePrompt.objects.filter(question__theme__version=copy).delete()
    assert GuidePrompt.objects.filter(question__theme__version=source).count() == 8
    assert AuditEvent.objects.filter(study=study, action="instrument.version_copied").count() == 1
    page = researcher_client.get(version_url(study, copy)).content.decode()
    assert "Short version sent to informants" in page


def test_copy_with_a_taken_label_writes_nothing(researcher_client, researcher, study):
    source = build_guide(study, researcher)
    response = researcher_client.post(
        reverse("instrument_version_copy", args=[study.pk, source.pk]),
        {"label": "full", "audience": InstrumentVersion.Audience.INFORMANTS},
        follow=True,
    )
    assert InstrumentVersion.objects.count() == 1
    assert GuideTheme.objects.count() == 1
    assert "Nothing was saved" in response.content.decode()


def test_edit_delete_and_move(researcher_client, researcher, study):
    version = build_guide(study, researcher, themes=2, questions=2, prompts=2)
    first, second = version.themes.all()
    researcher_client.post(reverse("guide_theme_move", args=[study.pk, first.pk]), {"direction": "down"})
    assert list(version.themes.values_list("title", flat=True)) == ["Tema 2", "Tema 1"]
    researcher_client.post(reverse("guide_theme_move", args=[study.pk, first.pk]), {"direction": "down"})
    assert list(version.themes.values_list("title", flat=True)) == ["Tema 2", "Tema 1"]  # already last: no change

    q1, q2 = first.questions.all()
    researcher_client.post(reverse("guide_question_move", args=[study.pk, q2.pk]), {"direction": "up"})
    assert list(first.questions.values_list("pk", flat=True)) == [q2.pk, q1.pk]
    p1, p2 = q1.prompts.all()
    researcher_client.post(reverse("guide_prompt_move", args=[study.pk, p2.pk]), {"direction": "up"})
    assert list(q1.prompts.values_list("pk", flat=True)) == [p2.pk, p1.pk]

    researcher_client.post(reverse("guide_theme_edit", args=[study.pk, second.pk]), {"title": "Ledelse"})
    second.refresh_from_db()
    assert second.title == "Ledelse"
    event = AuditEvent.objects.get(action="guide.theme_updated")
    assert event.data["fields"] == ["title"]
    researcher_client.post(reverse("guide_question_edit", args=[study.pk, q1.pk]), {"label": "Q7", "text": "Ny tekst"})
    q1.refresh_from_db()
    assert (q1.label, q1.text) == ("Q7", "Ny tekst")
    researcher_client.post(reverse("guide_prompt_edit", args=[study.pk, p1.pk]), {"text": "Hvorfor?"})
    p1.refresh_from_db()
    assert p1.text == "Hvorfor?"

    researcher_client.post(reverse("guide_prompt_delete", args=[study.pk, p1.pk]))
    assert not GuidePrompt.objects.filter(pk=p1.pk).exists()
    researcher_client.post(reverse("guide_question_delete", args=[study.pk, q2.pk]))
    assert not GuidePrompt.objects.filter(question_id=q2.pk).exists()
    researcher_client.post(reverse("guide_theme_delete", args=[study.pk, second.pk]))
    assert list(version.themes.values_list("title", flat=True)) == ["Tema 1"]
    for action in (
        "guide.theme_moved",
        "guide.question_moved",
        "guide.prompt_moved",
        "guide.prompt_deleted",
        "guide.question_deleted",
        "guide.theme_deleted",
    ):
        assert AuditEvent.objects.filter(study=study, action=action).count() == 1, action


def test_observation_guide_uses_items(researcher_client, researcher, study):
    instrument = instrument_create(
        study=study, actor=researcher, title="Observasjonsguide", kind=Instrument.Kind.OBSERVATION_GUIDE
    )
    theme = guide_theme_add(version=instrument.versions.get(), actor=researcher, title="Møtestruktur")
    guide_question_add(theme=theme, actor=researcher, text="Hvem tar ordet først?")
    page = researcher_client.get(version_url(study, instrument.versions.get())).content.decode()
    assert "Add an item" in page and "Hvem tar ordet først?" in page
    assert "Add a question" not in page


def edit_urls(study, version) -> list[str]:
    theme = version.themes.get()
    question = theme.questions.get()
    prompt = question.prompts.get()
    return [
        reverse("instrument_create", args=[study.pk]),
        reverse("instrument_edit", args=[study.pk, version.instrument_id]),
        reverse("instrument_version_copy", args=[study.pk, version.pk]),
        reverse("guide_theme_add", args=[study.pk, version.pk]),
        *(reverse(f"guide_theme_{a}", args=[study.pk, theme.pk]) for a in ("edit", "delete", "move")),
        reverse("guide_question_add", args=[study.pk, theme.pk]),
        *(reverse(f"guide_question_{a}", args=[study.pk, question.pk]) for a in ("edit", "delete", "move")),
        reverse("guide_prompt_add", args=[study.pk, question.pk]),
        *(reverse(f"guide_prompt_{a}", args=[study.pk, prompt.pk]) for a in ("edit", "delete", "move")),
    ]


def counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Instrument, InstrumentVersion, GuideTheme, GuideQuestion, GuidePrompt, AuditEvent)
    )


def test_supervisor_reads_but_gets_403_on_every_edit_and_nothing_changes(supervisor_client, researcher, study):
    version = build_guide(study, researcher)
    before = counts()
    payload = {
        "title": "X",
        "text": "X",
        "label": "X",
        "audience": "informants",
        "direction": "up",
        "kind": "interview_guide",
        "first_version_label": "v9",
    }
    for url in edit_urls(study, version):
        assert supervisor_client.get(url).status_code == 403, url
        assert supervisor_client.post(url, payload).status_code == 403, url
    assert counts() == before
    page = supervisor_client.get(version_url(study, version))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Spørsmål 0.0" in html
    assert reverse("guide_theme_add", args=[study.pk, version.pk]) not in html
    assert "Copy to a new version" not in html


def test_outsider_gets_404_on_every_url(outsider_client, researcher, study):
    version = build_guide(study, researcher)
    before = counts()
    urls = [reverse("instrument_list", args=[study.pk]), version_url(study, version), *edit_urls(study, version)]
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, {"title": "X", "text": "X"}).status_code == 404, url
    assert counts() == before


def test_objects_of_another_study_are_404_under_ones_own_study(outsider, outsider_client, researcher, study):
    version = build_guide(study, researcher)
    own = outsider.memberships.get().study
    for url in edit_urls(own, version)[1:]:  # instrument_create has no object
        # edit_urls built the ids from ``version`` (study A) but the study id of the outsider's own study
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, {"title": "X", "text": "X"}).status_code == 404, url
    assert outsider_client.get(version_url(own, version)).status_code == 404


@pytest.mark.parametrize("size", [1, 4])
def test_version_page_query_count_does_not_grow(researcher_client, researcher, study, django_assert_num_queries, size):
    rq = ResearchQuestionFactory(study=study)
    version = build_guide(study, researcher, themes=size, questions=size, prompts=size, rq=rq)
    # session, user with membership and study, version, themes, questions+RQ, prompts, study's RQs, sibling versions
    with django_assert_num_queries(8):
        response = researcher_client.get(version_url(study, version))
    assert response.status_code == 200
    assert response.content.decode().count("data-question=") == size * size


@pytest.mark.parametrize("size", [1, 4])
def test_list_query_count_does_not_grow(researcher_client, researcher, study, django_assert_num_queries, size):
    for n in range(size):
        instrument = instrument_create(study=study, actor=researcher, title=f"Guide {n}")
        guide_theme_add(version=instrument.versions.get(), actor=researcher, title="Tema")
    # session, user with membership and study, instruments, versions with their counts
    with django_assert_num_queries(4):
        response = researcher_client.get(reverse("instrument_list", args=[study.pk]))
    assert response.content.decode().count("data-instrument=") == size
