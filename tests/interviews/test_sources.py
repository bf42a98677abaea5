"""Sources: import through the page, speaker labels and mapping, normalisation before coding, new versions after,
deleting, who may do what, and the list's query count."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import AuditEvent
from interviews import importers
from interviews.models import Excerpt, Memo, Source, SourceEdit, SpeakerLabel, SpeakerTurn
from interviews.selectors_sources import source_list
from interviews.services import sources as services
from interviews.services.excerpts import excerpt_create, speakers_in_range
from tests.cases.uploads import png_bytes
from tests.conftest import client_for
from tests.factories import InformantFactory, InformantGroupFactory, SessionFactory, StudyFactory, UserFactory
from tests.interviews.test_importers import docx_bytes

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
FOCUS_GROUP = (FIXTURES / "focus_group_001.txt").read_text(encoding="utf-8")

# Quotes of study-001's first focus group (tests/fixtures/domain/study-001.json, E01–E12).
E01 = "Føler æ lære mest når det dukker opp spørsmål som æ ikke kan svare på"
E02_END = "så vi lærer mye av i diskutere med hverandre."
E03_START = "Lærer også hvis jeg har gjort en feil"
MODERATOR_QUESTION = "Hva hindrer deg i å lære i arbeidshverdagen?"
E11 = "Verktøyet må være i orden – informasjon er tilgjengelig på en ryddig måte"


def create_data(**overrides) -> dict:
    data = {"title": "Fokusgruppe 1 – transkripsjon", "kind": Source.Kind.TRANSCRIPT, "encoding": "auto", "pasted": ""}
    data.update(overrides)
    return data


def make_source(study, actor, text: str, **fields) -> Source:
    return services.source_create(
        study=study, actor=actor, imported=importers.read_pasted(text), title=fields.pop("title", "Kilde"), **fields
    )


def excerpt_of(source: Source, actor, quote: str, end_quote: str | None = None) -> Excerpt:
    start = source.text.index(quote)
    end = source.text.index(end_quote) + len(end_quote) if end_quote else start + len(quote)
    return excerpt_create(source=source, actor=actor, start=start, end=end, text=source.text[start:end])


def speaker_codes(excerpt: Excerpt) -> set[str]:
    return set(excerpt.speakers.values_list("code", flat=True))


@pytest.fixture
def focus_group(study):
    """Study-001's Tromsø group: T-K1 to T-K3 registered; T-K4 not yet."""
    group = InformantGroupFactory(study=study, label="FG1 Tromsø-gruppen")
    informants = {code: InformantFactory(study=study, code=code, group=group) for code in ("T-K1", "T-K2", "T-K3")}
    session = SessionFactory(study=study, code="FG1")
    return group, informants, session


# Import ---------------------------------------------------------------------------------------------------------------


