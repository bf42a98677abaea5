"""Codebook services: update, move (no cycles), reorder, merge (excerpts follow), drop, delete, seed from the guide."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import AuditEvent, GuideQuestion, GuideTheme, Instrument, InstrumentVersion
from interviews.models import Code, Coding, Memo
from interviews.selectors_codebook import codebook_fingerprint
from interviews.services import codebook as services
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from tests.factories import ResearchQuestionFactory, StudyFactory
from tests.interviews.analysis_data import make_excerpt, make_source

pytestmark = pytest.mark.django_db


def children_of(parent: Code | None, study) -> list[tuple[str, int]]:
    return list(Code.objects.filter(study=study, parent=parent).order_by("position").values_list("name", "position"))


@pytest.fixture
def chain(study, researcher):
    """A > B > C > D, and E at the top level."""
    a = code_create(study=study, actor=researcher, name="A")
    b = code_create(study=study, actor=researcher, name="B", parent=a)
    c = code_create(study=study, actor=researcher, name="C", parent=b)
    d = code_create(study=study, actor=researcher, name="D", parent=c)
    e = code_create(study=study, actor=researcher, name="E")
    return a, b, c, d, e


def db_state(study) -> list[tuple]:
    return list(
        Code.objects.filter(study=study).order_by("pk").values_list("pk", "parent_id", "position", "status", "name")
    )


# Create and update ----------------------------------------------------------------------------------------------------


def test_code_create_links_guide_questions_and_refuses_a_taken_shortcut(study, researcher):
    version = InstrumentVersion.objects.create(
        instrument=Instrument.objects.create(study=study, title="Guide"), label="v1"
    )
    question = GuideQuestion.objects.create(theme=GuideTheme.objects.create(version=version, title="T"), text="Hva?")
    code = code_create(study=study, actor=researcher, name=" Tillit ", shortcut="3", guide_questions=[question])
    assert code.name == "Tillit"
    assert list(code.guide_questions.all()) == [question]
    with pytest.raises(ValidationError) as error:
        code_create(study=study, actor=researcher, name="Ledelse", shortcut="3")
    assert "Tillit" in str(error.value)
    assert Code.objects.filter(study=study).count() == 1


def test_code_update_changes_fields_and_audits_only_names(study, researcher):
    rq = ResearchQuestionFactory(study=study, label="RQ1")
    code = code_create(study=study, actor=researcher, name="Tillit")
    services.code_update(
        code=code,
        actor=researcher,
        data={
            "name": "Tillit i ledelsen",
            "colour": "#aabbcc",
            "description": "Når informanten…",
            "origin": "theory",
            "research_question": rq,
            "shortcut": "1",
            "guide_questions": [],
        },
    )
    code.refresh_from_db()
    assert (code.name, code.colour, code.origin, code.research_question, code.shortcut) == (
        "Tillit i ledelsen",
        "#aabbcc",
        "theory",
        rq,
        "1",
    )
    event = AuditEvent.objects.get(action="code.updated")
    assert set(event.data["fields"]) == {"name", "colour", "description", "origin", "research_question_id", "shortcut"}


def test_code_update_refuses_guide_questions_and_rq_of_another_study(study, researcher):
    other = StudyFactory()
    version = InstrumentVersion.objects.create(instrument=Instrument.objects.create(study=other, title="G"), label="v1")
    foreign_question = GuideQuestion.objects.create(
        theme=GuideTheme.objects.create(version=version, title="T"), text="?"
    )
    code = code_create(study=study, actor=researcher, name="Tillit")
    with pytest.raises(ValidationError):
        services.code_update(code=code, actor=researcher, data={"guide_questions": [foreign_question]})
    with pytest.raises(ValidationError):
        services.code_update(
            code=code, actor=researcher, data={"research_question": ResearchQuestionFactory(study=other)}
        )
    assert not code.guide_questions.exists()
    assert Code.objects.get(pk=code.pk).research_question is None


# Move and reorder ------------------------------------------------------------------------------------------------------


def test_move_refuses_a_cycle_and_writes_nothing(study, researcher, chain):
    a, b, c, d, e = chain
    before = db_state(study)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.code_move(code=b, actor=researcher, parent=d)
    assert "cannot be moved under" in str(error.value)
    with pytest.raises(ValidationError):
        services.code_move(code=b, actor=researcher, parent=b)
    assert db_state(study) == before
    assert AuditEvent.objects.count() == events


def test_move_refuses_a_parent_of_another_study(study, researcher, chain):
    foreign = code_create(study=StudyFactory(), actor=researcher, name="X")
    before = db_state(study)
    with pytest.raises(ValidationError):
        services.code_move(code=chain[0], actor=researcher, parent=foreign)
    assert db_state(study) == before


def test_move_places_the_code_and_renumbers_both_sibling_lists(study, researcher):
    top = [code_create(study=study, actor=researcher, name=name) for name in ("P", "Q", "R")]
    kids = [code_create(study=study, actor=researcher, name=name, parent=top[0]) for name in ("k1", "k2")]
    services.code_move(code=top[1], actor=researcher, parent=top[0], position=1)
    assert children_of(top[0], study) == [("k1", 0), ("Q", 1), ("k2", 2)]
    assert children_of(None, study) == [("P", 0), ("R", 1)]
    services.code_move(code=kids[0], actor=researcher, parent=None)
    assert children_of(None, study) == [("P", 0), ("R", 1), ("k1", 2)]
    assert children_of(top[0], study) == [("Q", 0), ("k2", 1)]
    assert AuditEvent.objects.filter(action="code.moved").count() == 2


def test_reorder_swaps_with_a_neighbour_and_stops_at_the_ends(study, researcher):
    codes = [code_create(study=study, actor=researcher, name=name) for name in ("P", "Q", "R")]
    assert services.code_reorder(code=codes[2], actor=researcher, direction="up")
    assert children_of(None, study) == [("P", 0), ("R", 1), ("Q", 2)]
    assert not services.code_reorder(code=codes[0], actor=researcher, direction="up")
    assert children_of(None, study) == [("P", 0), ("R", 1), ("Q", 2)]


# Merge -----------------------------------------------------------------------------------------------------------------


def test_merge_moves_codings_and_children_and_marks_the_source_merged(study, researcher):
    source_code = code_create(study=study, actor=researcher, name="Medvirkning")
    target = code_create(study=study, actor=researcher, name="Deltakelse")
    existing_child = code_create(study=study, actor=researcher, name="Formell", parent=target)
    child = code_create(study=study, actor=researcher, name="Uformell", parent=source_code)
    text = make_source(study, researcher, "T1", ["Første setning.", "Andre setning.", "Tredje."])
    only_source = make_excerpt(text, researcher, "Første setning.", [source_code])
    both = make_excerpt(text, researcher, "Andre setning.", [source_code, target])

    result = services.code_merge(source_code=source_code, target_code=target, actor=researcher)

    assert (result.codings_moved, result.duplicates_removed, result.children_moved) == (1, 1, 1)
    assert list(Coding.objects.filter(excerpt=only_source).values_list("code__name", flat=True)) == ["Deltakelse"]
    assert list(Coding.objects.filter(excerpt=both).values_list("code__name", flat=True)) == ["Deltakelse"]
    assert not Coding.objects.filter(code=source_code).exists()
    assert children_of(target, study) == [("Formell", 0), ("Uformell", 1)]
    source_code.refresh_from_db()
    assert (source_code.status, source_code.merged_into) == (Code.Status.MERGED, target)
    assert existing_child.parent == target
    child.refresh_from_db()
    assert child.parent == target
    assert AuditEvent.objects.get(action="code.merged").data["into"] == target.pk


def test_merge_refuses_a_target_inside_the_source_and_inactive_codes(study, researcher, chain):
    a, b, c, d, e = chain
    before = db_state(study)
    with pytest.raises(ValidationError):
        services.code_merge(source_code=a, target_code=c, actor=researcher)
    with pytest.raises(ValidationError):
        services.code_merge(source_code=a, target_code=a, actor=researcher)
    services.code_drop(code=e, actor=researcher)
    before = db_state(study)
    with pytest.raises(ValidationError):
        services.code_merge(source_code=d, target_code=e, actor=researcher)
    assert db_state(study) == before


# Drop and delete -------------------------------------------------------------------------------------------------------


def test_drop_keeps_codings_but_the_coding_view_no_longer_accepts_the_code(study, researcher):
    code = code_create(study=study, actor=researcher, name="Pynt", shortcut="2")
    text = make_source(study, researcher, "T1", ["Det var bare pynt."])
    make_excerpt(text, researcher, "Det var bare pynt.", [code])
    services.code_drop(code=code, actor=researcher)
    code.refresh_from_db()
    assert (code.status, code.shortcut) == (Code.Status.DROPPED, "")
    assert Coding.objects.filter(code=code).count() == 1
    with pytest.raises(ValidationError):
        excerpt_create(source=text, actor=researcher, start=0, end=3, text="Det", code_ids=[code.pk])
    with pytest.raises(ValidationError):
        services.code_drop(code=code, actor=researcher)


def test_delete_only_when_nothing_depends_on_the_code(study, researcher):
    parent = code_create(study=study, actor=researcher, name="Foreldre")
    code_create(study=study, actor=researcher, name="Barn", parent=parent)
    coded = code_create(study=study, actor=researcher, name="Kodet")
    noted = code_create(study=study, actor=researcher, name="Med memo")
    Memo.objects.create(study=study, code=noted, title="m", text="t", created_by=researcher)
    text = make_source(study, researcher, "T1", ["Setning."])
    make_excerpt(text, researcher, "Setning.", [coded])
    for code, message in ((parent, "sub-codes"), (coded, "coded excerpts"), (noted, "memos")):
        with pytest.raises(ValidationError) as error:
            services.code_delete(code=code, actor=researcher)
        assert message in str(error.value)
    assert Code.objects.filter(study=study).count() == 4

    lonely = code_create(study=study, actor=researcher, name="Ensom")
    services.code_move(code=lonely, actor=researcher, parent=None, position=0)
    lonely_pk = lonely.pk
    services.code_delete(code=lonely, actor=researcher)
    assert not Code.objects.filter(pk=lonely_pk).exists()
    assert [p for _n, p in children_of(None, study)] == [0, 1, 2]
    assert AuditEvent.objects.filter(action="code.deleted", target_id=lonely_pk).exists()


# Seeding from the guide ------------------------------------------------------------------------------------------------


@pytest.fixture
def guide(study):
    rq = ResearchQuestionFactory(study=study, label="RQ1", colour="#ef476f")
    version = InstrumentVersion.objects.create(
        instrument=Instrument.objects.create(study=study, title="Intervjuguide"), label="v1"
    )
    intro = GuideTheme.objects.create(version=version, title="Innledning", position=0)
    core = GuideTheme.objects.create(version=version, title="Medarbeiderdrevet innovasjon", position=1)
    GuideQuestion.objects.create(theme=intro, position=0, label="Q1", text="Fortell om din rolle.")
    GuideQuestion.objects.create(
        theme=core,
        position=0,
        label="Q2",
        research_question=rq,
        text="Hva legger du i begrepet medarbeiderdrevet innovasjon, og hvordan merkes det i hverdagen på arbeidsplassen?",
    )
    GuideQuestion.objects.create(theme=core, position=1, label="Q3", text="Hvem tar initiativ?")
    return version


def test_seed_from_guide_creates_a_code_per_theme_and_question_once(study, researcher, guide):
    first = services.codebook_seed_from_guide(study=study, actor=researcher, version=guide)
    assert (first.created, first.skipped) == (5, 0)
    second = services.codebook_seed_from_guide(study=study, actor=researcher, version=guide)
    assert (second.created, second.skipped) == (0, 3)
    assert Code.objects.filter(study=study).count() == 5

    core = Code.objects.get(study=study, name="Medarbeiderdrevet innovasjon", parent=None)
    q2, q3 = Code.objects.filter(parent=core).order_by("position")
    assert q2.name.startswith("Q2 Hva legger du i begrepet") and q2.name.endswith("…") and len(q2.name) <= 70
    assert (q2.origin, q2.research_question.label, q2.colour) == (Code.Origin.GUIDE, "RQ1", "#ef476f")
    assert list(q2.guide_questions.values_list("label", flat=True)) == ["Q2"]
    assert q3.name == "Q3 Hvem tar initiativ?"

    # A question added later is seeded under its theme's existing code.
    GuideQuestion.objects.create(
        theme=GuideTheme.objects.get(title="Medarbeiderdrevet innovasjon"), position=2, label="Q4", text="Hva hindrer?"
    )
    third = services.codebook_seed_from_guide(study=study, actor=researcher, version=guide)
    assert third.created == 1
    assert Code.objects.get(name="Q4 Hva hindrer?").parent == core
    assert AuditEvent.objects.filter(action="codebook.seeded").count() == 2


def test_seed_refuses_a_guide_of_another_study(study, researcher, guide):
    with pytest.raises(ValidationError):
        services.codebook_seed_from_guide(study=StudyFactory(), actor=researcher, version=guide)
    assert not Code.objects.exists()


def test_the_codebook_fingerprint_follows_every_field_the_code_lists_show(study):
    """The caches of rendered code lists are keyed by it: each change the lists show must give a new one."""
    code = Code.objects.create(study=study, name="Tillit", created_by=study.created_by)
    parent = Code.objects.create(study=study, name="Læring", created_by=study.created_by)
    seen = [codebook_fingerprint(study)]
    for change in (
        {"name": 'Tillit, "sitat"'},  # a comma and quotes inside a value
        {"parent": parent},
        {"colour": "#e63946"},
        {"status": Code.Status.DROPPED},
        {"shortcut": "7"},
        {"position": 4},
        {"parent": None},
    ):
        Code.objects.filter(pk=code.pk).update(**change)
        seen.append(codebook_fingerprint(study))
    Code.objects.filter(pk=code.pk).update(description="Not shown in the lists")
    assert codebook_fingerprint(study) == seen[-1]
    assert len(set(seen)) == len(seen), seen
