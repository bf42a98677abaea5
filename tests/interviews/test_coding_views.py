"""The coding view and its writes: offsets checked, forged input refused, escaping, query count, roles."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import get_language

from cases.models import AuditEvent
from interviews.models import Code, Coding, CodingAction, Excerpt, Source
from interviews.selectors_codebook import codebook_fingerprint
from interviews.services.codebook import code_update
from interviews.services.excerpts import excerpt_create
from interviews.views import coding_parts
from tests.factories import InformantFactory, StudyFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
TRANSCRIPT = (
    "Moderator: Hva betyr innovasjon for dere?\n"
    "I1: Det er når vi finner nye måter å jobbe på 😀 sammen med kundene.\n"
    "I2: Jeg tror noen ikke helt ser konsekvensen av det.\n"
    "Moderator: Kan du si mer?\n"
    "I2: Vi må lære av hverandre & dele <erfaringer>.\n"
)
SENTENCE = "Jeg tror noen ikke helt ser konsekvensen av det."
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture
def informants(study):
    return {"I1": InformantFactory(study=study, code="K1"), "I2": InformantFactory(study=study, code="K2")}


@pytest.fixture
def source(study, informants):
    return make_source(study, TRANSCRIPT, informants=informants)


@pytest.fixture
def codes(study):
    rq = make_code(study, "RQ1", origin=Code.Origin.GUIDE)
    return {
        "rq": rq,
        "kjennskap": make_code(study, "Kjennskap til innovasjon", parent=rq, shortcut="1", colour="#457b9d"),
        "læring": make_code(study, "Læring", parent=rq, shortcut="2"),
        "dropped": make_code(study, "Gammel kode", status=Code.Status.DROPPED),
    }


def create_url(study):
    return reverse("excerpt_create", args=[study.pk])


def selection(source, text: str, **extra) -> dict:
    start = source.text.index(text)
    return {"source": source.pk, "start": start, "end": start + len(text), "text": text, **extra}


def text_of(markup: str) -> str:
    """What the browser shows in #coding-text: the spans' text."""
    inner = re.search(r'id="coding-text"[^>]*>(.*?)</div>', markup, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]*>", "", inner))


# --- reading ----------------------------------------------------------------------------------------------


def test_coding_view_shows_text_turns_highlights_margin_and_picker(researcher_client, study, source, codes):
    excerpt = make_excerpt(
        source, source.text.index(SENTENCE), source.text.index(SENTENCE) + len(SENTENCE), codes["læring"]
    )
    excerpt.memo = "Viktig sitat"
    excerpt.save()
    response = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert text_of(body) == TRANSCRIPT
    assert f'data-excerpts="{excerpt.pk}"' in body
    assert 'class="turn-label turn-start"' in body and 'data-speaker="I2 → K2"' in body
    assert f'id="excerpt-{excerpt.pk}"' in body and "Viktig sitat" in body and "RQ1 › Læring" in body
    # The picker lists active codes with their paths, shortcuts and colours, not dropped ones.
    assert 'data-path="rq1 › kjennskap til innovasjon"' in body and "<kbd>1</kbd>" in body
    assert 'data-code-colour="#457b9d"' in body
    assert "Gammel kode" not in body
    assert 'id="code-search"' in body and 'id="undo"' in body
    assert "js/coding.js" in body and "<script>" not in body.replace("<script src=", "")


def test_empty_source_says_what_to_do(researcher_client, study, source):
    body = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert "Nothing coded yet. Select a sentence" in body
    assert "No active codes yet." in body


