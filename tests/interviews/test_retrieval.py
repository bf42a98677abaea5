"""Retrieval: every filter, descendants, pagination, escaping, the CSV export and who may read it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.urls import reverse

from interviews.models import Code, Excerpt
from interviews.services.codebook import code_create
from tests.factories import InformantFactory, InformantGroupFactory, StudyFactory
from tests.interviews.analysis_data import build, make_excerpt, make_source

pytestmark = pytest.mark.django_db

URL_NAMES = [
    "retrieval",
    "retrieval_export",
    "code_matrix",
    "code_matrix_export",
    "code_cooccurrence",
    "code_cooccurrence_export",
]


@pytest.fixture
def world(study, researcher):
    return build(study, researcher)


def found(client, study, **params) -> list[int]:
    response = client.get(reverse("retrieval", args=[study.pk]), params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return [int(pk) for pk in re.findall(r'data-excerpt-id="(\d+)"', response.content.decode())]


def ids(*excerpts) -> list[int]:
    return [excerpt.pk for excerpt in excerpts]


def test_without_filter_all_excerpts_come_ordered_by_source_then_start(researcher_client, world):
    # N1 feltnotater sorts before T1 fokusgruppe.
    assert found(researcher_client, world.study) == ids(world.e4, world.e5, world.e1, world.e2, world.e3)


def test_code_filter_with_and_without_descendants(researcher_client, world):
    c, s = researcher_client, world.study
    assert found(c, s, code=world.medvirkning.pk) == ids(world.e4, world.e1, world.e2, world.e3)
    assert found(c, s, code=world.medvirkning.pk, descendants=1) == ids(
        world.e4, world.e5, world.e1, world.e2, world.e3
    )
    assert found(c, s, code=world.innovasjon.pk) == ids(world.e1)
    assert found(c, s, code=world.innovasjon.pk, descendants=1) == ids(world.e4, world.e5, world.e1, world.e2, world.e3)
    assert found(c, s, code=world.tillit.pk, descendants=1) == ids(world.e5)


@pytest.mark.parametrize(
    "params,expected",
    [
        (lambda w: {"informant": w.ag2.pk}, lambda w: [w.e4, w.e1]),
        (lambda w: {"group": w.tv.pk}, lambda w: [w.e5, w.e2]),
        (lambda w: {"site": w.site_a.pk}, lambda w: [w.e1, w.e2]),
        (lambda w: {"site": w.site_b.pk}, lambda w: [w.e4, w.e5, w.e1, w.e2]),
        (lambda w: {"attribute": w.years.pk, "attribute_min": "10"}, lambda w: [w.e4, w.e1]),
        (lambda w: {"attribute": w.years.pk, "attribute_max": "10"}, lambda w: [w.e1, w.e2]),
        (
            lambda w: {"attribute": w.years.pk, "attribute_min": "4", "attribute_max": "13"},
            lambda w: [w.e4, w.e1, w.e2],
        ),
        (lambda w: {"attribute": w.years.pk, "attribute_value": "12"}, lambda w: [w.e4, w.e1]),
        (lambda w: {"attribute": w.gender.pk, "attribute_value": "Mann"}, lambda w: [w.e4, w.e1]),
        (lambda w: {"attribute": w.gender.pk}, lambda w: [w.e4, w.e5, w.e1, w.e2]),
        (lambda w: {"session_kind": "individual_interview"}, lambda w: [w.e4, w.e5]),
        (lambda w: {"session_kind": "focus_group"}, lambda w: [w.e1, w.e2, w.e3]),
        (lambda w: {"source_kind": "field_notes"}, lambda w: [w.e4, w.e5]),
        (lambda w: {"source_kind": "transcript"}, lambda w: [w.e1, w.e2, w.e3]),
        (lambda w: {"flag": "deviant"}, lambda w: [w.e1]),
        (lambda w: {"flag": "counter"}, lambda w: [w.e2]),
        (lambda w: {"flag": "identifying"}, lambda w: [w.e3]),
        (lambda w: {"q": "TILLITSVALGTE"}, lambda w: [w.e2]),
        (lambda w: {"q": "æøå"}, lambda w: [w.e2]),
        # One speaker must meet the group and the site together: in e2 AG1 is at site A and TV1 in group TV, at site B.
        (lambda w: {"group": w.tv.pk, "site": w.site_a.pk}, lambda w: []),
        (lambda w: {"group": w.ag.pk, "site": w.site_a.pk}, lambda w: [w.e1, w.e2]),
        (lambda w: {"code": w.ledelse.pk, "group": w.tv.pk, "source_kind": "transcript"}, lambda w: [w.e2]),
    ],
)
def test_each_filter(researcher_client, world, params, expected):
    assert found(researcher_client, world.study, **params(world)) == ids(*expected(world))


def test_a_no_result_filter_says_what_to_do(researcher_client, world):
    response = researcher_client.get(reverse("retrieval", args=[world.study.pk]), {"q": "finnes ikke"})
    assert response.status_code == 200
    assert "No excerpts match this filter" in response.content.decode()


@pytest.mark.parametrize(
    "params,field_message",
    [
        (lambda w: {"attribute": w.gender.pk, "attribute_min": "3"}, "only apply to number attributes"),
        (lambda w: {"attribute_value": "kvinne"}, "Choose the attribute the value refers to"),
        (lambda w: {"attribute": w.years.pk, "attribute_value": "mange"}, "Enter a number"),
        (lambda w: {"attribute": w.years.pk, "attribute_min": "9", "attribute_max": "3"}, "must not be smaller"),
        (lambda w: {"code": 999999}, "Select a valid choice"),
    ],
)
def test_bad_filter_input_gets_a_clear_message(researcher_client, world, params, field_message):
    response = researcher_client.get(reverse("retrieval", args=[world.study.pk]), params(world))
    assert response.status_code == 400
    content = response.content.decode()
    assert field_message in content
    assert "data-excerpt-id" not in content


def test_selects_offer_only_the_studys_own_objects(researcher_client, world, researcher):
    other = StudyFactory(created_by=researcher)
    foreign_code = code_create(study=other, actor=researcher, name="Fremmed kode")
    foreign_group = InformantGroupFactory(study=other, label="Fremmed gruppe")
    foreign_informant = InformantFactory(study=other, code="X99")
    content = researcher_client.get(reverse("retrieval", args=[world.study.pk])).content.decode()
    for name in ("Fremmed kode", "Fremmed gruppe", "X99"):
        assert name not in content
    assert "Medvirkning" in content and "Tillitsvalgt" in content and "AG2" in content
    for params in ({"code": foreign_code.pk}, {"group": foreign_group.pk}, {"informant": foreign_informant.pk}):
        assert researcher_client.get(reverse("retrieval", args=[world.study.pk]), params).status_code == 400


def test_a_result_shows_codes_speakers_source_session_flags_and_context_link(researcher_client, world):
    content = researcher_client.get(reverse("retrieval", args=[world.study.pk]), {"flag": "counter"}).content.decode()
    row = content[content.index(f'data-excerpt-id="{world.e2.pk}"') :]
    row = row[: row.index("</li>")]
    assert 'data-colour="#ffd166"' in row and ">Medvirkning<" in row and ">Ledelse<" in row
    assert "AG1 (Arbeidsgiver)" in row and "TV1 (Tillitsvalgt)" in row
    assert "T1 fokusgruppe" in row and "S01 · Focus group" in row
    assert "Counter-finding" in row or "counter-finding" in row
    assert f'href="/studies/{world.study.pk}/sources/{world.t1.pk}/code/#excerpt-{world.e2.pk}"' in row
    assert "Show in context" in row


def test_excerpt_with_no_known_speaker_says_so(researcher_client, world):
    content = researcher_client.get(
        reverse("retrieval", args=[world.study.pk]), {"flag": "identifying"}
    ).content.decode()
    assert "Unknown speaker" in content


def test_excerpt_text_and_code_names_are_escaped(researcher_client, study, researcher):
    source = make_source(study, researcher, "<b>Kilde</b>", ["<script>alert('x')</script> sa hun.", "Neste linje."])
    code = code_create(study=study, actor=researcher, name="<img src=x onerror=alert(1)>")
    make_excerpt(source, researcher, "<script>alert('x')</script> sa hun.", [code])
    content = researcher_client.get(reverse("retrieval", args=[study.pk])).content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; sa hun." in content
    assert "<img src=x" not in content and "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "<b>Kilde" not in content and "&lt;b&gt;Kilde&lt;/b&gt;" in content


def many_excerpts(study, researcher, count: int):
    group = InformantGroupFactory(study=study, label="Arbeidsgiver")
    informant = InformantFactory(study=study, code="AG1", group=group)
    parent = code_create(study=study, actor=researcher, name="Forutsetninger")
    child = code_create(study=study, actor=researcher, name="Tid og ressurser", parent=parent)
    other = code_create(study=study, actor=researcher, name="Ledelse")
    sentences = [f"Setning nummer {n} om tid og ressurser." for n in range(count)]
    sources = [make_source(study, researcher, f"Kilde {half}", sentences[half::2]) for half in range(2)]
    for n, sentence in enumerate(sentences):
        make_excerpt(sources[n % 2], researcher, sentence, [child, other], [informant])
    return parent, group


def test_pagination_fifty_per_page_in_source_then_start_order(researcher_client, study, researcher):
    parent, _group = many_excerpts(study, researcher, 60)
    expected = list(Excerpt.objects.order_by("source__title", "start").values_list("pk", flat=True))
    first = found(researcher_client, study, code=parent.pk, descendants=1)
    second = found(researcher_client, study, code=parent.pk, descendants=1, page=2)
    assert len(first) == 50 and len(second) == 10
    assert first + second == expected
    content = researcher_client.get(
        reverse("retrieval", args=[study.pk]), {"code": parent.pk, "descendants": 1}
    ).content.decode()
    assert "60 excerpts" in content and "page 1 of 2" in content
    assert f"code={parent.pk}&amp;descendants=1&amp;page=2" in content


@pytest.mark.parametrize("count", [3, 60])
def test_retrieval_query_count_does_not_grow(researcher_client, study, researcher, django_assert_num_queries, count):
    parent, group = many_excerpts(study, researcher, count)
    # session, user with membership and study; codes, informants, groups, sites, attributes (the form's choices);
    # what the export leaves out (informants without consent); count, page of excerpts with source and
    # session, their codings, their speakers.
    with django_assert_num_queries(12):
        response = researcher_client.get(
            reverse("retrieval", args=[study.pk]), {"code": parent.pk, "descendants": 1, "group": group.pk}
        )
    assert response.content.decode().count("data-excerpt-id=") == min(count, 50)


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_a_code_and_informant_added_while_the_page_is_read_wait_for_the_next_page(researcher_client, world, researcher):
    """A concurrent in-vivo code (and a new speaker) applied after the form's look-ups were read."""
    researcher_client.get(reverse("retrieval", args=[world.study.pk]))  # session warm-up
    late = []

    def another_coder(execute, sql, params, many, context):
        if not late and sql.startswith('SELECT "interviews_excerpt"."id"') and "LIMIT" in sql:
            late.append(None)  # before the writes: they run through this wrapper too
            code = code_create(study=world.study, actor=researcher, name="Ny i levende live")
            world.e1.codings.create(code=code, created_by=researcher)
            world.e1.speakers.add(InformantFactory(study=world.study, code="K99"))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(another_coder):
        response = researcher_client.get(reverse("retrieval", args=[world.study.pk]))
    assert late, "the wrapper never saw the page query"
    assert response.status_code == 200
    assert "Ny i levende live" not in response.content.decode()
    assert "Ny i levende live" in researcher_client.get(reverse("retrieval", args=[world.study.pk])).content.decode()