def test_focus_group_transcript_import_map_labels_and_speakers(researcher_client, researcher, study, focus_group):
    group, informants, session = focus_group
    upload = SimpleUploadedFile("fokusgruppe1.txt", FOCUS_GROUP.encode("utf-8"), content_type="text/plain")
    response = researcher_client.post(
        reverse("source_create", args=[study.pk]), create_data(session=session.pk, upload=upload)
    )
    source = Source.objects.get(study=study)
    pk = source.pk
    assert response.status_code == 302 and response["Location"] == reverse("speaker_mapping", args=[study.pk, pk])
    assert source.text == FOCUS_GROUP and source.length == len(FOCUS_GROUP)
    assert (source.imported_from, source.detected_encoding, source.original_filename, source.session) == (
        "txt", "utf-8", "fokusgruppe1.txt", session
    )  # fmt: skip

    labels = {label.label: label for label in SpeakerLabel.objects.filter(source=source)}
    assert set(labels) == {"Moderator", "T-K1", "T-K2", "T-K3", "T-K4", "Flere"}
    assert labels["Moderator"].role == SpeakerLabel.Role.MODERATOR
    for code, informant in informants.items():
        assert (labels[code].role, labels[code].informant) == (SpeakerLabel.Role.INFORMANT, informant)
    assert labels["T-K4"].role == labels["Flere"].role == SpeakerLabel.Role.UNIDENTIFIED
    event = AuditEvent.objects.get(study=study, action="source.created")
    assert (event.actor, event.target_type, event.target_id, event.target_label) == (
        researcher, "interviews.source", pk, f"source {pk}"
    )  # fmt: skip
    assert event.data == {
        "kind": "transcript", "format": "txt", "encoding": "utf-8", "length": len(FOCUS_GROUP), "session": session.pk
    }  # fmt: skip

    turns = list(SpeakerTurn.objects.filter(source=source).select_related("speaker").order_by("start"))
    label_lines = [line for line in FOCUS_GROUP.split("\n") if line.split(":")[0].split(" - ")[0] in labels]
    assert len(turns) == len(label_lines) == 18
    assert turns[0].start == FOCUS_GROUP.index("Moderator: Velkommen")  # the two heading lines belong to nobody
    assert [turn.end for turn in turns[:-1]] == [turn.start for turn in turns[1:]]
    assert turns[-1].end == len(FOCUS_GROUP)
    # "T-K1:" alone on its line: the speech (starting "Tid – ja", which is no label) is still T-K1's.
    tid = FOCUS_GROUP.index("Tid – ja det er det")
    assert next(turn for turn in turns if turn.start <= tid < turn.end).speaker.label == "T-K1"
    dash_turn = next(turn for turn in turns if FOCUS_GROUP[turn.start :].startswith("T-K2 - "))
    assert FOCUS_GROUP[dash_turn.label_end :].startswith("Det er det med tiden")

    inside = excerpt_of(source, researcher, E01)
    spanning = excerpt_of(source, researcher, E02_END, E03_START)
    moderator = excerpt_of(source, researcher, MODERATOR_QUESTION)
    unmapped = excerpt_of(source, researcher, E11)
    assert speaker_codes(inside) == {"T-K1"}
    assert speaker_codes(spanning) == {"T-K2", "T-K3"}
    assert speaker_codes(moderator) == set() and not moderator.has_unknown_speaker
    assert speaker_codes(unmapped) == set() and unmapped.has_unknown_speaker

    # The researcher registers T-K4 and maps the label on the page; Flere stays unidentified.
    t_k4 = InformantFactory(study=study, code="T-K4", group=group)
    overridden = excerpt_of(source, researcher, "Verktøyet må være i orden")
    overridden.speakers.set([informants["T-K1"]])
    Excerpt.objects.filter(pk=overridden.pk).update(speakers_overridden=True)
    page = researcher_client.get(reverse("speaker_mapping", args=[study.pk, pk]))
    assert page.status_code == 200 and "T-K4" in page.content.decode()
    post = {f"label_{label.pk}": _value_of(label) for label in labels.values()}
    post[f"label_{labels['T-K4'].pk}"] = f"informant:{t_k4.pk}"
    response = researcher_client.post(reverse("speaker_mapping", args=[study.pk, pk]), post)
    assert response.status_code == 302
    unmapped.refresh_from_db()
    assert speaker_codes(unmapped) == {"T-K4"} and not unmapped.has_unknown_speaker
    assert speaker_codes(overridden) == {"T-K1"}, "speakers set by hand are left alone"
    event = AuditEvent.objects.get(study=study, action="source.speakers_mapped")
    assert event.data["labels"] == [labels["T-K4"].pk]

    # The set-based derivation agrees with the per-excerpt rule of the excerpt services.
    for excerpt in Excerpt.objects.filter(source=source, speakers_overridden=False):
        ids, unknown = speakers_in_range(source, excerpt.start, excerpt.end)
        assert set(excerpt.speakers.values_list("pk", flat=True)) == set(ids)
        assert excerpt.has_unknown_speaker == unknown


def _value_of(label: SpeakerLabel) -> str:
    if label.role == SpeakerLabel.Role.INFORMANT:
        return f"informant:{label.informant_id}"
    return label.role


