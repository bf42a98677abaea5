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

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interviews.selectors_analysis import UNKNOWN, code_cooccurrence, code_matrix
from interviews.services.codebook import code_create
from tests.factories import InformantFactory
from tests.interviews.analysis_data import build, make_excerpt, make_source

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
    assert table["Medvirkning"]["Total"] == (5, 3)
    assert table["Tillit"]["Total"] == (1, 1)
    assert table["Ledelse"]["Total"] == (2, 2)


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


def test_matrix_uses_a_fixed_number_of_queries(world, researcher):
    for n in range(6):
        code_create(study=world.study, actor=researcher, name=f"Ekstra {n}", parent=world.ledelse)
    with CaptureQueriesContext(connection) as flat:
        code_matrix(world.study, by="group")
    with CaptureQueriesContext(connection) as rolled:
        code_matrix(world.study, by="group", rollup=True)
    # codes, columns, 3 aggregates (cells, unknown speaker, row totals), 3 for the footer
    assert len(flat) == 8
    # the same with 3 aggregates per depth of the tree (3 levels)
    assert len(rolled) == 14


def test_matrix_page(researcher_client, supervisor_client, world):
    for client in (researcher_client, supervisor_client):
        response = client.get(reverse("code_matrix", args=[world.study.pk]))
        assert response.status_code == 200
    content = response.content.decode()
    row = content[content.index(f'data-code="{world.medvirkning.pk}"') :]
    row = row[: row.index("</tr>")]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:-1]] == ["3 / 2", "1 / 1", "0 / 0", "1 / 0", "4 / 3"]
    assert "ps-1" in row
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
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_matrix_export(researcher_client, world):
    world.ag.label = "Arbeidsgiver på skolen – æøå"
    world.ag.save()
    rows = read_csv(researcher_client.get(reverse("code_matrix_export", args=[world.study.pk]), {"by": "group"}))
    assert rows[0][:3] == ["Code", "Arbeidsgiver på skolen – æøå: excerpts", "Arbeidsgiver på skolen – æøå: informants"]
    assert rows[0][-2:] == ["Total: excerpts", "Total: informants"]
    by_code = {row[0]: row[1:] for row in rows[1:]}
    assert by_code["Innovasjon / Medvirkning"] == ["3", "2", "1", "1", "0", "0", "1", "0", "4", "3"]
    assert by_code["All codes"] == ["3", "2", "2", "1", "0", "0", "1", "0", "5", "3"]


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
