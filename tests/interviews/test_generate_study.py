"""``manage.py generate_study``: a synthetic study of the asked size, consistent, and usable in every page."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases.models import ConsentRecord, Informant, InformantGroup, Site, Study
from interviews.models import Attendance, Code, Coding, Excerpt, Session, Source, SpeakerTurn
from interviews.synthetic import StudySize, generate_study
from tests.conftest import client_for

SMALL = StudySize(informants=5, sessions=3, chars=6_000, codes=12, excerpts=40)


@pytest.fixture
def generated(db):
    return generate_study(size=SMALL, owner_email="synthetic@example.org", owner_password="a-long-pass-123")


def test_counts_match_the_asked_size(generated):
    study = generated.study
    assert Informant.objects.filter(study=study).count() == 5
    assert Session.objects.filter(study=study, status=Session.Status.HELD).count() == 3
    assert Source.objects.filter(study=study).count() == 3
    assert Code.objects.filter(study=study).count() == 12
    assert Excerpt.objects.filter(study=study).count() == 40
    assert Coding.objects.filter(excerpt__study=study).count() == generated.coding_count >= 40
    total = sum(len(text) for text in Source.objects.filter(study=study).values_list("text", flat=True))
    assert 6_000 <= total < 6_000 + 3 * 3_000  # each source stops at the end of the turn that passes its share
    assert Site.objects.filter(study=study).count() >= 1
    assert InformantGroup.objects.filter(study=study).count() >= 1


def test_every_informant_has_valid_consent_and_the_codebook_is_a_tree(generated):
    study = generated.study
    consents = ConsentRecord.objects.filter(informant__study=study)
    assert consents.count() == 5
    assert all(record.state == ConsentRecord.State.GIVEN for record in consents)
    for record in consents:
        record.full_clean()
    codes = list(Code.objects.filter(study=study))
    assert any(code.parent_id is None for code in codes)
    assert any(code.parent_id is not None for code in codes)
    for code in codes:
        code.full_clean()
    assert Attendance.objects.filter(session__study=study).exists()


def test_offsets_and_text_agree(generated):
    sources = {source.pk: source.text for source in Source.objects.filter(study=generated.study)}
    for source_id, start, end, text in Excerpt.objects.filter(study=generated.study).values_list(
        "source_id", "start", "end", "text"
    ):
        assert 0 <= start < end <= len(sources[source_id])
        assert text == sources[source_id][start:end]
    for source_id, start, end, label_end in SpeakerTurn.objects.filter(source__study=generated.study).values_list(
        "source_id", "start", "end", "label_end"
    ):
        text = sources[source_id]
        assert start < label_end < end <= len(text)
        assert text[label_end - 1] == ":"
        assert end == len(text) or text[end - 1] == "\n"


def test_the_same_seed_gives_the_same_study(db):
    first = generate_study(size=SMALL, owner_email="a@example.org")
    second = generate_study(size=SMALL, owner_email="a@example.org")
    texts = [
        list(Source.objects.filter(study=s.study).order_by("pk").values_list("text", flat=True))
        for s in (first, second)
    ]
    assert texts[0] == texts[1]
    assert first.owner == second.owner


def test_pages_of_the_generated_study_render(generated):
    client = client_for(generated.owner)
    study_id = generated.study.pk
    source = generated.sources[0]
    code = next(code for code in generated.codes if code.parent_id)
    urls = [
        reverse("study_detail", args=[study_id]),
        reverse("informant_list", args=[study_id]),
        reverse("consent_list", args=[study_id]),
        reverse("session_list", args=[study_id]),
        reverse("source_list", args=[study_id]),
        reverse("codebook", args=[study_id]),
        reverse("coding_view", args=[study_id, source.pk]),
        reverse("retrieval", args=[study_id]) + f"?code={code.pk}",
        reverse("code_matrix", args=[study_id]),
        reverse("exchange_export_qdpx", args=[study_id]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_the_command_prints_what_it_built(db):
    out = StringIO()
    call_command("generate_study", "--owner", "cmd@example.org", "--scale", "0.05", "--excerpts", "7", stdout=out)
    study = Study.objects.get(created_by__email="cmd@example.org")
    assert Excerpt.objects.filter(study=study).count() == 7
    assert "7 excerpts" in out.getvalue()


def test_the_command_refuses_a_nonsense_size(db):
    with pytest.raises(CommandError):
        call_command("generate_study", "--owner", "cmd@example.org", "--scale", "0")
    with pytest.raises(CommandError):
        call_command("generate_study", "--owner", "cmd@example.org", "--sessions", "-1")
    assert not Study.objects.exists()