def test_mapping_a_label_to_the_moderator_or_unidentified(researcher, study, focus_group):
    _group, informants, _session = focus_group
    source = make_source(study, researcher, "T-K1: Vi lærer av hverandre.\nFlere: Ja.\nT-K2: Og av feil.\nFlere: Ja.\n")
    excerpt = excerpt_of(source, researcher, "Vi lærer av hverandre.\nFlere: Ja.")
    assert speaker_codes(excerpt) == {"T-K1"} and excerpt.has_unknown_speaker
    flere = source.speaker_labels.get(label="Flere")
    t_k1 = source.speaker_labels.get(label="T-K1")
    derived = services.speaker_mapping_save(
        source=source,
        actor=researcher,
        mappings=[
            services.LabelMapping(flere, SpeakerLabel.Role.MODERATOR),
            services.LabelMapping(t_k1, SpeakerLabel.Role.UNIDENTIFIED),
        ],
    )
    excerpt.refresh_from_db()
    assert derived == 1
    assert speaker_codes(excerpt) == set() and excerpt.has_unknown_speaker
    with pytest.raises(ValidationError):
        services.speaker_mapping_save(
            source=source, actor=researcher, mappings=[services.LabelMapping(t_k1, SpeakerLabel.Role.INFORMANT)]
        )
    foreign = InformantFactory(study=StudyFactory(), code="T-K1")
    with pytest.raises(ValidationError):
        services.speaker_mapping_save(
            source=source,
            actor=researcher,
            mappings=[services.LabelMapping(t_k1, SpeakerLabel.Role.INFORMANT, foreign)],
        )
    assert informants["T-K1"].pk != foreign.pk


def test_speaker_mapping_refuses_informants_of_another_study_in_the_form(researcher_client, researcher, study):
    source = make_source(study, researcher, "I3: Hei.\n")
    label = source.speaker_labels.get()
    foreign = InformantFactory(study=StudyFactory(), code="I3")
    response = researcher_client.post(
        reverse("speaker_mapping", args=[study.pk, source.pk]), {f"label_{label.pk}": f"informant:{foreign.pk}"}
    )
    assert response.status_code == 400
    label.refresh_from_db()
    assert label.role == SpeakerLabel.Role.UNIDENTIFIED


def test_docx_upload_with_norwegian_text(researcher_client, study):
    paragraphs = [
        "Intervju med AG1",
        "Moderator: Hvordan startet det?",
        "AG1: Det begynte i Bodø, og vi måtte være tålmodige.",
    ]
    upload = SimpleUploadedFile("intervju.docx", docx_bytes(paragraphs), content_type="application/octet-stream")
    response = researcher_client.post(reverse("source_create", args=[study.pk]), create_data(upload=upload))
    assert response.status_code == 302
    source = Source.objects.get(study=study)
    assert source.text == "\n".join(paragraphs)
    assert (source.imported_from, source.length) == ("docx", len(source.text))
    assert source.speaker_labels.count() == 2
    event = AuditEvent.objects.get(study=study, action="source.created")
    assert "Bodø" not in json.dumps(event.data) + event.target_label, "no text in the audit trail"
    assert event.data["length"] == source.length


