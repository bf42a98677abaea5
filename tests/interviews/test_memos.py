"""Memos on the study, a code and a source: services, pages, escaping, who may do what."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import AuditEvent
from interviews.models import Memo
from interviews.services import memos as services
from interviews.services.codebook import code_create
from tests.factories import StudyFactory
from tests.interviews.analysis_data import make_source

pytestmark = pytest.mark.django_db

SECRET = "AG1 sa noe avslørende om lederen"


@pytest.fixture
def code(study, researcher):
    return code_create(study=study, actor=researcher, name="Tillit")


@pytest.fixture
def source(study, researcher):
    return make_source(study, researcher, "T1 fokusgruppe", ["Første setning."])


def memo_state(study) -> list[tuple]:
    return list(Memo.objects.filter(study=study).order_by("pk").values_list("pk", "title", "text", "code", "source"))


def test_memo_services_audit_ids_never_text(study, researcher, code):
    memo = services.memo_create(study=study, actor=researcher, title="Tillit og makt", text=SECRET, code=code)
    services.memo_update(memo=memo, actor=researcher, data={"text": SECRET + " – igjen", "code": None})
    memo_pk = memo.pk
    services.memo_delete(memo=memo, actor=researcher)
    events = AuditEvent.objects.filter(action__startswith="memo.").order_by("pk")
    assert [e.action for e in events] == ["memo.created", "memo.updated", "memo.deleted"]
    assert events[0].data == {"code": code.pk, "source": None}
    assert events[1].data["fields"] == ["code_id", "text"]
    for event in events:
        assert event.target_id == memo_pk
        assert "Tillit og makt" not in event.target_label
        assert SECRET not in json.dumps(event.data) and SECRET not in event.target_label


def test_memo_refuses_targets_of_another_study_and_two_targets(study, researcher, code, source):
    other = StudyFactory()
    foreign_code = code_create(study=other, actor=researcher, name="Fremmed")
    foreign_source = make_source(other, researcher, "Fremmed", ["Tekst."])
    for target in ({"code": foreign_code}, {"source": foreign_source}, {"code": code, "source": source}):
        with pytest.raises(ValidationError):
            services.memo_create(study=study, actor=researcher, title="x", text="y", **target)
    assert not Memo.objects.exists()


def test_memo_create_page_presets_the_target(researcher_client, study, code, source):
    url = reverse("memo_create", args=[study.pk])
    html = researcher_client.get(f"{url}?code={code.pk}").content.decode()
    assert f'<option value="code-{code.pk}" selected>' in html
    html = researcher_client.get(f"{url}?source={source.pk}").content.decode()
    assert f'<option value="source-{source.pk}" selected>' in html
    response = researcher_client.post(
        url, {"target": f"source-{source.pk}", "title": "Stemning", "text": "Lav energi."}
    )
    assert response.status_code == 302
    assert Memo.objects.get().source == source
    response = researcher_client.post(url, {"target": "study", "title": "Metode", "text": "Refleksjon."})
    memo = Memo.objects.get(title="Metode")
    assert (memo.code, memo.source) == (None, None)


def test_memo_create_refuses_a_foreign_target(researcher_client, study, researcher):
    foreign = code_create(study=StudyFactory(), actor=researcher, name="Fremmed")
    url = reverse("memo_create", args=[study.pk])
    assert researcher_client.get(f"{url}?code={foreign.pk}").status_code == 404
    assert researcher_client.get(f"{url}?code=abc").status_code == 404
    response = researcher_client.post(url, {"target": f"code-{foreign.pk}", "title": "x", "text": "y"})
    assert response.status_code == 400
    assert not Memo.objects.exists()


def test_memo_edit_and_delete(researcher_client, study, researcher, code):
    memo = services.memo_create(study=study, actor=researcher, title="Utkast", text="Tekst")
    url = reverse("memo_edit", args=[study.pk, memo.pk])
    assert 'value="study" selected' in researcher_client.get(url).content.decode()
    response = researcher_client.post(url, {"target": f"code-{code.pk}", "title": "Ferdig", "text": "Ny tekst"})
    assert response.status_code == 302
    memo.refresh_from_db()
    assert (memo.title, memo.text, memo.code) == ("Ferdig", "Ny tekst", code)
    delete = reverse("memo_delete", args=[study.pk, memo.pk])
    assert researcher_client.get(delete).status_code == 405
    assert researcher_client.post(delete).status_code == 302
    assert not Memo.objects.exists()


def test_memo_text_is_escaped(researcher_client, study, researcher, code):
    services.memo_create(
        study=study,
        actor=researcher,
        title="<img src=x onerror=alert(1)>",
        text="<script>alert('memo')</script>",
        code=code,
    )
    html = researcher_client.get(reverse("memo_list", args=[study.pk])).content.decode()
    assert "<script>alert('memo')</script>" not in html
    assert "&lt;script&gt;alert(&#x27;memo&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_memo_list_filters_by_target(researcher_client, study, researcher, code, source):
    services.memo_create(study=study, actor=researcher, title="Om studien", text="a")
    services.memo_create(study=study, actor=researcher, title="Om koden", text="b", code=code)
    services.memo_create(study=study, actor=researcher, title="Om kilden", text="c", source=source)
    url = reverse("memo_list", args=[study.pk])

    def titles(query: str) -> list[str]:
        html = researcher_client.get(url + query).content.decode()
        return sorted(m for m in ("Om studien", "Om koden", "Om kilden") if m in html)

    assert titles("") == ["Om kilden", "Om koden", "Om studien"]
    assert titles("?target=study") == ["Om studien"]
    assert titles(f"?target=code-{code.pk}") == ["Om koden"]
    assert titles(f"?target=source-{source.pk}") == ["Om kilden"]
    assert titles("?target=codes") == ["Om koden"]


def test_empty_memo_list_says_what_to_do(researcher_client, study):
    assert "No memos yet. Write down" in researcher_client.get(reverse("memo_list", args=[study.pk])).content.decode()


@pytest.mark.parametrize("size", [2, 20])
def test_memo_list_query_count_does_not_grow(researcher_client, study, researcher, django_assert_num_queries, size):
    codes = [code_create(study=study, actor=researcher, name=f"Kode {n}") for n in range(size)]
    sources = [make_source(study, researcher, f"Kilde {n}", ["Tekst."]) for n in range(size)]
    for n in range(size):
        services.memo_create(study=study, actor=researcher, title=f"Kode-memo {n}", text="t", code=codes[n])
        services.memo_create(study=study, actor=researcher, title=f"Kilde-memo {n}", text="t", source=sources[n])
        services.memo_create(study=study, actor=researcher, title=f"Studie-memo {n}", text="t")
    # session, user with membership and study, filter choices (codes, sources), page count, the memos with targets
    with django_assert_num_queries(6):
        response = researcher_client.get(reverse("memo_list", args=[study.pk]))
    assert response.content.decode().count('class="list-group-item memo"') == min(3 * size, 50)


def test_supervisor_reads_memos_but_gets_403_on_every_change(supervisor_client, study, researcher, code):
    memo = services.memo_create(study=study, actor=researcher, title="Utkast", text="Tekst")
    before = memo_state(study)
    html = supervisor_client.get(reverse("memo_list", args=[study.pk])).content.decode()
    assert "Utkast" in html and reverse("memo_edit", args=[study.pk, memo.pk]) not in html
    data = {"target": "study", "title": "Endret", "text": "x"}
    for url in (
        reverse("memo_create", args=[study.pk]),
        reverse("memo_edit", args=[study.pk, memo.pk]),
        reverse("memo_delete", args=[study.pk, memo.pk]),
    ):
        assert supervisor_client.get(url).status_code == 403
        assert supervisor_client.post(url, data).status_code == 403
    assert memo_state(study) == before


def test_outsider_gets_404_on_every_memo_url(outsider_client, study, researcher):
    memo = services.memo_create(study=study, actor=researcher, title="Utkast", text="Tekst")
    before = memo_state(study)
    for url in (
        reverse("memo_list", args=[study.pk]),
        reverse("memo_create", args=[study.pk]),
        reverse("memo_edit", args=[study.pk, memo.pk]),
        reverse("memo_delete", args=[study.pk, memo.pk]),
    ):
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {"target": "study", "title": "x", "text": "y"}).status_code == 404
    assert memo_state(study) == before


def test_a_memo_of_another_study_is_404_under_ones_own_study(researcher_client, study, researcher):
    other = StudyFactory(created_by=researcher)
    memo = services.memo_create(study=other, actor=researcher, title="Annen", text="Tekst")
    for name in ("memo_edit", "memo_delete"):
        assert researcher_client.post(reverse(name, args=[study.pk, memo.pk])).status_code == 404
    assert Memo.objects.filter(pk=memo.pk).exists()