def test_supervisor_reads_without_picker_or_buttons(supervisor_client, study, source, codes):
    make_excerpt(source, 0, 10, codes["læring"])
    response = supervisor_client.get(reverse("coding_view", args=[study.pk, source.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and 'data-can-edit="0"' in body and "Read only" in body
    assert 'id="code-search"' not in body and 'id="undo"' not in body
    assert 'data-action="delete"' not in body and 'data-action="remove"' not in body
    assert "RQ1 › Læring" in body


def test_supervisor_cannot_write(supervisor_client, study, source, codes):
    excerpt = make_excerpt(source, 0, 10, codes["læring"])
    assert (
        supervisor_client.post(create_url(study), selection(source, SENTENCE, code=codes["læring"].pk)).status_code
        == 403
    )
    assert supervisor_client.post(reverse("excerpt_delete", args=[study.pk, excerpt.pk])).status_code == 403
    assert supervisor_client.get(reverse("excerpt_detail", args=[study.pk, excerpt.pk])).status_code == 403
    assert Excerpt.objects.count() == 1


def test_other_studies_source_is_404(outsider_client, researcher_client, study, source, outsider):
    assert outsider_client.get(reverse("coding_view", args=[study.pk, source.pk])).status_code == 404
    other = StudyFactory()
    other_source = make_source(other, "Annen tekst")
    assert researcher_client.get(reverse("coding_view", args=[study.pk, other_source.pk])).status_code == 404


def test_query_count_does_not_grow_with_excerpts(researcher_client, study, source, codes, django_assert_num_queries):
    def fill(count: int) -> None:
        Excerpt.objects.all().delete()
        length = len(source.text)
        for index in range(count):
            start = (index * 7) % (length - 20)
            excerpt = make_excerpt(source, start, start + 5 + index % 15, codes["læring"], codes["kjennskap"])
            excerpt.speakers.add(*study.informants.all())
        first, second = Excerpt.objects.order_by("id")[:2]
        first.corroborates.add(second)

    url = reverse("coding_view", args=[study.pk, source.pk])
    fill(3)
    researcher_client.get(url)  # session warm-up
    with django_assert_num_queries(11) as three:
        assert researcher_client.get(url).status_code == 200
    fill(60)
    with django_assert_num_queries(11) as sixty:
        response = researcher_client.get(url)
    assert response.content.decode().count('class="list-group-item margin-item') == 60
    assert len(three.captured_queries) == len(sixty.captured_queries)


def test_an_excerpt_saved_by_another_coder_while_the_page_is_read_is_left_for_the_next_page(
    researcher_client, study, source, codes
):
    """Found by the load test: an excerpt committed between the page's excerpt query and its codings query."""
    make_excerpt(source, 0, 10, codes["læring"])
    url = reverse("coding_view", args=[study.pk, source.pk])
    researcher_client.get(url)  # session warm-up
    late = []

    def another_coder_saves(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not late and sql.startswith('SELECT "interviews_excerpt"."id"') and "ORDER BY" in sql:
            late.append(None)  # before the write: it runs through this wrapper too
            other = make_excerpt(source, 20, 30, codes["kjennskap"])
            other.speakers.add(*study.informants.all())
            other.corroborates.add(Excerpt.objects.order_by("id").first())
        return result

    with connection.execute_wrapper(another_coder_saves):
        response = researcher_client.get(url)
    assert late, "the wrapper never saw the excerpt query"
    assert response.status_code == 200
    assert response.content.decode().count('class="list-group-item margin-item') == 1
    # The next page shows it.
    assert researcher_client.get(url).content.decode().count('class="list-group-item margin-item') == 2


# Applying a code: session, user with membership and study; the source with the codebook's fingerprint, the turns of the selected
# lines with their speakers' consent, one INSERT that locks the source if unchanged and writes the excerpt with its
# history row, codings, speakers, undo record and audit row, and reads the other excerpts of the lines shown.
# No transaction around them.
APPLY_QUERIES = 5


@pytest.mark.parametrize("existing, more_codes", [(3, 0), (60, 40)])
def test_applying_a_code_has_a_pinned_query_count(
    researcher_client, study, source, codes, informants, existing, more_codes, django_assert_num_queries
):
    length = len(source.text)
    for index in range(existing):
        start = (index * 7) % (length - 20)
        make_excerpt(source, start, start + 5 + index % 15, codes["læring"])
    extra = [make_code(study, f"Kode {index}", parent=codes["rq"]) for index in range(more_codes)]
    applied = [codes["kjennskap"], *extra[:5]]
    researcher_client.get(reverse("coding_view", args=[study.pk, source.pk]))  # session warm-up
    with django_assert_num_queries(APPLY_QUERIES):
        response = researcher_client.post(
            create_url(study), selection(source, SENTENCE, code=[code.pk for code in applied]), **FETCH
        )
    assert response.status_code == 200
    excerpt = Excerpt.objects.get(text=SENTENCE)
    assert excerpt.history.count() == 1
    assert set(excerpt.codes.all()) == set(applied)
    assert list(excerpt.speakers.values_list("code", flat=True)) == ["K2"]
    assert CodingAction.objects.filter(excerpt_id=excerpt.pk, kind=CodingAction.Kind.EXCERPT_CREATED).count() == 1
    assert AuditEvent.objects.filter(action="excerpt.created", target_id=excerpt.pk).count() == 1
    assert f'id="excerpt-{excerpt.pk}"' in response.content.decode()
    assert "K2" in response.content.decode()


def test_applying_a_code_locks_the_source_row_only_while_it_writes(researcher_client, study, source, codes):
    """Two coders on one source wait for each other on its row, not on the study's, and only for one statement."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = researcher_client.post(
            create_url(study), selection(source, SENTENCE, code=[codes["kjennskap"].pk]), **FETCH
        )
    assert response.status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    assert not [query for query in sql if "FOR UPDATE" in query]  # nothing locked while reading and checking
    (writing,) = [query for query in sql if "FOR NO KEY UPDATE" in query]
    lock = writing.split("locked_0 AS (", 1)[1].split(" FOR NO KEY UPDATE", 1)[0]
    assert lock.startswith(f'SELECT "id" FROM "interviews_source" WHERE "id" = {source.pk} AND "updated_at" = ')
    assert lock.endswith('AND "is_current" = true') and "cases_study" not in lock


def _before_the_write(change):
    """An execute wrapper that runs ``change`` (another user's committed write) just before the excerpt's INSERT."""
    done = []

    def wrapper(execute, sql, params, many, context):
        if not done and sql.startswith("WITH") and '"interviews_excerpt"' in sql:
            done.append(None)  # before the change: it runs through this wrapper too
            change()
        return execute(sql, params, many, context)

    return wrapper, done


@pytest.mark.django_db(transaction=True)
def test_a_source_edited_between_reading_and_writing_is_read_again_and_the_excerpt_written(
    researcher_client, study, source, codes
):
    from django.utils import timezone

    wrapper, done = _before_the_write(
        lambda: Source.objects.filter(pk=source.pk).update(title="Nytt navn", updated_at=timezone.now())
    )
    with connection.execute_wrapper(wrapper):
        response = researcher_client.post(
            create_url(study), selection(source, SENTENCE, code=[codes["kjennskap"].pk]), **FETCH
        )
    assert done and response.status_code == 200
    excerpt = Excerpt.objects.get(text=SENTENCE)
    assert excerpt.history.count() == 1 and list(excerpt.codes.all()) == [codes["kjennskap"]]
    assert AuditEvent.objects.filter(action="excerpt.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_source_replaced_between_reading_and_writing_gets_nothing_written(researcher_client, study, source, codes):
    from django.utils import timezone

    wrapper, done = _before_the_write(
        lambda: Source.objects.filter(pk=source.pk).update(is_current=False, updated_at=timezone.now())
    )
    with connection.execute_wrapper(wrapper):
        response = researcher_client.post(
            create_url(study), selection(source, SENTENCE, code=[codes["kjennskap"].pk]), **FETCH
        )
    assert done and response.status_code == 400
    assert "old version" in response.json()["errors"][0]
    assert not Excerpt.objects.exists() and not Coding.objects.exists() and not CodingAction.objects.exists()
    assert not Excerpt.history.exists() and not AuditEvent.objects.filter(action="excerpt.created").exists()


def test_inside_a_transaction_a_changed_source_refuses_with_a_reason(study, source, codes, researcher):
    """The refused statement spoils the caller's transaction: no second try inside it, a message instead."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    start = source.text.index(SENTENCE)
    Source.objects.filter(pk=source.pk).update(updated_at=timezone.now())  # since `source` was loaded
    with pytest.raises(ValidationError, match="changed while you were coding"), transaction.atomic():
        excerpt_create(
            source=source, actor=researcher, start=start, end=start + len(SENTENCE), text=SENTENCE,
            code_ids=[codes["kjennskap"].pk],
        )  # fmt: skip
    assert not Excerpt.objects.exists()


# --- creating excerpts ------------------------------------------------------------------------------------


def test_apply_codes_to_a_selection(researcher_client, study, source, codes, informants):
    response = researcher_client.post(
        create_url(study), selection(source, SENTENCE, code=[codes["læring"].pk, codes["kjennskap"].pk]), **FETCH
    )
    assert response.status_code == 200
    excerpt = Excerpt.objects.get()
    assert excerpt.text == SENTENCE == source.text[excerpt.start : excerpt.end]
    assert set(excerpt.codes.all()) == {codes["læring"], codes["kjennskap"]}
    assert list(excerpt.speakers.all()) == [informants["I2"]]
    body = response.content.decode()
    # The answer carries only the changed line of text, the new margin item and the toolbar.
    assert "<html" not in body and 'data-target="coding-toolbar"' in body and "Coded " in body
    assert 'data-target="coding-text"' not in body and 'data-target="coding-codes"' not in body
    assert f'<template data-margin-item="{excerpt.pk}"><li class="list-group-item margin-item' in body
    ((low, high, spans),) = re.findall(r'<template data-text-window="(\d+) (\d+)">(.*?)</template>', body, re.S)
    line = f"I2: {SENTENCE}\n"
    assert (int(low), int(high)) == (source.text.index(line), source.text.index(line) + len(line))
    assert f'data-excerpts="{excerpt.pk}"' in spans and html.unescape(re.sub(r"<[^>]*>", "", spans)) == line
    # The same spans as the whole page renders there, so the browser can swap them in place.
    page = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert spans in page
    assert AuditEvent.objects.filter(action="excerpt.created", target_id=excerpt.pk).exists()


def test_the_lines_sent_back_show_the_other_excerpts_there_as_the_page_does(researcher_client, study, source, codes):
    """The other excerpts of the lines shown are read by the statement that writes: the same spans as the page."""
    line = f"I2: {SENTENCE}\n"
    low = source.text.index(line)
    high = low + len(line)
    inside = make_excerpt(source, low + 4, low + 12, codes["læring"])  # overlaps the selection
    into = make_excerpt(source, low - 6, low + 6, codes["kjennskap"])  # from the line before into this one
    elsewhere = make_excerpt(source, high + 2, high + 8, codes["læring"])  # the next line: not sent
    response = researcher_client.post(
        create_url(study), selection(source, SENTENCE, code=[codes["kjennskap"].pk]), **FETCH
    )
    assert response.status_code == 200
    excerpt = Excerpt.objects.get(text=SENTENCE)
    ((window_low, window_high, spans),) = re.findall(
        r'<template data-text-window="(\d+) (\d+)">(.*?)</template>', response.content.decode(), re.S
    )
    assert (int(window_low), int(window_high)) == (low, high)
    shown = {int(pk) for found in re.findall(r'data-excerpts="([^"]*)"', spans) for pk in found.split()}
    assert shown == {inside.pk, into.pk, excerpt.pk} and elsewhere.pk not in shown
    page = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert spans in page


def test_offsets_count_code_points_after_an_emoji(researcher_client, study, source, codes):
    words = "sammen med kundene."
    start = source.text.index(words)
    assert source.text[start - 2] == "😀"
    response = researcher_client.post(create_url(study), selection(source, words, code=codes["læring"].pk), **FETCH)
    assert response.status_code == 200
    excerpt = Excerpt.objects.get()
    assert (excerpt.start, excerpt.text) == (start, words)


def test_plain_form_post_redirects_to_the_excerpt(researcher_client, study, source, codes):
    response = researcher_client.post(create_url(study), selection(source, SENTENCE, code=codes["læring"].pk))
    excerpt = Excerpt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("coding_view", args=[study.pk, source.pk]) + f"#excerpt-{excerpt.pk}"


def test_in_vivo_code_from_the_selected_words(researcher_client, study, source, codes):
    words = "lære av hverandre"
    response = researcher_client.post(
        create_url(study), selection(source, words, in_vivo="1", parent=codes["rq"].pk), **FETCH
    )
    assert response.status_code == 200
    code = Code.objects.get(name="lære av hverandre")
    assert code.origin == Code.Origin.IN_VIVO and code.parent == codes["rq"]
    assert list(Excerpt.objects.get().codes.all()) == [code]
    body = response.content.decode()
    assert 'data-target="coding-codes"' in body and "RQ1 › lære av hverandre" in body


@pytest.mark.parametrize(
    "forged",
    [
        {"start": -1},
        {"end": len(TRANSCRIPT) + 1},
        {"start": 10, "end": 5},
        {"text": "Jeg tror at noen ikke helt ser konsekvensen av det."},
        {"text": SENTENCE.upper()},
        {"start": "ti"},
        {"code": "x"},
        {"code": []},
    ],
)
def test_forged_selection_is_400_and_writes_nothing(researcher_client, study, source, codes, forged):
    data = selection(source, SENTENCE, code=codes["læring"].pk) | forged
    actions_before = CodingAction.objects.count()
    response = researcher_client.post(create_url(study), data, **FETCH)
    assert response.status_code == 400
    assert json.loads(response.content)["errors"]
    assert not Excerpt.objects.exists() and not Coding.objects.exists()
    assert CodingAction.objects.count() == actions_before


def test_offset_forgery_without_fetch_header_is_also_400(researcher_client, study, source, codes):
    data = selection(source, SENTENCE, code=codes["læring"].pk) | {"start": 0}
    response = researcher_client.post(create_url(study), data)
    assert response.status_code == 400 and "does not match" in response.content.decode()
    assert not Excerpt.objects.exists()


def test_in_vivo_is_rolled_back_when_the_offsets_are_forged(researcher_client, study, source):
    data = selection(source, SENTENCE, in_vivo="1") | {"text": "noe annet"}
    assert researcher_client.post(create_url(study), data, **FETCH).status_code == 400
    assert not Code.objects.filter(origin=Code.Origin.IN_VIVO).exists()


def test_codes_of_another_study_or_dropped_are_400(researcher_client, study, source, codes):
    foreign = make_code(StudyFactory(), "Fremmed")
    for code in (foreign, codes["dropped"]):
        response = researcher_client.post(
            create_url(study), selection(source, SENTENCE, code=[codes["læring"].pk, code.pk]), **FETCH
        )
        assert response.status_code == 400
    assert not Excerpt.objects.exists()


def test_source_of_another_study_is_404(researcher_client, study, codes):
    other_source = make_source(StudyFactory(), "I1: Annen tekst her.")
    data = {"source": other_source.pk, "start": 4, "end": 9, "text": "Annen", "code": codes["læring"].pk}
    assert researcher_client.post(create_url(study), data, **FETCH).status_code == 404
    for beyond_any_key in (2**31, 2**40, 2**63):
        data["source"] = beyond_any_key
        assert researcher_client.post(create_url(study), data, **FETCH).status_code in (400, 404)
    assert not Excerpt.objects.exists()


# --- changing excerpts ------------------------------------------------------------------------------------


@pytest.fixture
def excerpt(source, codes, researcher):
    start = source.text.index(SENTENCE)
    return excerpt_create(
        source=source,
        actor=researcher,
        start=start,
        end=start + len(SENTENCE),
        text=SENTENCE,
        code_ids=[codes["læring"].pk],
    )


def test_adjust_boundaries(researcher_client, study, source, excerpt):
    words = "Jeg tror noen"
    start = source.text.index(words)
    url = reverse("excerpt_adjust", args=[study.pk, excerpt.pk])
    response = researcher_client.post(url, {"start": start, "end": start + len(words), "text": words}, **FETCH)
    assert response.status_code == 200
    excerpt.refresh_from_db()
    assert (excerpt.start, excerpt.end, excerpt.text) == (start, start + len(words), words)
    forged = researcher_client.post(url, {"start": start, "end": start + 5, "text": "Hallo"}, **FETCH)
    assert forged.status_code == 400
    excerpt.refresh_from_db()
    assert excerpt.text == words


def test_add_and_remove_codes(researcher_client, study, excerpt, codes):
    add = reverse("excerpt_code_add", args=[study.pk, excerpt.pk])
    remove = reverse("excerpt_code_remove", args=[study.pk, excerpt.pk])
    assert researcher_client.post(add, {"code": codes["kjennskap"].pk}, **FETCH).status_code == 200
    assert set(excerpt.codes.all()) == {codes["læring"], codes["kjennskap"]}
    foreign = make_code(StudyFactory(), "Fremmed")
    assert researcher_client.post(add, {"code": foreign.pk}, **FETCH).status_code == 400
    assert researcher_client.post(add, {"code": codes["dropped"].pk}, **FETCH).status_code == 400
    assert researcher_client.post(add, {}, **FETCH).status_code == 400
    kept = researcher_client.post(remove, {"code": codes["læring"].pk}, **FETCH)
    assert kept.status_code == 200
    assert list(excerpt.codes.all()) == [codes["kjennskap"]]
    # The margin item is replaced, not removed.
    assert (
        f'data-margin-item="{excerpt.pk}"' in kept.content.decode()
        and "data-margin-remove" not in kept.content.decode()
    )
    # Removing the last code removes the excerpt, and the answer tells the page which margin item goes.
    gone = researcher_client.post(remove, {"code": codes["kjennskap"].pk}, **FETCH)
    assert gone.status_code == 200
    assert not Excerpt.objects.exists()
    assert f'<template data-margin-remove="{excerpt.pk}"></template>' in gone.content.decode()
    assert "data-margin-item" not in gone.content.decode()


def test_excerpt_of_another_study_is_404(researcher_client, study, codes):
    other = StudyFactory()
    foreign_source = make_source(other, "I1: Annen tekst her.")
    foreign = make_excerpt(foreign_source, 4, 9, make_code(other, "Fremmed"))
    for name, data in [
        ("excerpt_adjust", {"start": 4, "end": 9, "text": "Annen"}),
        ("excerpt_code_add", {"code": codes["læring"].pk}),
        ("excerpt_code_remove", {"code": codes["læring"].pk}),
        ("excerpt_delete", {}),
        ("excerpt_detail", {}),
    ]:
        assert researcher_client.post(reverse(name, args=[study.pk, foreign.pk]), data, **FETCH).status_code == 404, (
            name
        )
    assert (
        researcher_client.post(reverse("coding_undo", args=[study.pk, foreign_source.pk]), **FETCH).status_code == 404
    )
    assert Excerpt.objects.filter(pk=foreign.pk, start=4).exists()


def test_delete_then_undo_then_undo_creation(researcher_client, study, source, codes):
    researcher_client.post(create_url(study), selection(source, SENTENCE, code=codes["læring"].pk), **FETCH)
    excerpt = Excerpt.objects.get()
    response = researcher_client.post(reverse("excerpt_delete", args=[study.pk, excerpt.pk]), **FETCH)
    assert response.status_code == 200 and not Excerpt.objects.exists()
    undo = reverse("coding_undo", args=[study.pk, source.pk])
    response = researcher_client.post(undo, **FETCH)
    assert "Undone: Excerpt deleted." in response.content.decode()
    restored = Excerpt.objects.get()
    assert restored.text == SENTENCE and list(restored.codes.all()) == [codes["læring"]]
    researcher_client.post(undo, **FETCH)
    assert not Excerpt.objects.exists()
    assert "Nothing to undo." in researcher_client.post(undo, **FETCH).content.decode()


# --- details ----------------------------------------------------------------------------------------------


def detail_data(**overrides) -> dict:
    return {"memo": "", "condensed_meaning": "", "speakers": [], "corroborates": []} | overrides


def test_detail_panel_saves_memo_flags_speakers_and_corroborations(
    researcher_client, study, source, excerpt, codes, informants
):
    other = make_excerpt(source, 0, 9, codes["kjennskap"])
    url = reverse("excerpt_detail", args=[study.pk, excerpt.pk])
    panel = researcher_client.get(url, **FETCH)
    assert (
        panel.status_code == 200 and "<html" not in panel.content.decode() and 'name="memo"' in panel.content.decode()
    )
    assert "<html" in researcher_client.get(url).content.decode()
    data = detail_data(
        memo="Sterk formulering",
        condensed_meaning="Noen ser ikke konsekvensene",
        is_deviant="on",
        has_identifying_details="on",
        speakers=[informants["I2"].pk],
        corroborates=[other.pk],
    )
    assert researcher_client.post(url, data, **FETCH).status_code == 200
    excerpt.refresh_from_db()
    assert excerpt.memo == "Sterk formulering" and excerpt.is_deviant and excerpt.has_identifying_details
    assert not excerpt.is_counter_finding
    assert list(excerpt.corroborates.all()) == [other] and list(other.corroborates.all()) == [excerpt]
    # The same speakers as derived: no override.
    assert not excerpt.speakers_overridden


def test_speaker_override_and_reset(researcher_client, study, source, excerpt, informants):
    url = reverse("excerpt_detail", args=[study.pk, excerpt.pk])
    assert list(excerpt.speakers.all()) == [informants["I2"]] and not excerpt.speakers_overridden
    response = researcher_client.post(url, detail_data(speakers=[informants["I1"].pk]), **FETCH)
    assert response.status_code == 200
    excerpt.refresh_from_db()
    assert excerpt.speakers_overridden and list(excerpt.speakers.all()) == [informants["I1"]]
    researcher_client.post(url, detail_data(speakers=[informants["I1"].pk], reset_speakers="1"), **FETCH)
    excerpt.refresh_from_db()
    assert not excerpt.speakers_overridden and list(excerpt.speakers.all()) == [informants["I2"]]


def test_detail_changes_are_undone_by_ctrl_z(researcher_client, study, source, excerpt, codes, informants):
    other = make_excerpt(source, 0, 9, codes["kjennskap"])
    excerpt.memo = "Første notat"
    excerpt.save()
    url = reverse("excerpt_detail", args=[study.pk, excerpt.pk])
    undo = reverse("coding_undo", args=[study.pk, source.pk])
    data = detail_data(
        memo="Nytt notat",
        condensed_meaning="Kort mening",
        is_counter_finding="on",
        speakers=[informants["I1"].pk],
        corroborates=[other.pk],
    )
    response = researcher_client.post(url, data, **FETCH)
    assert response.status_code == 200 and 'id="undo"' in response.content.decode()
    excerpt.refresh_from_db()
    assert excerpt.speakers_overridden and excerpt.corroborates.exists()

    response = researcher_client.post(undo, **FETCH)
    assert "Undone: Excerpt details changed." in response.content.decode()
    excerpt.refresh_from_db()
    assert excerpt.memo == "Første notat" and excerpt.condensed_meaning == "" and not excerpt.is_counter_finding
    assert not excerpt.speakers_overridden and list(excerpt.speakers.all()) == [informants["I2"]]
    assert not excerpt.corroborates.exists() and not other.corroborates.exists()
    assert AuditEvent.objects.filter(action="coding.undone", data__undone="details_changed").exists()


def test_saving_unchanged_details_records_nothing_to_undo(researcher_client, study, source, excerpt, informants):
    url = reverse("excerpt_detail", args=[study.pk, excerpt.pk])
    CodingAction.objects.all().delete()
    assert researcher_client.post(url, detail_data(speakers=[informants["I2"].pk]), **FETCH).status_code == 200
    assert not CodingAction.objects.exists()


def test_undo_of_details_is_per_user(researcher_client, co_researcher_client, study, source, excerpt):
    researcher_client.post(reverse("excerpt_detail", args=[study.pk, excerpt.pk]), detail_data(memo="Mitt"), **FETCH)
    response = co_researcher_client.post(reverse("coding_undo", args=[study.pk, source.pk]), **FETCH)
    assert "Nothing to undo." in response.content.decode()
    excerpt.refresh_from_db()
    assert excerpt.memo == "Mitt"


def test_corroboration_picker_lists_only_linked_excerpts_and_searches_the_rest(
    researcher_client, study, source, excerpt, codes
):
    linked = make_excerpt(source, 0, 9, codes["kjennskap"])
    excerpt.corroborates.add(linked)
    unlinked = make_excerpt(
        source, source.text.index("Vi må lære"), source.text.index("Vi må lære") + 10, codes["læring"]
    )
    panel = researcher_client.get(reverse("excerpt_detail", args=[study.pk, excerpt.pk]), **FETCH).content.decode()
    assert f'value="{linked.pk}"' in panel and f'value="{unlinked.pk}"' not in panel
    search = reverse("excerpt_corroboration_search", args=[study.pk, excerpt.pk])
    assert 'hx-get="' + search in panel

    found = researcher_client.get(search, {"q": "vi MÅ lære"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{unlinked.pk}"' in found and 'name="corroborates"' in found and "<html" not in found
    assert f'value="{linked.pk}"' not in found and f'value="{excerpt.pk}"' not in found
    assert "No other excerpt matches." in researcher_client.get(search, {"q": "finnes ikke"}).content.decode()
    assert 'name="corroborates"' not in researcher_client.get(search, {"q": "v"}).content.decode()

    # A result ticked in the panel is saved with the rest.
    data = detail_data(corroborates=[linked.pk, unlinked.pk], speakers=[excerpt.speakers.get().pk])
    assert (
        researcher_client.post(reverse("excerpt_detail", args=[study.pk, excerpt.pk]), data, **FETCH).status_code == 200
    )
    assert set(excerpt.corroborates.all()) == {linked, unlinked}


def test_corroboration_search_is_limited_and_its_query_count_pinned(
    researcher_client, study, source, excerpt, codes, django_assert_num_queries
):
    from interviews.views.coding import CORROBORATION_RESULTS

    search = reverse("excerpt_corroboration_search", args=[study.pk, excerpt.pk])
    researcher_client.get(search, {"q": source.title})  # session warm-up
    counts = []
    for extra in (3, CORROBORATION_RESULTS + 10):
        Excerpt.objects.exclude(pk=excerpt.pk).delete()
        for index in range(extra):
            make_excerpt(source, index, index + 9, codes["kjennskap"])
        # session, user with membership and study, the excerpt, the results
        with django_assert_num_queries(4) as captured:
            body = researcher_client.get(search, {"q": source.title}).content.decode()
        counts.append(len(captured.captured_queries))
        assert body.count('name="corroborates"') == min(extra, CORROBORATION_RESULTS)
    assert counts[0] == counts[1]


def test_corroboration_search_is_refused_to_supervisors_and_other_studies(
    supervisor_client, researcher_client, study, excerpt, codes
):
    assert (
        supervisor_client.get(
            reverse("excerpt_corroboration_search", args=[study.pk, excerpt.pk]), {"q": "jeg"}
        ).status_code
        == 403
    )
    other = StudyFactory()
    foreign = make_excerpt(make_source(other, "I1: Jeg tror det."), 4, 9, make_code(other, "Fremmed"))
    assert (
        researcher_client.get(
            reverse("excerpt_corroboration_search", args=[study.pk, foreign.pk]), {"q": "jeg"}
        ).status_code
        == 404
    )
    found = researcher_client.get(
        reverse("excerpt_corroboration_search", args=[study.pk, excerpt.pk]), {"q": "Jeg tror"}
    )
    assert f'value="{foreign.pk}"' not in found.content.decode()


def test_detail_refuses_informants_and_excerpts_of_another_study(researcher_client, study, excerpt):
    other = StudyFactory()
    stranger = InformantFactory(study=other)
    foreign = make_excerpt(make_source(other, "I1: Annen tekst."), 4, 9, make_code(other, "Fremmed"))
    url = reverse("excerpt_detail", args=[study.pk, excerpt.pk])
    assert researcher_client.post(url, detail_data(memo="x", speakers=[stranger.pk]), **FETCH).status_code == 400
    assert researcher_client.post(url, detail_data(memo="x", corroborates=[foreign.pk]), **FETCH).status_code == 400
    excerpt.refresh_from_db()
    assert excerpt.memo == "" and not excerpt.corroborates.exists()


# --- escaping ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_hostile_text_code_names_and_memos_render_as_text(researcher_client, study, payload):
    source = make_source(study, f"I1: {payload} og mer.\n{payload}: hei\n", title=payload)
    code = make_code(study, payload, shortcut="3")
    make_code(study, "Under", parent=code)
    excerpt = make_excerpt(source, 4, 4 + len(payload), code, memo=payload, condensed_meaning=payload)
    excerpt.speakers.add(InformantFactory(study=study, code="K9"))
    for response in (
        researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])),
        researcher_client.post(reverse("excerpt_code_add", args=[study.pk, excerpt.pk]), {"code": code.pk}, **FETCH),
        researcher_client.get(reverse("excerpt_detail", args=[study.pk, excerpt.pk]), **FETCH),
    ):
        body = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in body and "<img src=x" not in body
        assert html.escape(payload) in body or html.escape(payload, quote=False) in body
    page = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert text_of(page) == source.text


# --- the code picker: cached, and a lazy tree for a large codebook -------------------------------------------


def large_codebook(study, roots: int = 30, children: int = 14) -> dict[str, Code]:
    """``roots`` × ``children`` active codes (over the tree threshold at the defaults), one with a grandchild."""
    top = Code.objects.bulk_create(
        Code(study=study, name=f"Tema {n:02d}", position=n, created_by=study.created_by) for n in range(roots)
    )
    Code.objects.bulk_create(
        Code(study=study, name=f"Kode {root.pk}-{n:02d}", parent=root, position=n, created_by=study.created_by)
        for root in top
        for n in range(children)
    )
    child = Code.objects.get(name=f"Kode {top[0].pk}-00")
    grandchild = make_code(study, "Taus kunnskap", parent=child, colour="#2a9d8f")
    return {"root": top[0], "child": child, "grandchild": grandchild}


def picker(body: str) -> str:
    return re.search(r'<div id="coding-codes"[^>]*>(.*?)</div>\s*<div class="d-flex gap-1', body, re.S).group(1)


def test_a_small_codebook_is_one_flat_list_with_paths(researcher_client, study, source, codes):
    panel = picker(researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode())
    assert "data-code-tree" not in panel and "aria-expanded" not in panel
    assert panel.count('class="list-group-item list-group-item-action') == 3
    assert "RQ1 › Kjennskap til innovasjon" in panel and 'data-shortcut="1"' in panel


def test_a_large_codebook_shows_its_top_level_and_loads_sub_codes_on_demand(researcher_client, study, source, codes):
    big = large_codebook(study)
    panel = picker(researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode())
    assert "data-code-tree" in panel and "data-code-results" in panel
    # Top level only: the 30 themes and RQ1, each with a disclosure button; no sub-code yet.
    assert panel.count('aria-expanded="false"') == 31
    assert f'aria-controls="code-children-{big["root"].pk}"' in panel and big["child"].name not in panel
    # Codes with a shortcut are always at hand (the digit keys find them).
    assert 'data-shortcut="1"' in panel and "RQ1 › Kjennskap til innovasjon" in panel

    children = researcher_client.get(reverse("coding_code_children", args=[study.pk, big["root"].pk]))
    body = children.content.decode()
    assert children.status_code == 200 and body.count('name="code"') == 14
    assert f'value="{big["child"].pk}"' in body and f'aria-controls="code-children-{big["child"].pk}"' in body
    grandchildren = researcher_client.get(reverse("coding_code_children", args=[study.pk, big["child"].pk]))
    assert "Taus kunnskap" in grandchildren.content.decode()
    assert 'data-code-colour="#2a9d8f"' in grandchildren.content.decode()


def test_code_search_finds_codes_by_every_word_of_their_path(researcher_client, study, source, codes):
    big = large_codebook(study)
    url = reverse("coding_code_search", args=[study.pk])
    body = researcher_client.get(url, {"q": "tema 00  TAUS"}).content.decode()
    assert body.count('name="code"') == 1 and f'value="{big["grandchild"].pk}"' in body
    assert f"Tema 00 › {big['child'].name} › Taus kunnskap" in body
    many = researcher_client.get(url, {"q": "kode"}).content.decode()
    assert many.count('name="code"') == 50 and "The first 50 matches" in many
    assert "No active code matches" in researcher_client.get(url, {"q": "Gammel"}).content.decode()  # dropped
    assert researcher_client.get(url, {"q": ""}).content.decode().strip() == ""


def test_a_code_found_by_search_can_be_applied(researcher_client, study, source, codes):
    big = large_codebook(study)
    researcher_client.get(reverse("coding_code_search", args=[study.pk]), {"q": "taus"})
    response = researcher_client.post(
        create_url(study), selection(source, SENTENCE, code=[big["grandchild"].pk]), **FETCH
    )
    assert response.status_code == 200
    assert list(Excerpt.objects.get(text=SENTENCE).codes.all()) == [big["grandchild"]]
    assert f"Tema 00 › {big['child'].name} › Taus kunnskap" in response.content.decode()


def test_other_studies_codes_are_not_listed(researcher_client, outsider_client, study, codes):
    other = StudyFactory()
    other_code = make_code(other, "Fremmed")
    assert researcher_client.get(reverse("coding_code_children", args=[study.pk, other_code.pk])).status_code == 404
    assert outsider_client.get(reverse("coding_code_search", args=[study.pk]), {"q": "RQ"}).status_code == 404
    found = researcher_client.get(reverse("coding_code_search", args=[study.pk]), {"q": "Fremmed"})
    assert 'name="code"' not in found.content.decode()


@pytest.mark.parametrize("how", ["service", "update"])
def test_the_cached_picker_shows_a_renamed_code(researcher_client, researcher, study, source, codes, how):
    url = reverse("coding_view", args=[study.pk, source.pk])
    assert "RQ1 › Læring" in picker(researcher_client.get(url).content.decode())
    if how == "service":
        code_update(code=codes["læring"], actor=researcher, data={"name": "Læring i praksis"})
    else:  # a bulk update bypasses every save() hook; the fingerprint reads the rows themselves
        Code.objects.filter(pk=codes["læring"].pk).update(name="Læring i praksis")
    panel = picker(researcher_client.get(url).content.decode())
    assert "RQ1 › Læring i praksis" in panel and "RQ1 › Læring<" not in panel


def test_applying_a_code_reads_the_codebook_as_it_is_now(researcher_client, study, source, codes):
    """The fingerprint comes with the locked source; a rename since the last page is in the answer."""
    from interviews.views.coding import _load_source_and_fingerprint

    researcher_client.get(reverse("coding_view", args=[study.pk, source.pk]))  # caches the codebook
    Code.objects.filter(pk=codes["kjennskap"].pk).update(name="Kjennskap omdøpt")
    response = researcher_client.post(
        create_url(study), selection(source, SENTENCE, code=[codes["kjennskap"].pk]), **FETCH
    )
    assert response.status_code == 200
    assert "Kjennskap omdøpt" in response.content.decode()
    loaded, fingerprint = _load_source_and_fingerprint(study, source.pk)
    assert loaded.text == source.text
    assert fingerprint in (None, codebook_fingerprint(study))  # None where the database has no md5() in SQL


def test_the_cached_picker_follows_moves_colours_drops_and_new_codes(researcher_client, study, source, codes):
    url = reverse("coding_view", args=[study.pk, source.pk])
    researcher_client.get(url)
    Code.objects.filter(pk=codes["læring"].pk).update(parent=None)
    Code.objects.filter(pk=codes["kjennskap"].pk).update(colour="#e63946")
    codes["dropped"].status = Code.Status.ACTIVE
    codes["dropped"].save()
    make_code(study, "Ny kode")
    panel = picker(researcher_client.get(url).content.decode())
    assert 'data-path="læring"' in panel and 'data-code-colour="#e63946"' in panel
    assert "Gammel kode" in panel and "Ny kode" in panel
    codes["dropped"].delete()
    assert "Gammel kode" not in picker(researcher_client.get(url).content.decode())


@pytest.mark.parametrize("size", ["small", "large"])
def test_picker_query_counts_do_not_grow_with_the_codebook(
    researcher_client, study, source, codes, size, django_assert_num_queries
):
    big = large_codebook(study) if size == "large" else {"root": codes["rq"]}
    make_excerpt(source, 0, 10, codes["læring"])
    view = reverse("coding_view", args=[study.pk, source.pk])
    researcher_client.get(view)  # session and cache warm-up
    with django_assert_num_queries(11):
        assert researcher_client.get(view).status_code == 200
    # session, user with membership and study; the codebook's fingerprint
    with django_assert_num_queries(3):
        researcher_client.get(reverse("coding_code_children", args=[study.pk, big["root"].pk]))
    with django_assert_num_queries(3):
        researcher_client.get(reverse("coding_code_search", args=[study.pk]), {"q": "kode"})
    with django_assert_num_queries(APPLY_QUERIES):
        response = researcher_client.post(
            create_url(study), selection(source, SENTENCE, code=[codes["kjennskap"].pk]), **FETCH
        )
    assert response.status_code == 200


def test_a_codebook_that_changes_while_it_is_read_is_not_cached(study, codes, monkeypatch):
    fingerprints = iter(["before", "after"])
    monkeypatch.setattr(coding_parts, "codebook_fingerprint", lambda study: next(fingerprints))
    book = coding_parts.codebook(study)
    assert not book.cached and cache.get(f"coding:codebook:{study.pk}:before") is None
    assert "RQ1 › Læring" in coding_parts.code_panel_html(book)
    assert cache.get(f"coding:panel:{study.pk}:before:{get_language()}") is None


def test_recent_codebooks_are_kept_in_the_process_least_recently_used_out():
    recent = coding_parts._Recent(size=2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # now "b" is the least recently used
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)


def test_a_codebook_read_again_comes_from_the_process_and_an_edit_is_seen_at_once(study, codes, monkeypatch):
    first = coding_parts.codebook(study)
    monkeypatch.setattr(coding_parts.cache, "get", lambda *args, **kwargs: pytest.fail("read the shared cache"))
    again = coding_parts.codebook(study)
    assert again.fingerprint == first.fingerprint and again.paths == first.paths
    code_update(code=codes["læring"], actor=study.created_by, data={"name": "Læring i praksis"})
    monkeypatch.undo()
    assert "RQ1 › Læring i praksis" in coding_parts.codebook(study).paths.values()


def test_the_toolbar_escapes_what_it_shows_and_speaks_the_users_language():
    from django.utils import translation

    kwargs = {"can_edit": True, "can_undo": False}
    errors = coding_parts.toolbar_html(**kwargs, errors=["<b>1</b>", "to & fro"], message="ignored")
    assert '<span class="text-danger">&lt;b&gt;1&lt;/b&gt; to &amp; fro </span>' in errors and "ignored" not in errors
    coded = coding_parts.toolbar_html(**kwargs, message="Kodet <i>", warning='TV5 "uten" samtykke')
    assert "Kodet &lt;i&gt; <span" in coded and "data-consent-warning" in coded
    assert "TV5 &quot;uten&quot; samtykke</span>" in coded
    assert '<button id="undo" class="btn btn-sm btn-outline-secondary" type="button" disabled>' in coded
    assert 'type="button">' in coding_parts.toolbar_html(can_edit=True, can_undo=True)
    # A reader sees no hint to select text and no Undo.
    reader = coding_parts.toolbar_html(can_edit=False, can_undo=False)
    assert 'aria-live="polite"></div></div>' in reader and "undo" not in reader
    with translation.override("nb"):
        norsk = coding_parts.toolbar_html(**kwargs)
    with translation.override("en"):
        english = coding_parts.toolbar_html(**kwargs)
    assert "Select text, then pick a code." in english and "Undo" in english
    assert "Select text" not in norsk and "Undo" not in norsk


def test_a_refused_form_shows_its_errors_in_the_page_toolbar(researcher_client, study, excerpt):
    # Without JavaScript: the coding page again, the reasons in its status line.
    url = reverse("excerpt_code_add", args=[study.pk, excerpt.pk])
    response = researcher_client.post(url, {"code": make_code(StudyFactory(), "Fremmed").pk})
    assert response.status_code == 400
    status = re.search(r'<div id="coding-status"[^>]*>(.*?)</div>', response.content.decode(), re.S).group(1)
    assert 'class="text-danger"' in status and status.strip() != '<span class="text-danger"></span>'