def test_pasted_text_is_normalised_once(researcher_client, study):
    response = researcher_client.post(
        reverse("source_create", args=[study.pk]),
        create_data(kind=Source.Kind.LISTENING_NOTES, pasted="Notater\r\nFra opptaket:\rBodo\u0308 \r\n"),
    )
    assert response.status_code == 302
    source = Source.objects.get(study=study)
    assert source.text == "Notater\nFra opptaket:\nBodö \n"
    assert (source.imported_from, source.kind) == ("paste", Source.Kind.LISTENING_NOTES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"upload": ("transkripsjon.txt", png_bytes())}, "PNG image"),
        ({"upload": ("tom.txt", b"  \n\n")}, "contains no text"),
        ({"upload": ("tom.txt", b"")}, "empty"),
        ({"upload": ("stor.txt", b"a" * 2001)}, "the limit is"),
        ({"upload": ("utf8.txt", "Bodø og være".encode()), "encoding": "cp1252"}, "garbled"),
        ({"pasted": "   "}, "Upload a file or paste the text"),
        ({"upload": ("a.txt", b"Hei"), "pasted": "Hei"}, "not both"),
        ({"pasted": "Hei", "title": ""}, "This field is required"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(researcher_client, study, settings, data, message):
    settings.SOURCE_MAX_BYTES = 2000
    if "upload" in data:
        name, content = data["upload"]
        data["upload"] = SimpleUploadedFile(name, content, content_type="text/plain")
    response = researcher_client.post(reverse("source_create", args=[study.pk]), create_data(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Source.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="source.").exists()


def test_session_and_observer_are_limited_to_the_study(researcher_client, researcher, co_researcher, study):
    other_session = SessionFactory(study=StudyFactory())
    stranger = UserFactory()
    url = reverse("source_create", args=[study.pk])
    response = researcher_client.post(url, create_data(pasted="Tekst", session=other_session.pk))
    assert response.status_code == 400 and not Source.objects.exists()
    fields = create_data(pasted="Tekst", kind=Source.Kind.FIELD_NOTES, observer=stranger.pk)
    response = researcher_client.post(url, fields)
    assert response.status_code == 400 and not Source.objects.exists()
    with pytest.raises(ValidationError) as caught:
        make_source(study, researcher, "Tekst", kind=Source.Kind.TRANSCRIPT, observer=co_researcher)
    assert "observer" in caught.value.message_dict
    response = researcher_client.post(
        url, create_data(pasted="Tekst", kind=Source.Kind.FIELD_NOTES, observer=co_researcher.pk)
    )
    assert response.status_code == 302
    assert Source.objects.get().observer == co_researcher


def test_edit_changes_metadata_only(researcher_client, researcher, study):
    source = make_source(study, researcher, "Moderator: Hei.\n", title="Gammel tittel")
    session = SessionFactory(study=study, code="S02")
    response = researcher_client.post(
        reverse("source_edit", args=[study.pk, source.pk]),
        {"title": "Ny tittel", "kind": Source.Kind.TRANSCRIPT, "session": session.pk, "observer": ""},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.title, source.session, source.text) == ("Ny tittel", session, "Moderator: Hei.\n")
    assert {"session_id", "title"} <= set(AuditEvent.objects.get(action="source.updated").data["fields"])


# Normalisation before coding ------------------------------------------------------------------------------------------


def test_normalisation_is_allowed_before_coding_and_logged(researcher_client, researcher, study, focus_group):
    source = make_source(study, researcher, "I: Åssen går det?\nT-K1: Æ trur det går bra, liksom.\n")
    label = source.speaker_labels.get(label="T-K1")
    services.speaker_mapping_save(
        source=source, actor=researcher, mappings=[services.LabelMapping(label, SpeakerLabel.Role.UNIDENTIFIED)]
    )
    url = reverse("source_normalise", args=[study.pk, source.pk])
    page = researcher_client.get(url).content.decode()
    assert "Åssen går det?" in page and "No edits yet" in page

    bokmål = "I: Hvordan går det?\r\nT-K1: Jeg tror det går bra.\r\n"
    response = researcher_client.post(url, {"text": bokmål, "description": "Dialekt til bokmål; «liksom» fjernet"})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.text == "I: Hvordan går det?\nT-K1: Jeg tror det går bra.\n"
    assert source.length == len(source.text)
    edit = SourceEdit.objects.get(source=source)
    assert (edit.actor, edit.length_before, edit.length_after) == (researcher, 52, len(source.text))
    assert edit.description == "Dialekt til bokmål; «liksom» fjernet"
    # Turns are found again in the new text; the researcher's mapping of T-K1 is kept.
    turns = list(source.turns.select_related("speaker").order_by("start"))
    assert [(turn.speaker.label, turn.start) for turn in turns] == [("I", 0), ("T-K1", source.text.index("T-K1"))]
    assert source.speaker_labels.get(label="T-K1").role == SpeakerLabel.Role.UNIDENTIFIED
    event = AuditEvent.objects.get(action="source.normalised")
    assert event.data["length_before"] == 52 and "bokmål" not in json.dumps(event.data)
    assert "Dialekt til bokmål" in researcher_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "I: Hvordan går det?\n", "description": ""}, "This field is required"),
        ({"text": "I: Åssen går det?\n", "description": "Ingenting"}, "unchanged"),
        ({"text": " \n ", "description": "Tømt"}, "no text"),
    ],
)
def test_bad_normalisation_writes_nothing(researcher_client, researcher, study, fields, message):
    source = make_source(study, researcher, "I: Åssen går det?\n")
    response = researcher_client.post(reverse("source_normalise", args=[study.pk, source.pk]), fields)
    assert response.status_code == 400 and message in response.content.decode()
    source.refresh_from_db()
    assert source.text == "I: Åssen går det?\n" and not SourceEdit.objects.exists()


