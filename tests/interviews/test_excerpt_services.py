"""The offsets contract, speakers derived from turns, codes and undo."""

import pytest
from django.core.exceptions import ValidationError

from cases.models import AuditEvent
from interviews.models import Code, Coding, CodingAction, Excerpt, Source, SpeakerLabel, SpeakerTurn
from interviews.services import excerpts as services
from interviews.services.codebook import code_create
from tests.factories import InformantFactory, StudyFactory

pytestmark = pytest.mark.django_db

TEXT = "Moderator: Hva er innovasjon?\nAG1: Å fornye organisasjonen.\nTV1: Det er å gjøre ting bedre – med de folkene du har.\n"


@pytest.fixture
def source(study, researcher):
    source = Source.objects.create(study=study, title="S01", text=TEXT, length=len(TEXT), created_by=researcher)
    ag1 = InformantFactory(study=study, code="AG1")
    tv1 = InformantFactory(study=study, code="TV1")
    labels = {
        "Moderator": SpeakerLabel.objects.create(source=source, label="Moderator", role=SpeakerLabel.Role.MODERATOR),
        "AG1": SpeakerLabel.objects.create(source=source, label="AG1", role=SpeakerLabel.Role.INFORMANT, informant=ag1),
        "TV1": SpeakerLabel.objects.create(source=source, label="TV1", role=SpeakerLabel.Role.INFORMANT, informant=tv1),
    }
    starts = [TEXT.index("Moderator:"), TEXT.index("AG1:"), TEXT.index("TV1:"), len(TEXT)]
    for label, start, end in zip(["Moderator", "AG1", "TV1"], starts, starts[1:], strict=False):
        SpeakerTurn.objects.create(
            source=source, speaker=labels[label], start=start, end=end, label_end=start + len(label) + 2
        )
    source.informants = {"AG1": ag1, "TV1": tv1}
    return source


@pytest.fixture
def code(study, researcher):
    return code_create(study=study, actor=researcher, name="Innovasjonsforståelse")


def span(text: str) -> tuple[int, int, str]:
    start = TEXT.index(text)
    return start, start + len(text), text


def test_excerpt_stores_offsets_text_and_derived_speaker(source, code, researcher):
    start, end, text = span("Å fornye organisasjonen.")
    excerpt = services.excerpt_create(
        source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk]
    )
    assert (excerpt.start, excerpt.end, excerpt.text) == (start, end, text)
    assert TEXT[excerpt.start : excerpt.end] == excerpt.text
    assert [i.code for i in excerpt.speakers.all()] == ["AG1"]
    assert not excerpt.has_unknown_speaker
    assert AuditEvent.objects.filter(action="excerpt.created", target_id=excerpt.pk).exists()


def test_a_new_excerpt_is_written_with_its_history_codings_speakers_undo_and_audit(source, code, researcher, study):
    other = code_create(study=study, actor=researcher, name="Ledelse")
    start, end, text = span("organisasjonen.\nTV1: Det er")
    excerpt = services.excerpt_create(
        source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk, other.pk]
    )
    stored = Excerpt.objects.get(pk=excerpt.pk)
    (history,) = stored.history.all()
    assert (history.history_type, history.history_user, history.id) == ("+", researcher, excerpt.pk)
    assert (history.start, history.end, history.source_id, history.created_by_id) == (
        start,
        end,
        source.pk,
        researcher.pk,
    )
    assert (history.created_at, history.updated_at) == (stored.created_at, stored.updated_at)
    assert set(Coding.objects.filter(excerpt=stored).values_list("code_id", "created_by_id")) == {
        (code.pk, researcher.pk),
        (other.pk, researcher.pk),
    }
    assert [i.code for i in stored.speakers.order_by("code")] == ["AG1", "TV1"]
    (action,) = CodingAction.objects.filter(excerpt_id=excerpt.pk)
    assert (action.kind, action.actor, action.source_id) == (CodingAction.Kind.EXCERPT_CREATED, researcher, source.pk)
    (event,) = AuditEvent.objects.filter(target_type="interviews.excerpt", target_id=excerpt.pk)
    assert (event.action, event.actor, event.study_id, event.target_type) == (
        "excerpt.created",
        researcher,
        study.pk,
        "interviews.excerpt",
    )
    assert (event.target_label, event.data) == (
        f"{source.pk}:{start}-{end}",
        {"source": source.pk, "codes": [code.pk, other.pk]},
    )
    services.coding_undo(source=source, actor=researcher)
    assert not Excerpt.objects.filter(pk=excerpt.pk).exists()


