"""The code matrix and code co-occurrence: the counting rules with exact numbers, the pages and the CSV files.

See tests/interviews/analysis_data.py for the excerpts. For the row Medvirkning
(e1–e4, no roll-up), by group:

* Arbeidsgiver: e1 (AG1+AG2, counted once), e2 (AG1), e4 (AG2) → 3 excerpts, 2 informants;
* Tillitsvalgt: e2 (TV1) → 1 / 1 — e2 also counts under Arbeidsgiver;
* Unknown speaker: e3 → 1 / 0;
* total: 4 excerpts (not 5, the sum of the cells), 3 informants.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interviews.selectors_analysis import UNKNOWN, code_cooccurrence, code_matrix
from interviews.services.codebook import code_create
from tests.factories import InformantFactory
from tests.interviews.analysis_data import build, make_excerpt, make_source

# The aggregate raises its work_mem first, in a transaction of its own: set_config, and here SAVEPOINT and RELEASE.
AGGREGATE_EXTRA = 3
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(study, researcher):
    return build(study, researcher)


def counts(matrix) -> dict[str, dict[str, tuple[int, int]]]:
    """{code name: {column label: (excerpts, informants), "Total": …}}"""
    table = {}
    for row in matrix.rows:
        cells = {
            column.label: (cell.excerpts, cell.informants)
            for column, cell in zip(matrix.columns, row.cells, strict=True)
        }
        cells["Total"] = (row.total.excerpts, row.total.informants)
        table[row.code.name] = cells
    return table


def test_by_group_counts_several_informants_in_one_excerpt_and_no_known_speaker(world):
    matrix = code_matrix(world.study, by="group")
    assert [column.label for column in matrix.columns] == [
        "Arbeidsgiver",
        "Tillitsvalgt",
        "No group",
        "Unknown speaker",
    ]
    assert matrix.columns[-1].key == UNKNOWN
    table = counts(matrix)
    assert table["Medvirkning"] == {
        "Arbeidsgiver": (3, 2),
        "Tillitsvalgt": (1, 1),
        "No group": (0, 0),
        "Unknown speaker": (1, 0),
        "Total": (4, 3),
    }
    assert table["Innovasjon"] == {
        "Arbeidsgiver": (1, 2),
        "Tillitsvalgt": (0, 0),
        "No group": (0, 0),
        "Unknown speaker": (0, 0),
        "Total": (1, 2),
    }
    assert table["Tillit"]["Tillitsvalgt"] == (1, 1) and table["Tillit"]["Total"] == (1, 1)
    assert table["Ledelse"] == {
        "Arbeidsgiver": (1, 1),
        "Tillitsvalgt": (2, 1),
        "No group": (0, 0),
        "Unknown speaker": (0, 0),
        "Total": (2, 2),
    }
    # The footer counts each excerpt once across all codes.
    footer = {
        column.label: (cell.excerpts, cell.informants)
        for column, cell in zip(matrix.columns, matrix.totals, strict=True)
    }
    assert footer == {"Arbeidsgiver": (3, 2), "Tillitsvalgt": (2, 1), "No group": (0, 0), "Unknown speaker": (1, 0)}
    assert (matrix.grand_total.excerpts, matrix.grand_total.informants) == (5, 3)


def test_rows_are_in_tree_order_with_indentation(world):
    matrix = code_matrix(world.study, by="group")
    assert [(row.code.name, row.code.depth) for row in matrix.rows] == [
        ("Innovasjon", 0),
        ("Medvirkning", 1),
        ("Tillit", 2),
        ("Ledelse", 0),
    ]


def test_roll_up_counts_each_excerpt_of_the_subtree_once(world):
    table = counts(code_matrix(world.study, by="group", rollup=True))
    # Innovasjon: e1 carries Innovasjon and Medvirkning and still counts once.
    assert table["Innovasjon"] == {
        "Arbeidsgiver": (3, 2),
        "Tillitsvalgt": (2, 1),
        "No group": (0, 0),
        "Unknown speaker": (1, 0),
        "Total": (5, 3),
    }
    assert table["Ledelse"]["Total"] == (2, 2)
    # Rolled up, only the top-level codes are rows until a branch is opened.
    assert set(table) == {"Innovasjon", "Ledelse"}


def test_opening_a_branch_shows_the_children_of_each_code_on_its_path(world):
    matrix = code_matrix(world.study, by="group", rollup=True, open_id=world.medvirkning.pk)
    assert [(row.code.name, row.has_children, row.is_open) for row in matrix.rows] == [
        ("Innovasjon", True, True),
        ("Medvirkning", True, True),
        ("Tillit", False, False),
        ("Ledelse", False, False),
    ]
    assert [code.name for code in matrix.open_path] == ["Innovasjon", "Medvirkning"]
    table = counts(matrix)
    assert table["Innovasjon"]["Total"] == (5, 3)
    assert table["Medvirkning"]["Total"] == (5, 3)
    assert table["Tillit"]["Total"] == (1, 1)
    # The footer is the same whichever rows are shown.
    assert (matrix.grand_total.excerpts, matrix.grand_total.informants) == (5, 3)


def test_rows_come_in_pages_and_the_footer_counts_every_code(world):
    first = code_matrix(world.study, by="group", page_size=3)
    second = code_matrix(world.study, by="group", page_size=3, page=2)
    assert [row.code.name for row in first.rows] == ["Innovasjon", "Medvirkning", "Tillit"]
    assert [row.code.name for row in second.rows] == ["Ledelse"]
    assert second.page.number == 2 and second.page.paginator.num_pages == 2
    assert first.totals == second.totals and second.grand_total.excerpts == 5
    assert counts(second)["Ledelse"]["Total"] == (2, 2)


def test_cells_link_to_retrieval_of_their_excerpts(world):
    matrix = code_matrix(world.study, by="group")
    assert [cell.filter for cell in matrix.rows[0].cells] == [f"group={world.ag.pk}", f"group={world.tv.pk}", "", ""]
    matrix = code_matrix(world.study, by="attribute", attribute=world.years)
    assert matrix.rows[0].cells[0].filter == f"attribute={world.years.pk}&attribute_value=5"


def test_by_informant(world):
    table = counts(code_matrix(world.study, by="informant"))
    assert table["Medvirkning"] == {
        "AG1": (2, 1),
        "AG2": (2, 1),
        "TV1": (1, 1),
        "Unknown speaker": (1, 0),
        "Total": (4, 3),
    }


def test_by_site(world):
    table = counts(code_matrix(world.study, by="site"))
    assert table["Medvirkning"] == {
        "Kommune A": (2, 1),
        "Kommune B": (3, 2),
        "No site": (0, 0),
        "Unknown speaker": (1, 0),
        "Total": (4, 3),
    }


def test_by_number_and_choice_attribute(world):
    table = counts(code_matrix(world.study, by="attribute", attribute=world.years))
    assert table["Medvirkning"] == {
        "5": (2, 1),
        "12": (2, 1),
        "No value": (1, 1),
        "Unknown speaker": (1, 0),
        "Total": (4, 3),
    }
    table = counts(code_matrix(world.study, by="attribute", attribute=world.gender))
    assert table["Medvirkning"] == {
        "kvinne": (2, 2),
        "mann": (2, 1),
        "No value": (0, 0),
        "Unknown speaker": (1, 0),
        "Total": (4, 3),
    }


def test_speaker_without_group_is_not_an_unknown_speaker(world, researcher):
    loner = InformantFactory(study=world.study, code="X1")
    source = make_source(world.study, researcher, "Z", ["Uten gruppe sier dette."])
    make_excerpt(source, researcher, "Uten gruppe sier dette.", [world.ledelse], [loner])
    table = counts(code_matrix(world.study, by="group"))
    assert table["Ledelse"]["No group"] == (1, 1)
    assert table["Ledelse"]["Unknown speaker"] == (0, 0)
    assert table["Ledelse"]["Total"] == (3, 3)


def test_speakers_derived_from_turns_are_counted(study, researcher):
    from interviews.models import SpeakerLabel, SpeakerTurn
    from tests.factories import InformantGroupFactory

    group = InformantGroupFactory(study=study, label="Leder")
    informant = InformantFactory(study=study, code="L1", group=group)
    text = "Moderator: Hva skjedde?\nL1: Vi satte av tid.\n"
    source = make_source(study, researcher, "Intervju", text.splitlines())
    moderator = SpeakerLabel.objects.create(source=source, label="Moderator", role=SpeakerLabel.Role.MODERATOR)
    l1 = SpeakerLabel.objects.create(source=source, label="L1", role=SpeakerLabel.Role.INFORMANT, informant=informant)
    split = text.index("L1:")
    SpeakerTurn.objects.create(source=source, speaker=moderator, start=0, end=split, label_end=11)
    SpeakerTurn.objects.create(source=source, speaker=l1, start=split, end=len(text), label_end=split + 4)
    code = code_create(study=study, actor=researcher, name="Tid")
    make_excerpt(source, researcher, "Hva skjedde?", [code])  # the moderator: no informant
    start = text.index("Vi satte")
    from interviews.services.excerpts import excerpt_create

    excerpt_create(
        source=source, actor=researcher, start=start, end=start + 16, text="Vi satte av tid.", code_ids=[code.pk]
    )
    table = counts(code_matrix(study, by="group"))
    assert table["Tid"] == {"Leder": (1, 1), "No group": (0, 0), "Unknown speaker": (1, 0), "Total": (2, 1)}


def test_matrix_uses_three_queries_at_two_sizes(world, researcher):
    def queries(**options) -> int:
        with CaptureQueriesContext(connection) as captured:
            code_matrix(world.study, by="group", **options)
        return len(captured)

    # codes, columns, one aggregate (cells, row totals and footer in GROUPING SETS) after raising its work_mem,
    # the two in a transaction of their own (SAVEPOINT and RELEASE here, inside the test's transaction)
    small = [queries(), queries(rollup=True), queries(rollup=True, open_id=world.medvirkning.pk)]
    assert small == [3 + AGGREGATE_EXTRA] * 3
    source = make_source(world.study, researcher, "Stor", [f"Setning {n} her." for n in range(30)])
    for n in range(30):
        parent = code_create(study=world.study, actor=researcher, name=f"Ekstra {n}", parent=world.ledelse)
        child = code_create(study=world.study, actor=researcher, name=f"Under {n}", parent=parent)
        make_excerpt(source, researcher, f"Setning {n} her.", [parent, child], [world.ag1])
    large = [queries(), queries(rollup=True), queries(rollup=True, open_id=world.ledelse.pk)]
    assert large == small


def test_matrix_page(researcher_client, supervisor_client, world):
    def cells(content: str, code) -> list[str]:
        row = content[content.index(f'data-code="{code.pk}"') :]
        row = row[: row.index("</tr>")]
        return [re.sub("<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]

    url = reverse("code_matrix", args=[world.study.pk])
    for client in (researcher_client, supervisor_client):
        response = client.get(url, {"rollup": "0"})
        assert response.status_code == 200
    content = response.content.decode()
    assert cells(content, world.medvirkning) == ["3 / 2", "1 / 1", "0 / 0", "1 / 0", "4 / 3"]
    assert "ps-1" in content[content.index(f'data-code="{world.medvirkning.pk}"') :]
    retrieval = reverse("retrieval", args=[world.study.pk])
    assert f'href="{retrieval}?code={world.medvirkning.pk}&amp;group={world.ag.pk}"' in content
    # By default: the top-level codes rolled up, a branch opens with ?open=
    content = researcher_client.get(url).content.decode()
    assert f'data-code="{world.medvirkning.pk}"' not in content
    assert cells(content, world.innovasjon) == ["3 / 2", "2 / 1", "0 / 0", "1 / 0", "5 / 3"]
    assert f"open={world.innovasjon.pk}" in content
    assert f'href="{retrieval}?code={world.innovasjon.pk}&amp;descendants=1&amp;group={world.ag.pk}"' in content
    content = researcher_client.get(url, {"open": world.innovasjon.pk}).content.decode()
    assert cells(content, world.medvirkning) == ["3 / 2", "2 / 1", "0 / 0", "1 / 0", "5 / 3"]
    assert f'data-code="{world.tillit.pk}"' not in content
    response = researcher_client.get(reverse("code_matrix", args=[world.study.pk]), {"by": "informant", "rollup": "1"})
    assert response.status_code == 200 and '<th scope="col" class="text-end">AG2</th>' in response.content.decode()
    response = researcher_client.get(
        reverse("code_matrix", args=[world.study.pk]), {"by": f"attribute:{world.years.pk}"}
    )
    assert response.status_code == 200 and "No value" in response.content.decode()


def test_matrix_refuses_unknown_columns(researcher_client, world, researcher):
    from cases.models import AttributeDefinition
    from tests.factories import StudyFactory

    foreign = AttributeDefinition.objects.create(study=StudyFactory(created_by=researcher), name="Alder", kind="number")
    for by in ("colour", f"attribute:{foreign.pk}", "attribute:abc"):
        response = researcher_client.get(reverse("code_matrix", args=[world.study.pk]), {"by": by})
        assert response.status_code == 400, by
        assert "Select a valid choice" in response.content.decode()
        assert (
            researcher_client.get(reverse("code_matrix_export", args=[world.study.pk]), {"by": by}).status_code == 400
        )


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_matrix_export(researcher_client, world):
    world.ag.label = "Arbeidsgiver på skolen – æøå"
    world.ag.save()
    url = reverse("code_matrix_export", args=[world.study.pk])
    rows = read_csv(researcher_client.get(url, {"by": "group", "rollup": "0"}))
    assert rows[0][:3] == ["Code", "Arbeidsgiver på skolen – æøå: excerpts", "Arbeidsgiver på skolen – æøå: informants"]
    assert rows[0][-2:] == ["Total: excerpts", "Total: informants"]
    by_code = {row[0]: row[1:] for row in rows[1:]}
    assert by_code["Innovasjon / Medvirkning"] == ["3", "2", "1", "1", "0", "0", "1", "0", "4", "3"]
    assert by_code["All codes"] == ["3", "2", "2", "1", "0", "0", "1", "0", "5", "3"]
    # Rolled up (the default), every code is a row, counting its subtree, whatever branch the page has open.
    rows = read_csv(researcher_client.get(url, {"by": "group"}))
    by_code = {row[0]: row[1:] for row in rows[1:]}
    assert len(by_code) == 5
    assert by_code["Innovasjon / Medvirkning"] == ["3", "2", "2", "1", "0", "0", "1", "0", "5", "3"]


def test_cooccurrence_numbers(world):
    rows = code_cooccurrence(world.study)
    assert [row.code.name for row in rows] == ["Innovasjon", "Medvirkning", "Tillit", "Ledelse"]
    assert [row.counts for row in rows] == [
        [1, 1, 0, 0],
        [1, 4, 0, 1],
        [0, 0, 1, 1],
        [0, 1, 1, 2],
    ]


def test_cooccurrence_is_one_query(world):
    with CaptureQueriesContext(connection) as queries:
        code_cooccurrence(world.study)
    assert len(queries) == 2  # the codes, the self-join of codings
    assert queries[1]["sql"].count('"interviews_coding"') >= 2


def test_cooccurrence_page_and_export(researcher_client, supervisor_client, world):
    world.ledelse.name = "Ledelse – æøå"
    world.ledelse.save()
    content = supervisor_client.get(reverse("code_cooccurrence", args=[world.study.pk])).content.decode()
    row = content[content.index(f'data-code="{world.medvirkning.pk}"') :]
    row = row[: row.index("</tr>")]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:-1]] == ["1", "4", "0", "1"]
    rows = read_csv(researcher_client.get(reverse("code_cooccurrence_export", args=[world.study.pk])))
    assert rows[0] == [
        "Code",
        "Innovasjon",
        "Innovasjon / Medvirkning",
        "Innovasjon / Medvirkning / Tillit",
        "Ledelse – æøå",
    ]
    assert rows[4] == ["Ledelse – æøå", "0", "1", "1", "2"]


def test_a_large_codebooks_cooccurrence_page_shows_the_most_used_codes_and_the_csv_all(
    researcher_client, world, monkeypatch
):
    from interviews import selectors_analysis

    monkeypatch.setattr(selectors_analysis, "COOCCURRENCE_PAGE_CODES", 2)
    html = researcher_client.get(reverse("code_cooccurrence", args=[world.study.pk])).content.decode()

    # Excerpts per code: Innovasjon 1, Medvirkning 4, Tillit 1, Ledelse 2: the two most used, in tree order.
    assert re.findall(r'<tr data-code="(\d+)"', html) == [str(world.medvirkning.pk), str(world.ledelse.pk)]
    row = html[html.index(f'data-code="{world.medvirkning.pk}"') :]
    assert [cell.split(">")[-1] for cell in row[: row.index("</tr>")].split("</td>")[:-1]] == ["4", "1"]
    assert "shows the 2 codes with the most excerpts, of the 4 codes" in html
    rows = read_csv(researcher_client.get(reverse("code_cooccurrence_export", args=[world.study.pk])))
    assert len(rows) == 5 and all(len(row) == 5 for row in rows)
    monkeypatch.setattr(selectors_analysis, "COOCCURRENCE_PAGE_CODES", 4)
    html = researcher_client.get(reverse("code_cooccurrence", args=[world.study.pk])).content.decode()
    assert len(re.findall(r'<tr data-code="', html)) == 4 and 'id="cooccurrence-limited"' not in html


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 10])
def test_the_most_used_codes_are_counted_as_in_the_whole_table(world, limit):
    from interviews.selectors_analysis import code_cooccurrence_counts

    whole = code_cooccurrence_counts(world.study)
    part = code_cooccurrence_counts(world.study, most_used=limit)

    shown = part.shown
    assert [code.pk for code in shown] == [code.pk for code in whole.most_used(limit)]
    assert whole.shown == whole.codes  # without a limit every pair is counted
    assert [row.counts for row in part.rows(shown)] == [row.counts for row in whole.rows(shown)]
    assert [code.pk for code in part.codes] == [code.pk for code in whole.codes]  # "of the N codes that have any"


def test_empty_matrix_and_cooccurrence_say_what_to_do(researcher_client, study):
    assert "The codebook is empty" in researcher_client.get(reverse("code_matrix", args=[study.pk])).content.decode()
    assert (
        "No coded excerpts yet" in researcher_client.get(reverse("code_cooccurrence", args=[study.pk])).content.decode()
    )


def test_names_in_matrix_and_cooccurrence_are_escaped(researcher_client, study, researcher):
    code = code_create(study=study, actor=researcher, name="<script>alert(1)</script>")
    source = make_source(study, researcher, "K", ["Tekst her."])
    make_excerpt(source, researcher, "Tekst her.", [code])
    for name in ("code_matrix", "code_cooccurrence"):
        content = researcher_client.get(reverse(name, args=[study.pk])).content.decode()
        assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_matrix_page_queries_are_flat(researcher_client, world, researcher, django_assert_num_queries):
    url = reverse("code_matrix", args=[world.study.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert researcher_client.get(url).status_code == 200
        return len(captured)

    small = count()
    source = make_source(world.study, researcher, "Stor", [f"Setning {n} her." for n in range(30)])
    for n in range(30):
        code = code_create(study=world.study, actor=researcher, name=f"Ekstra {n}")
        make_excerpt(source, researcher, f"Setning {n} her.", [code], [world.ag1])
    # 2 that every study page makes (session, user with membership and study), attribute definitions, codes, groups, the aggregate
    with django_assert_num_queries(small):
        assert researcher_client.get(url).status_code == 200
    assert small == 6 + AGGREGATE_EXTRA


def test_matrix_export_streams_with_flat_queries(researcher_client, world, researcher, django_assert_num_queries):
    url = reverse("code_matrix_export", args=[world.study.pk])

    def export() -> list[list[str]]:
        response = researcher_client.get(url)
        assert response.streaming
        return read_csv(response)

    # 2 that every study page makes, attribute definitions, codes, groups, the aggregate: all before the first byte
    with django_assert_num_queries(6 + AGGREGATE_EXTRA):
        small = export()
    source = make_source(world.study, researcher, "Stor", [f"Setning {n} her." for n in range(30)])
    for n in range(30):
        code = code_create(study=world.study, actor=researcher, name=f"Ekstra {n}", parent=world.ledelse)
        make_excerpt(source, researcher, f"Setning {n} her.", [code], [world.ag1])
    with django_assert_num_queries(6 + AGGREGATE_EXTRA):
        large = export()
    assert len(large) == len(small) + 30


@pytest.mark.django_db(transaction=True)
def test_the_aggregate_runs_with_more_work_mem_and_cheaper_index_reads_and_leaves_the_connection_as_it_was(world):
    from interviews.selectors_analysis import MATRIX_RANDOM_PAGE_COST, MATRIX_WORK_MEM

    def settings() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('work_mem'), current_setting('random_page_cost')")
            return cursor.fetchone()

    before = settings()
    with CaptureQueriesContext(connection) as captured:
        matrix = code_matrix(world.study, by="group")
    assert matrix.grand_total.excerpts > 0
    sql = [query["sql"] for query in captured.captured_queries]
    (raised,) = [index for index, query in enumerate(sql) if "set_config('work_mem'" in query]
    assert MATRIX_WORK_MEM in sql[raised] and f"'{MATRIX_RANDOM_PAGE_COST}'" in sql[raised]
    assert sql[raised + 1].lstrip().startswith("WITH rows_map")
    # Only for the aggregate's own transaction.
    assert settings() == before and before[0] != MATRIX_WORK_MEM and before[1] != MATRIX_RANDOM_PAGE_COST


def test_matrix_cells_link_counted_cells_and_escape_what_they_put_in_a_url():
    from interviews.selectors_analysis import MatrixCell, MatrixRow
    from interviews.templatetags.matrix_cells import matrix_cells

    code = type("Code", (), {"pk": 7})()
    row = MatrixRow(
        code=code,
        cells=[MatrixCell(3, 2, 'attribute=1&attribute_value="><b>'), MatrixCell(0, 0, "group=2"), MatrixCell(1, 1)],
        total=MatrixCell(4, 3),
    )
    html = str(matrix_cells(row, "/studies/1/retrieval/", True))
    assert html == (
        '<td class="text-end text-nowrap"><a href="/studies/1/retrieval/?code=7&amp;descendants=1&amp;'
        'attribute=1&amp;attribute_value=&quot;&gt;&lt;b&gt;">3 / 2</a></td>'
        '<td class="text-end text-nowrap text-body-tertiary">0 / 0</td>'
        '<td class="text-end text-nowrap">1 / 1</td>'
        '\n    <td class="text-end text-nowrap fw-semibold">4 / 3</td>'
    )
    assert "descendants" not in str(matrix_cells(row, "/r/", False))


@pytest.mark.parametrize("by", ["group", "informant", "site", "years", "gender"])
@pytest.mark.parametrize("rollup", [True, False])
def test_without_postgresql_the_matrix_counts_the_same_in_python(world, monkeypatch, by, rollup):
    """The laptop trial's SQLite has no arrays nor GROUPING SETS: one plain query, counted in Python, alike."""
    attribute = getattr(world, by) if by in ("years", "gender") else None
    options = {"by": "attribute" if attribute else by, "attribute": attribute, "rollup": rollup}
    on_postgresql = code_matrix(world.study, **options)
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the SQL of that path runs on either
    elsewhere = code_matrix(world.study, **options)
    assert counts(elsewhere) == counts(on_postgresql)
    footer = [(cell.excerpts, cell.informants) for cell in [*elsewhere.totals, elsewhere.grand_total]]
    assert footer == [(cell.excerpts, cell.informants) for cell in [*on_postgresql.totals, on_postgresql.grand_total]]
    assert elsewhere.grand_total.excerpts > 0


def test_without_postgresql_left_out_excerpts_are_not_counted(world, monkeypatch):
    from interviews.models import Excerpt
    from interviews.selectors_analysis import matrix_counts

    codes = list(world.study.codes.values_list("pk", flat=True))
    left_out = list(Excerpt.objects.filter(study=world.study).values_list("pk", flat=True)[:2])
    expected = matrix_counts(world.study, codes, codes, "CAST(i.group_id AS text)", excluded=left_out, footer=True)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    found = matrix_counts(world.study, codes, codes, "CAST(i.group_id AS text)", excluded=left_out, footer=True)
    assert found == expected and found != matrix_counts(world.study, codes, codes, "CAST(i.group_id AS text)")