def test_normalisation_is_refused_once_coded(researcher_client, researcher, study):
    source = make_source(study, researcher, "I: Åssen går det?\nAG1: Det går bra.\n")
    excerpt_of(source, researcher, "Det går bra.")
    url = reverse("source_normalise", args=[study.pk, source.pk])
    page = researcher_client.get(url).content.decode()
    assert "its text is fixed" in page and reverse("source_new_version", args=[study.pk, source.pk]) in page
    assert 'name="text"' not in page
    response = researcher_client.post(url, {"text": "I: Hvordan går det?\n", "description": "Bokmål"})
    assert response.status_code == 400
    source.refresh_from_db()
    assert source.text == "I: Åssen går det?\nAG1: Det går bra.\n" and not SourceEdit.objects.exists()
    with pytest.raises(ValidationError, match="new version"):
        services.source_normalise(source=source, actor=researcher, text="Annet", description="Bokmål")


# New versions after coding --------------------------------------------------------------------------------------------


def test_new_version_moves_excerpts_and_flags_those_whose_text_is_gone(
    researcher_client, researcher, study, focus_group
):
    source = make_source(study, researcher, FOCUS_GROUP, title="FG1")
    kept = excerpt_of(source, researcher, E01)
    spanning = excerpt_of(source, researcher, E02_END, E03_START)
    changed = excerpt_of(source, researcher, "Tror mye av det som kommer på mail")
    memo = Memo.objects.create(study=study, source=source, title="Om FG1", text="Aktiv gruppe", created_by=researcher)
    corrected = ("Lydfil: fg1.m4a\n" + FOCUS_GROUP).replace(
        "Tror mye av det som kommer på mail", "Mye av det som kommer på e-post"
    )
    response = researcher_client.post(
        reverse("source_new_version", args=[study.pk, source.pk]), {"pasted": corrected, "encoding": "auto"}
    )
    assert response.status_code == 302
    old = Source.objects.get(pk=source.pk)
    new = Source.objects.get(study=study, is_current=True)
    assert (old.is_current, new.version, new.previous_version, new.text) == (False, 2, old, corrected)
    assert old.text == FOCUS_GROUP, "the coded text itself never changes"
    assert set(new.excerpts.values_list("pk", flat=True)) == {kept.pk, spanning.pk, changed.pk}
    for excerpt in (kept, spanning):
        excerpt.refresh_from_db()
        assert not excerpt.needs_reanchor
        assert new.text[excerpt.start : excerpt.end] == excerpt.text
    assert speaker_codes(kept) == {"T-K1"} and speaker_codes(spanning) == {"T-K2", "T-K3"}
    changed_before = (changed.start, changed.end, changed.text)
    changed.refresh_from_db()
    assert changed.needs_reanchor
    assert (changed.start, changed.end, changed.text) == changed_before, "kept, not shifted onto other words"
    assert new.speaker_labels.get(label="T-K1").informant.code == "T-K1"
    memo.refresh_from_db()
    assert memo.source == new
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("2 excerpts moved" in message for message in messages)
    assert any("1 excerpt's text is no longer in the source" in message for message in messages)
    event = AuditEvent.objects.get(action="source.version_created")
    assert (event.data["moved"], event.data["needs_reanchor"], event.data["previous"]) == (2, 1, old.pk)
    # The list shows the current version only; the old one can no longer be changed.
    listing = researcher_client.get(reverse("source_list", args=[study.pk])).content.decode()
    assert listing.count("data-source=") == 1 and f'data-source="{new.pk}"' in listing
    response = researcher_client.get(reverse("source_normalise", args=[study.pk, old.pk]))
    assert response.status_code == 302