def test_export_follows_the_filter_and_parses_back(researcher_client, world):
    response = researcher_client.get(
        reverse("retrieval_export", args=[world.study.pk]),
        {"code": world.medvirkning.pk, "session_kind": "focus_group"},
    )
    rows = read_csv(response)
    assert rows[0] == ["Codes", "Excerpt", "Source", "Session", "Speakers", "Groups", "Flags", "Memo"]
    assert [row[1] for row in rows[1:]] == [world.e1.text, world.e2.text, world.e3.text]
    e2 = rows[2]
    assert e2[0] == "Innovasjon / Medvirkning; Ledelse"
    assert "æøå ÆØÅ" in e2[1]
    assert e2[2:6] == ["T1 fokusgruppe", "S01", "AG1, TV1", "Arbeidsgiver, Tillitsvalgt"]
    assert e2[6].lower() == "counter-finding"
    assert e2[7] == "Motstemme – viktig for drøftingen"
    assert rows[3][4:6] == ["", ""]


def test_export_with_a_bad_filter_is_refused(researcher_client, world):
    response = researcher_client.get(reverse("retrieval_export", args=[world.study.pk]), {"attribute_min": "x"})
    assert response.status_code == 400


def test_empty_state_says_what_to_do(researcher_client, supervisor_client, study):
    content = researcher_client.get(reverse("retrieval", args=[study.pk])).content.decode()
    assert "No codes and no excerpts yet." in content and "select text and apply a code" in content
    content = supervisor_client.get(reverse("retrieval", args=[study.pk])).content.decode()
    assert "The researcher has not coded any text yet." in content


