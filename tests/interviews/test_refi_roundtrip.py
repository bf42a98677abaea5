"""A study out as REFI-QDA and back in: the demo study (thesis 003) survives the round trip."""

from __future__ import annotations

import io
import zipfile

import pytest

from cases import consent_policy
from cases.demo.builder import RESEARCHER, demo_study_build, demo_users_ensure
from cases.models import AttributeDefinition, AttributeValue, Informant
from interviews.models import Code, Excerpt, Source
from interviews.refi.exporter import BLANK, export_plan, study_export_qdpx
from interviews.refi.importer import qdpx_import_new_study
from interviews.refi.reader import read_project
from interviews.selectors_codebook import code_paths
from tests.factories import ConsentRecordFactory
from tests.interviews.refi_helpers import assert_valid

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_study():
    """The demo study, with one more informant (who speaks in excerpts) who gave no consent to quotes."""
    users = demo_users_ensure()
    study = demo_study_build(users=users)
    speaker = Informant.objects.filter(study=study, excerpts__isnull=False).order_by("code").first()
    ConsentRecordFactory(informant=speaker, covers_quotes=False)
    return study, users[RESEARCHER.email]


def _codes(study) -> dict[str, tuple[str, str]]:
    codes = list(Code.objects.filter(study=study))
    paths = code_paths(codes)
    return {paths[code.pk]: (code.colour, code.description) for code in codes}


def _informants(study, without=()) -> dict[str, dict]:
    out = {}
    for informant in Informant.objects.filter(study=study).exclude(code__in=without).select_related("group", "site"):
        values = {
            row.definition.name: (row.definition.kind, tuple(row.definition.choices), row.value_text)
            for row in AttributeValue.objects.filter(informant=informant).select_related("definition")
        }
        out[informant.code] = {
            "group": informant.group.label if informant.group else None,
            "site": informant.site.pseudonym if informant.site else None,
            "role": informant.role,
            "attributes": values,
        }
    return out


def _excerpts(study, ids=None) -> set[tuple]:
    excerpts = Excerpt.objects.filter(study=study).select_related("source").prefetch_related("codes", "speakers")
    if ids is not None:
        excerpts = excerpts.filter(pk__in=ids)
    paths = code_paths(Code.objects.filter(study=study))
    return {
        (
            e.source.title,
            e.start,
            e.end,
            e.text,
            tuple(sorted(paths[c.pk] for c in e.codes.all())),
            e.memo,
            e.is_deviant,
            e.is_counter_finding,
            e.condensed_meaning,
        )
        for e in excerpts
    }


def test_the_demo_study_survives_the_round_trip(demo_study):
    study, owner = demo_study
    excluded = consent_policy.excluded_informants(study)
    assert excluded, "the demo has an informant without consent, so the exclusion is exercised"
    excluded_codes = set(Informant.objects.filter(pk__in=excluded).values_list("code", flat=True))
    kept = consent_policy.excerpts_without_excluded(Excerpt.objects.filter(study=study), study)
    kept_ids = list(kept.values_list("pk", flat=True))
    assert 0 < len(kept_ids) < Excerpt.objects.filter(study=study).count()

    exported = study_export_qdpx(study=study, actor=owner)
    data = exported.file.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert_valid(archive.read("project.qde"))
        texts = [archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith("sources/")]
    assert len(texts) == Source.objects.filter(study=study, is_current=True).count()

    result = qdpx_import_new_study(owner=owner, project=read_project(io.BytesIO(data)))
    copy = result.study

    assert _codes(copy) == _codes(study)
    definitions = [(a.name, a.kind, a.choices) for a in AttributeDefinition.objects.filter(study=copy)]
    assert definitions == [(a.name, a.kind, a.choices) for a in AttributeDefinition.objects.filter(study=study)]
    assert _informants(copy) == _informants(study, without=excluded_codes)
    originals = {s.title: s.text for s in Source.objects.filter(study=study, is_current=True)}
    imported = {s.title: s.text for s in Source.objects.filter(study=copy)}
    assert imported.keys() == originals.keys()
    for title, text in imported.items():
        assert len(text) == len(originals[title])
        if BLANK not in text:
            assert text == originals[title]
    assert _excerpts(copy) == _excerpts(study, kept_ids)
    for excerpt in Excerpt.objects.filter(study=copy).select_related("source"):
        assert excerpt.source.text[excerpt.start : excerpt.end] == excerpt.text


def test_the_plan_says_what_is_left_out(demo_study):
    study, _owner = demo_study
    plan = export_plan(study)
    report = "\n".join(plan.report_lines)
    assert "TV5" in report
    assert plan.left_out.count > 0