def test_new_version_clamps_offsets_of_lost_excerpts_to_the_new_length(researcher, study):
    source = make_source(study, researcher, "Første linje.\nAndre linje med et sitat til slutt.\n")
    lost = excerpt_of(source, researcher, "sitat til slutt")
    result = services.source_new_version(source=source, actor=researcher, imported=importers.read_pasted("Kort."))
    lost.refresh_from_db()
    assert (result.moved, result.needs_reanchor) == (0, 1)
    assert lost.needs_reanchor and lost.text == "sitat til slutt"
    assert 0 <= lost.start < lost.end <= len("Kort.")
    with pytest.raises(ValidationError, match="newer version"):
        services.source_new_version(source=source, actor=researcher, imported=importers.read_pasted("Igjen."))


def test_new_version_from_an_uploaded_file_wins_over_the_text_box(researcher_client, researcher, study):
    source = make_source(study, researcher, "Moderator: Hei.\nAG1: Bodø er fint.\n")
    excerpt = excerpt_of(source, researcher, "Bodø er fint.")
    upload = SimpleUploadedFile("rettet.txt", "Moderator: Hei, alle.\nAG1: Bodø er fint.\n".encode("iso-8859-1"))
    response = researcher_client.post(
        reverse("source_new_version", args=[study.pk, source.pk]),
        {"pasted": source.text, "encoding": "auto", "upload": upload},
    )
    assert response.status_code == 302
    excerpt.refresh_from_db()
    assert excerpt.source.version == 2 and excerpt.source.imported_from == "txt"
    assert excerpt.source.text[excerpt.start : excerpt.end] == "Bodø er fint."


def test_identical_new_version_is_refused(researcher_client, researcher, study):
    source = make_source(study, researcher, "Moderator: Hei.\n")
    response = researcher_client.post(
        reverse("source_new_version", args=[study.pk, source.pk]), {"pasted": "Moderator: Hei.\r\n", "encoding": "auto"}
    )
    assert response.status_code == 400 and "identical" in response.content.decode()
    assert Source.objects.count() == 1


def test_relocate_prefers_the_occurrence_with_the_same_surroundings():
    old = "A: ja\nB: nei\nC: ja\n"
    new = "Innledning.\nA: ja\nB: nei\nC: ja\n"
    assert services.relocate(old, new, 15, 17, "ja") == new.rindex("ja")
    assert services.relocate(old, new, 3, 5, "ja") == new.index("ja")
    assert services.relocate(old, new, 3, 5, "kanskje") is None
    # Text removed before the excerpt: the occurrence nearest the scaled offset wins.
    assert services.relocate("x" * 100 + "sitat", "x" * 50 + "sitat", 100, 105, "sitat") == 50


# Deleting -------------------------------------------------------------------------------------------------------------


def test_delete_refused_while_coded_and_allowed_otherwise(researcher_client, researcher, study):
    coded = make_source(study, researcher, "AG1: Bodø.\n", title="Kodet")
    excerpt_of(coded, researcher, "Bodø.")
    response = researcher_client.post(reverse("source_delete", args=[study.pk, coded.pk]), follow=True)
    assert "1 coded excerpt and cannot be deleted" in response.content.decode()
    assert Source.objects.filter(pk=coded.pk).exists()

    plain = make_source(study, researcher, "AG1: Hei.\n", title="Ukodet")
    second = services.source_new_version(source=plain, actor=researcher, imported=importers.read_pasted("AG1: Hei!\n"))
    assert researcher_client.get(reverse("source_delete", args=[study.pk, second.source.pk])).status_code == 405
    response = researcher_client.post(reverse("source_delete", args=[study.pk, second.source.pk]))
    assert response.status_code == 302
    assert not Source.objects.filter(pk__in=[plain.pk, second.source.pk]).exists(), "earlier versions go too"
    assert AuditEvent.objects.get(action="source.deleted").data["versions"] == [second.source.pk, plain.pk]