def test_supervisor_reads_every_page_and_export(supervisor_client, world):
    for name in URL_NAMES:
        response = supervisor_client.get(reverse(name, args=[world.study.pk]))
        assert response.status_code == 200, name
    content = supervisor_client.get(reverse("retrieval", args=[world.study.pk])).content.decode()
    assert 'data-excerpt-id="' in content


@pytest.mark.parametrize("name", URL_NAMES)
def test_outsider_gets_404_and_anonymous_goes_to_login(outsider_client, client, world, name):
    url = reverse(name, args=[world.study.pk])
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.get(url, {"code": world.medvirkning.pk}).status_code == 404
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_only_current_sources_count(researcher_client, world):
    world.n1.is_current = False
    world.n1.save(update_fields=["is_current"])
    assert found(researcher_client, world.study) == ids(world.e1, world.e2, world.e3)


@pytest.mark.parametrize("extra_codes", [0, 600])
def test_retrieval_query_count_does_not_grow_with_the_codebook(
    researcher_client, study, researcher, django_assert_num_queries, extra_codes
):
    parent, group = many_excerpts(study, researcher, 3)
    Code.objects.bulk_create(
        Code(study=study, name=f"Kode {n}", position=n, created_by=researcher) for n in range(extra_codes)
    )
    with django_assert_num_queries(12):
        response = researcher_client.get(
            reverse("retrieval", args=[study.pk]), {"code": parent.pk, "descendants": 1, "group": group.pk}
        )
    body = response.content.decode()
    assert body.count('">Kode ') == extra_codes
    assert f'<option value="{parent.pk}" selected>Forutsetninger</option>' in body
    assert f'<option value="{group.pk}" selected>Arbeidsgiver</option>' in body


def test_retrieval_select_options_are_escaped(researcher_client, study, researcher):
    code_create(study=study, actor=researcher, name='<script>alert(1)</script> "&"')
    body = researcher_client.get(reverse("retrieval", args=[study.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&quot;</option>" in body and "<script>alert" not in body
