"""QDPX export and import cost a fixed number of queries, however many sources, codes and excerpts a study has.

Two generated studies, one three times the other in every dimension; export and import each take the
same number of queries for both (the import's inserts grow only by batch, and these studies fit in one).
"""

from __future__ import annotations

import io

import pytest

from cases.models import Study
from interviews.models import Excerpt, Source
from interviews.refi.exporter import export_plan, study_export_qdpx, write_project
from interviews.refi.importer import qdpx_import_new_study
from interviews.refi.reader import read_project
from interviews.synthetic import StudySize, generate_study

pytestmark = pytest.mark.django_db

SMALL = StudySize(informants=4, sessions=2, chars=8_000, codes=10, excerpts=30)
LARGE = StudySize(informants=12, sessions=6, chars=24_000, codes=30, excerpts=90)
EXPORT_QUERIES = 26
IMPORT_QUERIES = 38


@pytest.fixture(params=[SMALL, LARGE], ids=["2 sources", "6 sources"])
def generated(request):
    return generate_study(size=request.param, owner_email="scaling@example.org")


def test_a_project_export_takes_the_same_queries_at_every_size(generated, django_assert_num_queries):
    study, owner = generated.study, generated.study.created_by
    assert Source.objects.filter(study=study).count() in (2, 6)
    with django_assert_num_queries(EXPORT_QUERIES):
        exported = study_export_qdpx(study=study, actor=owner)
    assert exported.plan.excerpts == Excerpt.objects.filter(study=study).count()


def test_a_project_import_takes_the_same_queries_at_every_size(generated, django_assert_num_queries):
    study, owner = generated.study, generated.study.created_by
    archive = io.BytesIO()
    write_project(export_plan(study), archive)
    project = read_project(io.BytesIO(archive.getvalue()))
    with django_assert_num_queries(IMPORT_QUERIES):
        result = qdpx_import_new_study(owner=owner, project=project, title="Imported")
    assert result.sources == Source.objects.filter(study=study).count()
    assert result.excerpts == Excerpt.objects.filter(study=study).count()
    imported = Study.objects.get(pk=result.study.pk)
    assert Excerpt.objects.filter(study=imported).count() == result.excerpts