# Who may do what ------------------------------------------------------------------------------------------------------

EDIT_URLS = ["source_edit", "source_normalise", "source_new_version", "speaker_mapping", "source_delete"]


def test_outsider_gets_404_everywhere(outsider_client, researcher, study):
    source = make_source(study, researcher, "I3: Hei.\n")
    urls = [reverse("source_list", args=[study.pk]), reverse("source_create", args=[study.pk])]
    urls += [reverse(name, args=[study.pk, source.pk]) for name in EDIT_URLS]
    for url in urls:
        for method in ("get", "post"):
            assert getattr(outsider_client, method)(url).status_code == 404, (url, method)


def test_a_source_of_another_study_is_404_under_ones_own_study(researcher, study):
    other_owner = UserFactory()
    other = StudyFactory(created_by=other_owner)
    source = make_source(study, researcher, "I3: Hei.\n")
    client = client_for(other_owner)
    for name in EDIT_URLS:
        assert client.post(reverse(name, args=[other.pk, source.pk])).status_code == 404, name


def test_supervisor_reads_the_list_but_cannot_change_anything(supervisor_client, researcher, study):
    source = make_source(study, researcher, "I3: Hei.\n", title="Intervju 3")
    page = supervisor_client.get(reverse("source_list", args=[study.pk]))
    content = page.content.decode()
    assert page.status_code == 200 and "Intervju 3" in content
    assert reverse("source_create", args=[study.pk]) not in content
    assert reverse("source_edit", args=[study.pk, source.pk]) not in content
    assert supervisor_client.get(reverse("source_create", args=[study.pk])).status_code == 403
    for name in EDIT_URLS:
        for method in ("get", "post"):
            response = getattr(supervisor_client, method)(reverse(name, args=[study.pk, source.pk]), {"title": "X"})
            assert response.status_code == 403, (name, method)
    source.refresh_from_db()
    assert source.title == "Intervju 3"


def test_co_researcher_may_import(co_researcher_client, study):
    response = co_researcher_client.post(reverse("source_create", args=[study.pk]), create_data(pasted="Notat"))
    assert response.status_code == 302 and Source.objects.filter(study=study).count() == 1


# The list -------------------------------------------------------------------------------------------------------------


def test_empty_list_says_what_to_do_next(researcher_client, supervisor_client, study):
    assert (
        "Import your first transcript"
        in researcher_client.get(reverse("source_list", args=[study.pk])).content.decode()
    )
    assert "has not imported any" in supervisor_client.get(reverse("source_list", args=[study.pk])).content.decode()


def test_list_columns_and_filters(researcher_client, researcher, co_researcher, study, focus_group):
    _group, _informants, session = focus_group
    transcript = make_source(study, researcher, FOCUS_GROUP, title="FG1 transkripsjon", session=session)
    excerpt_of(transcript, researcher, E01)
    make_source(
        study, researcher, "Observasjon i møterommet.", title="Feltnotater Carl", kind=Source.Kind.FIELD_NOTES,
        session=session, observer=co_researcher,
    )  # fmt: skip
    make_source(study, researcher, "Agenda for møtet.", title="Agenda", kind=Source.Kind.DOCUMENT)
    url = reverse("source_list", args=[study.pk])
    content = researcher_client.get(url).content.decode()
    assert content.count("data-source=") == 3
    assert f"/studies/{study.pk}/sources/{transcript.pk}/code/" in content
    assert "Carl Co-researcher" in content and "2 labels unidentified" in content
    assert f'<td class="text-end">{len(FOCUS_GROUP)}</td>' in content
    only_notes = researcher_client.get(url, {"kind": Source.Kind.FIELD_NOTES}).content.decode()
    assert only_notes.count("data-source=") == 1 and "Feltnotater Carl" in only_notes
    of_session = researcher_client.get(url, {"session": session.pk}).content.decode()
    assert of_session.count("data-source=") == 2 and "Agenda" not in of_session
    none = researcher_client.get(url, {"kind": Source.Kind.QUESTIONNAIRE}).content.decode()
    assert "No sources match this filter" in none