def test_excerpt_across_two_turns_has_both_speakers(source, code, researcher):
    start, end, text = span("organisasjonen.\nTV1: Det er")
    excerpt = services.excerpt_create(
        source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk]
    )
    assert sorted(i.code for i in excerpt.speakers.all()) == ["AG1", "TV1"]


def test_moderator_speech_has_no_informant(source, code, researcher):
    start, end, text = span("Hva er innovasjon?")
    excerpt = services.excerpt_create(
        source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk]
    )
    assert excerpt.speakers.count() == 0 and not excerpt.has_unknown_speaker


@pytest.mark.parametrize(
    "start,end,text",
    [(-1, 5, TEXT[0:5]), (0, len(TEXT) + 1, TEXT), (5, 5, ""), (7, 3, ""), (0, 9, "Moderatxr")],
)
def test_forged_offsets_or_text_are_refused_and_nothing_is_written(source, code, researcher, start, end, text):
    with pytest.raises(ValidationError):
        services.excerpt_create(source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk])
    assert not Excerpt.objects.exists()


def test_a_code_of_another_study_is_refused(source, researcher):
    other = code_create(study=StudyFactory(), actor=researcher, name="Fremmed")
    start, end, text = span("Hva er innovasjon?")
    with pytest.raises(ValidationError):
        services.excerpt_create(source=source, actor=researcher, start=start, end=end, text=text, code_ids=[other.pk])
    assert not Excerpt.objects.exists()


def test_old_version_cannot_be_coded(source, code, researcher):
    Source.objects.filter(pk=source.pk).update(is_current=False)
    source.refresh_from_db()
    start, end, text = span("Hva er innovasjon?")
    with pytest.raises(ValidationError):
        services.excerpt_create(source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk])


def test_undo_walks_back_each_action(source, code, researcher, study):
    second = code_create(study=study, actor=researcher, name="Forbedring")
    start, end, text = span("Å fornye organisasjonen.")
    excerpt = services.excerpt_create(
        source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk]
    )
    services.excerpt_code_add(excerpt=excerpt, actor=researcher, code=second)
    new_start, new_end, new_text = span("fornye organisasjonen")
    services.excerpt_adjust(excerpt=excerpt, actor=researcher, start=new_start, end=new_end, text=new_text)
    assert services.excerpt_code_remove(excerpt=excerpt, actor=researcher, code=code) is False  # one code left

    services.coding_undo(source=source, actor=researcher)  # the removal
    assert set(excerpt.codings.values_list("code_id", flat=True)) == {code.pk, second.pk}
    services.coding_undo(source=source, actor=researcher)  # the adjustment
    excerpt.refresh_from_db()
    assert (excerpt.start, excerpt.end, excerpt.text) == (start, end, text)
    services.coding_undo(source=source, actor=researcher)  # the second code
    assert list(excerpt.codings.values_list("code_id", flat=True)) == [code.pk]
    services.coding_undo(source=source, actor=researcher)  # the excerpt itself
    assert not Excerpt.objects.exists()
    assert services.coding_undo(source=source, actor=researcher) is None


def test_removing_the_last_code_deletes_the_excerpt_and_undo_restores_it(source, code, researcher):
    start, end, text = span("Det er å gjøre ting bedre")
    excerpt = services.excerpt_create(
        source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk]
    )
    Excerpt.objects.filter(pk=excerpt.pk).update(memo="Viktig", is_deviant=True)
    excerpt.refresh_from_db()
    assert services.excerpt_code_remove(excerpt=excerpt, actor=researcher, code=code) is True
    assert not Excerpt.objects.exists()
    services.coding_undo(source=source, actor=researcher)
    restored = Excerpt.objects.get()
    assert (restored.start, restored.end, restored.memo, restored.is_deviant) == (start, end, "Viktig", True)
    assert list(Coding.objects.values_list("code_id", flat=True)) == [code.pk]
    assert [i.code for i in restored.speakers.all()] == ["TV1"]


def test_undo_is_per_user(source, code, researcher, co_researcher):
    start, end, text = span("Hva er innovasjon?")
    services.excerpt_create(source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk])
    assert services.coding_undo(source=source, actor=co_researcher) is None
    assert Excerpt.objects.count() == 1


def test_dropped_code_cannot_be_applied(source, code, researcher):
    Code.objects.filter(pk=code.pk).update(status=Code.Status.DROPPED)
    start, end, text = span("Hva er innovasjon?")
    with pytest.raises(ValidationError):
        services.excerpt_create(source=source, actor=researcher, start=start, end=end, text=text, code_ids=[code.pk])