@pytest.mark.parametrize("size", [2, 10])
def test_source_list_query_count_does_not_grow(researcher_client, researcher, study, django_assert_num_queries, size):
    session = SessionFactory(study=study)
    for n in range(size):
        source = make_source(
            study, researcher, f"Moderator: Spørsmål {n}?\nI{n}: Svar {n}.\n", title=f"Kilde {n}", session=session
        )
        excerpt_of(source, researcher, f"Svar {n}.")
    # session, user with membership and study, the filter's sessions, the sources with their counts
    with django_assert_num_queries(4):
        response = researcher_client.get(reverse("source_list", args=[study.pk]))
    assert response.content.decode().count("data-source=") == size


@pytest.mark.parametrize("turns", [2, 40])
def test_importing_a_transcript_takes_the_same_queries_whatever_its_length(
    researcher_client, study, focus_group, django_assert_num_queries, turns
):
    text = "".join(f"Moderator: Spørsmål {n}?\nT-K{n % 3 + 1}: Svar {n}.\n" for n in range(turns))
    upload = SimpleUploadedFile("lang.txt", text.encode("utf-8"), content_type="text/plain")
    # session, user with membership and study; the informants; the source, its labels, turns and audit row in one
    # statement (cases.rows.insert_together), so no atomic block and no savepoint. The labels for the message are
    # counted as they are found. A new source has no turns to delete, and its study and author exist.
    with django_assert_num_queries(4):
        response = researcher_client.post(reverse("source_create", args=[study.pk]), create_data(upload=upload))
    assert response.status_code == 302
    assert SpeakerTurn.objects.filter(source__study=study).count() == 2 * turns


def test_source_list_does_not_load_the_texts(researcher, study):
    make_source(study, researcher, "Lang tekst " * 100)
    source = source_list(study).get()
    assert "text" in source.get_deferred_fields()
    assert (source.excerpt_count, source.label_count, source.unmapped_label_count) == (0, 0, 0)


def test_import_reads_the_file_once_from_memory(researcher_client, study):
    data = io.BytesIO("AG1: Bodø\n".encode("utf-16"))
    upload = SimpleUploadedFile("u16.txt", data.getvalue())
    assert (
        researcher_client.post(reverse("source_create", args=[study.pk]), create_data(upload=upload)).status_code == 302
    )
    assert Source.objects.get().detected_encoding == "utf-16"


def test_every_page_renders_for_the_researcher(researcher_client, researcher, study, focus_group):
    source = make_source(study, researcher, FOCUS_GROUP, title="FG1")
    pages = {
        reverse("source_create", args=[study.pk]): ["Detect automatically", 'enctype="multipart/form-data"'],
        reverse("source_edit", args=[study.pk, source.pk]): ["FG1"],
        reverse("speaker_mapping", args=[study.pk, source.pk]): ["T-K4", "Moderator / interviewer", "Unidentified"],
        reverse("source_new_version", args=[study.pk, source.pk]): ["New version 2", "Fokusgruppe 1 – Tromsø-gruppen"],
        reverse("source_normalise", args=[study.pk, source.pk]): ["Save the edit"],
    }
    for url, texts in pages.items():
        response = researcher_client.get(url)
        assert response.status_code == 200, url
        for text in texts:
            assert text in response.content.decode(), (url, text)


def test_transcript_text_is_escaped(researcher_client, researcher, study):
    source = make_source(study, researcher, "Moderator: <script>alert(1)</script>\n", title="<b>Tittel</b>")
    for url in (reverse("source_list", args=[study.pk]), reverse("source_normalise", args=[study.pk, source.pk])):
        content = researcher_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in content and "<b>Tittel</b>" not in content
        assert "&lt;b&gt;Tittel&lt;/b&gt;" in content
