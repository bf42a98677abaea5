"""Codebook pages: the tree, the forms, CSV export and import, and who may do what."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import AuditEvent, GuideQuestion, GuideTheme, Instrument, InstrumentVersion
from interviews.models import Code, Coding
from interviews.services import codebook as services
from interviews.services.codebook import code_create
from tests.factories import ResearchQuestionFactory, StudyFactory
from tests.interviews import analysis_data

pytestmark = pytest.mark.django_db


def tree_order(html: str) -> list[str]:
    return re.findall(r'<span class="fw-semibold code-name[^"]*">([^<]+)</span>', html)


def codebook_state(study) -> list[tuple]:
    rows = Code.objects.filter(study=study).order_by("pk")
    return list(
        rows.values_list("pk", "parent_id", "position", "status", "name", "colour", "description", "merged_into")
    )


@pytest.fixture
def deep(study, researcher):
    """Innovasjon > Medvirkning > Tillit > Åpenhet (depth 4), a sibling, and Ledelse at the top."""
    innovasjon = code_create(study=study, actor=researcher, name="Innovasjon", colour="#118ab2")
    medvirkning = code_create(study=study, actor=researcher, name="Medvirkning", parent=innovasjon)
    tillit = code_create(study=study, actor=researcher, name="Tillit", parent=medvirkning)
    code_create(study=study, actor=researcher, name="Åpenhet", parent=tillit)
    code_create(study=study, actor=researcher, name="Initiativ", parent=innovasjon)
    ledelse = code_create(study=study, actor=researcher, name="Ledelse")
    services.code_reorder(code=ledelse, actor=researcher, direction="up")
    return innovasjon


# The tree --------------------------------------------------------------------------------------------------------------


def test_tree_of_depth_four_renders_nested_in_order(researcher_client, study, deep):
    response = researcher_client.get(reverse("codebook", args=[study.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert tree_order(html) == ["Ledelse", "Innovasjon", "Medvirkning", "Tillit", "Åpenhet", "Initiativ"]
    assert 'data-depth="3"' in html
    # Åpenhet sits inside Tillit's list, inside Medvirkning's, inside Innovasjon's.
    tillit = Code.objects.get(name="Tillit")
    start = html.index(f'id="code-{tillit.pk}"')
    assert html.index("Åpenhet", start) < html.index("Initiativ", start)
    assert '<span class="rq-swatch mt-1" data-colour="#118ab2"' in html
    assert "style=" not in html


def test_tree_shows_excerpt_and_distinct_informant_counts(researcher_client, study, researcher):
    world = analysis_data.build(study, researcher)
    html = researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()

    def counts(code):
        start = html.index(f'id="code-{code.pk}"')
        excerpts = re.search(r'class="excerpt-count">(\d+)<', html[start:]).group(1)
        informants = re.search(r'class="informant-count">(\d+)<', html[start:]).group(1)
        return int(excerpts), int(informants)

    # Medvirkning: e1 (AG1, AG2), e2 (AG1, TV1), e3 (nobody known), e4 (AG2) → 4 excerpts, 3 informants.
    assert counts(world.medvirkning) == (4, 3)
    assert counts(world.ledelse) == (2, 2)
    assert counts(world.innovasjon) == (1, 2)


@pytest.mark.parametrize("size", [5, 50])
def test_codebook_query_count_does_not_grow(researcher_client, study, researcher, django_assert_num_queries, size):
    rq = ResearchQuestionFactory(study=study)
    version = InstrumentVersion.objects.create(instrument=Instrument.objects.create(study=study, title="G"), label="v1")
    question = GuideQuestion.objects.create(theme=GuideTheme.objects.create(version=version, title="T"), text="Hva?")
    text = analysis_data.make_source(study, researcher, "T1", ["En setning her."])
    parent = None
    for n in range(size):
        code = code_create(
            study=study,
            actor=researcher,
            name=f"Kode {n:02d}",
            parent=parent if n % 2 else None,
            research_question=rq,
            guide_questions=[question],
        )
        analysis_data.make_excerpt(text, researcher, "En setning", [code])
        parent = code
    services.code_merge(
        source_code=Code.objects.get(name="Kode 03"), target_code=Code.objects.get(name="Kode 00"), actor=researcher
    )
    services.code_drop(code=Code.objects.get(name="Kode 02"), actor=researcher)
    # session, user with membership and study, the codes, their guide questions, their counts, the open codebook review
    with django_assert_num_queries(6):
        response = researcher_client.get(reverse("codebook", args=[study.pk]))
    html = response.content.decode()
    assert html.count("data-depth=") == size
    assert "Merged into Kode 00" in html


def test_dropped_and_merged_codes_are_greyed_and_can_be_hidden(researcher_client, study, researcher):
    kept = code_create(study=study, actor=researcher, name="Beholdt")
    dropped = code_create(study=study, actor=researcher, name="Forkastet")
    merged = code_create(study=study, actor=researcher, name="Slått sammen")
    services.code_drop(code=dropped, actor=researcher)
    services.code_merge(source_code=merged, target_code=kept, actor=researcher)
    url = reverse("codebook", args=[study.pk])
    html = researcher_client.get(url).content.decode()
    assert tree_order(html) == ["Beholdt", "Forkastet", "Slått sammen"]
    assert "Merged into Beholdt" in html and "text-decoration-line-through" in html
    assert tree_order(researcher_client.get(url + "?show=active").content.decode()) == ["Beholdt"]


def test_each_row_acts_on_its_own_code_and_only_for_those_who_may_edit(
    researcher_client, supervisor_client, study, researcher, deep
):
    codes = {code.name: code for code in Code.objects.filter(study=study)}
    html = researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()

    def row(name: str) -> str:
        start = html.index(f'id="code-{codes[name].pk}"')
        return html[start : html.index("</div>\n  ", html.index('class="text-nowrap small"', start))]

    for name, code in codes.items():
        for view in ("code_edit", "code_reorder", "code_move"):
            assert f'"{reverse(view, args=[study.pk, code.pk])}"' in row(name), (name, view)
        assert f'{reverse("memo_create", args=[study.pk])}?code={code.pk}"' in row(name)
    # Siblings under Innovasjon: Medvirkning first (no "up"), Initiativ last (no "down").
    assert 'value="up" disabled' in row("Medvirkning") and 'value="down" disabled' not in row("Medvirkning")
    assert 'value="down" disabled' in row("Initiativ") and 'value="up" disabled' not in row("Initiativ")
    # Only a code with no excerpts and no sub-codes can be deleted.
    assert reverse("code_delete", args=[study.pk, codes["Åpenhet"].pk]) in row("Åpenhet")
    assert reverse("code_delete", args=[study.pk, codes["Tillit"].pk]) not in row("Tillit")
    # Reorder and drop for each of the 6 codes, delete for the 3 leaves (Åpenhet, Initiativ, Ledelse).
    assert html.split('id="codebook-tree"')[1].count('name="csrfmiddlewaretoken"') == 6 + 6 + 3

    read_only = supervisor_client.get(reverse("codebook", args=[study.pk])).content.decode()
    assert tree_order(read_only) == tree_order(html) and 'class="excerpt-count">0<' in read_only
    assert "csrfmiddlewaretoken" not in read_only.split('id="codebook-tree"')[1]
    assert reverse("code_edit", args=[study.pk, codes["Tillit"].pk]) not in read_only


@pytest.fixture
def five_branches(study, researcher, monkeypatch):
    """Five top-level codes A–E, each with one sub-code, two top-level codes to a page."""
    from interviews import selectors_codebook

    monkeypatch.setattr(selectors_codebook, "CODEBOOK_PAGE_ROOTS", 2)
    codes = {}
    for name in "ABCDE":
        codes[name] = code_create(study=study, actor=researcher, name=name)
        codes[f"{name.lower()}1"] = code_create(
            study=study, actor=researcher, name=f"{name.lower()}1", parent=codes[name]
        )
    return codes


def test_a_large_codebook_comes_in_pages_of_top_level_codes_with_their_sub_codes(
    researcher_client, study, researcher, five_branches
):
    url = reverse("codebook", args=[study.pk])
    first = researcher_client.get(url).content.decode()
    assert tree_order(first) == ["A", "a1", "B", "b1"]
    assert "Top-level codes 1–2 of 5, each with its sub-codes." in first and "?page=2" in first
    second = researcher_client.get(url + "?page=2").content.decode()
    assert tree_order(second) == ["C", "c1", "D", "d1"]
    # C is not the first top-level code of the codebook, nor D the last: both can move either way.
    assert (
        'value="up" disabled'
        not in second.split('id="codebook-tree"')[1].split(f'id="code-{five_branches["c1"].pk}"')[0]
    )
    assert tree_order(researcher_client.get(url + "?page=99").content.decode()) == ["E", "e1"]  # the last page
    assert tree_order(researcher_client.get(url + "?page=x").content.decode()) == ["A", "a1", "B", "b1"]
    services.code_drop(code=five_branches["e1"], actor=researcher)
    services.code_drop(code=five_branches["E"], actor=researcher)
    hidden = researcher_client.get(url + "?page=3&show=active").content.decode()
    assert tree_order(hidden) == [] and "?page=2&amp;show=active" in hidden


def test_after_a_change_the_codebook_opens_on_the_page_of_the_code(researcher_client, study, five_branches):
    url = reverse("codebook", args=[study.pk])
    d1 = five_branches["d1"]
    answer = researcher_client.post(reverse("code_edit", args=[study.pk, d1.pk]), {**code_post(name="d1 ny")})
    assert answer["Location"] == f"{url}?page=2#code-{d1.pk}"
    answer = researcher_client.post(
        reverse("code_reorder", args=[study.pk, five_branches["E"].pk]), {"direction": "up"}
    )
    assert answer["Location"] == f"{url}?page=2#code-{five_branches['E'].pk}"  # now the fourth of five
    answer = researcher_client.post(reverse("code_delete", args=[study.pk, five_branches["a1"].pk]))
    assert answer["Location"] == f"{url}#code-{five_branches['A'].pk}"  # its parent, on page 1
    answer = researcher_client.post(reverse("code_create", args=[study.pk]), code_post(name="F"))
    assert answer["Location"] == f"{url}?page=3#code-{Code.objects.get(study=study, name='F').pk}"


def test_empty_codebook_says_what_to_do(researcher_client, supervisor_client, study):
    assert (
        "Seed it from your interview guide"
        in researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()
    )
    html = supervisor_client.get(reverse("codebook", args=[study.pk])).content.decode()
    assert "has not made a codebook yet" in html
    assert reverse("code_create", args=[study.pk]) not in html


def test_code_names_are_escaped(researcher_client, study, researcher):
    code_create(study=study, actor=researcher, name="<script>alert(1)</script>", description="<b>fet</b>")
    html = researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>fet</b>" not in html


# The forms -------------------------------------------------------------------------------------------------------------


def code_post(**overrides) -> dict:
    data = {
        "name": "Tillit",
        "colour": "#06d6a0",
        "description": "",
        "origin": "emergent",
        "research_question": "",
        "shortcut": "",
        "parent": "",
    }
    data.update(overrides)
    return data


def test_create_with_parent_preselected_and_posted(researcher_client, study, deep):
    url = reverse("code_create", args=[study.pk])
    html = researcher_client.get(f"{url}?parent={deep.pk}").content.decode()
    assert f'<option value="{deep.pk}" selected>' in html
    response = researcher_client.post(url, code_post(name="Ny idé", parent=str(deep.pk)))
    assert response.status_code == 302
    created = Code.objects.get(name="Ny idé")
    assert (created.parent, created.position) == (deep, 2)


def test_create_refuses_a_parent_of_another_study(researcher_client, study, researcher):
    foreign = code_create(study=StudyFactory(), actor=researcher, name="Fremmed")
    assert researcher_client.get(reverse("code_create", args=[study.pk]) + f"?parent={foreign.pk}").status_code == 404
    response = researcher_client.post(reverse("code_create", args=[study.pk]), code_post(parent=str(foreign.pk)))
    assert response.status_code == 400
    assert not Code.objects.filter(study=study).exists()


def test_edit_sets_a_shortcut_and_refuses_a_taken_one(researcher_client, study, researcher):
    first = code_create(study=study, actor=researcher, name="Første", shortcut="1")
    second = code_create(study=study, actor=researcher, name="Andre")
    url = reverse("code_edit", args=[study.pk, second.pk])
    response = researcher_client.post(url, code_post(name="Andre", shortcut="1"))
    assert response.status_code == 400
    assert "already used by “Første”" in response.content.decode()
    assert Code.objects.get(pk=second.pk).shortcut == ""
    assert researcher_client.post(url, code_post(name="Andre kode", shortcut="2")).status_code == 302
    second.refresh_from_db()
    assert (second.name, second.shortcut, first.shortcut) == ("Andre kode", "2", "1")


def test_move_view_refuses_a_cycle_with_a_message(researcher_client, study, deep):
    before = codebook_state(study)
    descendant = Code.objects.get(name="Åpenhet")
    response = researcher_client.post(reverse("code_move", args=[study.pk, deep.pk]), {"parent": str(descendant.pk)})
    assert response.status_code == 400
    assert codebook_state(study) == before
    # The form does not even offer the subtree; the service would refuse it too (tested in test_codebook).
    assert f'<option value="{descendant.pk}"' not in response.content.decode()


def test_move_view_moves_under_a_new_parent_at_a_place(researcher_client, study, deep):
    ledelse = Code.objects.get(name="Ledelse")
    response = researcher_client.post(
        reverse("code_move", args=[study.pk, ledelse.pk]), {"parent": str(deep.pk), "position": "1"}
    )
    assert response.status_code == 302
    assert list(Code.objects.filter(parent=deep).order_by("position").values_list("name", flat=True)) == [
        "Ledelse",
        "Medvirkning",
        "Initiativ",
    ]


def test_reorder_view(researcher_client, study, deep):
    ledelse = Code.objects.get(name="Ledelse")
    url = reverse("code_reorder", args=[study.pk, ledelse.pk])
    assert researcher_client.get(url).status_code == 405
    assert researcher_client.post(url, {"direction": "sideways"}).status_code == 400
    assert researcher_client.post(url, {"direction": "down"}).status_code == 302
    assert list(Code.objects.filter(parent=None).order_by("position").values_list("name", flat=True)) == [
        "Innovasjon",
        "Ledelse",
    ]


def test_merge_view_moves_excerpts(researcher_client, study, researcher):
    world = analysis_data.build(study, researcher)
    url = reverse("code_merge", args=[study.pk, world.ledelse.pk])
    assert f'<option value="{world.tillit.pk}"' in researcher_client.get(url).content.decode()
    response = researcher_client.post(url, {"target": str(world.tillit.pk)})
    assert response.status_code == 302
    # e5 had both Tillit and Ledelse: one coding remains; e2 follows.
    assert set(Coding.objects.filter(code=world.tillit).values_list("excerpt", flat=True)) == {world.e2.pk, world.e5.pk}
    assert Code.objects.get(pk=world.ledelse.pk).status == Code.Status.MERGED


def test_drop_and_delete_views(researcher_client, study, researcher):
    world = analysis_data.build(study, researcher)
    response = researcher_client.post(reverse("code_delete", args=[study.pk, world.ledelse.pk]), follow=True)
    assert "has coded excerpts and cannot be deleted" in response.content.decode()
    assert Code.objects.filter(pk=world.ledelse.pk).exists()
    assert researcher_client.post(reverse("code_drop", args=[study.pk, world.ledelse.pk])).status_code == 302
    assert Code.objects.get(pk=world.ledelse.pk).status == Code.Status.DROPPED
    spare = code_create(study=study, actor=researcher, name="Til overs")
    assert researcher_client.get(reverse("code_delete", args=[study.pk, spare.pk])).status_code == 405
    assert researcher_client.post(reverse("code_delete", args=[study.pk, spare.pk])).status_code == 302
    assert not Code.objects.filter(pk=spare.pk).exists()


def test_seed_view_runs_once_per_question(researcher_client, study):
    version = InstrumentVersion.objects.create(
        instrument=Instrument.objects.create(study=study, title="Guide"), label="v1"
    )
    theme = GuideTheme.objects.create(version=version, title="Innovasjon")
    GuideQuestion.objects.create(theme=theme, label="Q1", text="Hva er innovasjon?")
    url = reverse("codebook_seed", args=[study.pk])
    assert researcher_client.post(url, {"version": str(version.pk)}).status_code == 302
    assert researcher_client.post(url, {"version": str(version.pk)}).status_code == 302
    assert sorted(Code.objects.filter(study=study).values_list("name", flat=True)) == [
        "Innovasjon",
        "Q1 Hva er innovasjon?",
    ]


def test_seed_view_without_a_guide_points_to_guides(researcher_client, study):
    html = researcher_client.get(reverse("codebook_seed", args=[study.pk])).content.decode()
    assert "no interview guide yet" in html and reverse("instrument_list", args=[study.pk]) in html


# CSV -------------------------------------------------------------------------------------------------------------------


def upload(text: str, name: str = "codebook.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def import_file(client, study, text: str):
    url = reverse("codebook_import", args=[study.pk])
    preview = client.post(url, {"file": upload(text)})
    return preview, (client.post(url, {"confirm": "1"}) if preview.status_code == 200 else None)


def test_export_is_utf8_with_bom_in_tree_order(researcher_client, study, researcher):
    rq = ResearchQuestionFactory(study=study, label="RQ1")
    world = analysis_data.build(study, researcher)
    services.code_update(
        code=world.tillit, actor=researcher, data={"research_question": rq, "description": 'Tro på; "andre"'}
    )
    response = researcher_client.get(reverse("codebook_export", args=[study.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["path"] for row in rows] == [
        "Innovasjon",
        "Innovasjon > Medvirkning",
        "Innovasjon > Medvirkning > Tillit",
        "Ledelse",
    ]
    tillit = rows[2]
    assert (tillit["parent_path"], tillit["research_question"], tillit["definition"], tillit["excerpt_count"]) == (
        "Innovasjon > Medvirkning",
        "RQ1",
        'Tro på; "andre"',
        "1",
    )


def test_supervisor_may_export(supervisor_client, study, researcher):
    code_create(study=study, actor=researcher, name="Tillit")
    assert supervisor_client.get(reverse("codebook_export", args=[study.pk])).status_code == 200


def test_csv_round_trip_into_a_fresh_study(researcher_client, study, researcher):
    ResearchQuestionFactory(study=study, label="RQ1")
    top = code_create(
        study=study,
        actor=researcher,
        name="Ærlighet",
        colour="#aa0000",
        description="Når æøå…",
        origin="theory",
        research_question=study.research_questions.get(),
    )
    mid = code_create(study=study, actor=researcher, name="Åpen, ærlig", parent=top, colour="#00bb00")
    code_create(study=study, actor=researcher, name='Øvrig "sitat"', parent=mid, colour="#0000cc", description="a;b")
    services.code_drop(code=code_create(study=study, actor=researcher, name="Forkastet"), actor=researcher)
    exported = researcher_client.get(reverse("codebook_export", args=[study.pk])).content

    fresh = StudyFactory(created_by=researcher)
    ResearchQuestionFactory(study=fresh, label="RQ1")
    url = reverse("codebook_import", args=[fresh.pk])
    preview = researcher_client.post(
        url, {"file": SimpleUploadedFile("kodebok.csv", exported, content_type="text/csv")}
    )
    assert preview.status_code == 200, preview.content.decode()
    assert researcher_client.post(url, {"confirm": "1"}).status_code == 302

    def summary(s):
        from interviews.selectors_codebook import codebook_tree

        return [
            (
                node.path,
                node.code.colour,
                node.code.description,
                node.code.origin,
                node.code.status,
                node.code.research_question.label if node.code.research_question else "",
            )
            for node in codebook_tree(s).nodes
        ]

    assert summary(fresh) == summary(study)
    assert AuditEvent.objects.filter(study=fresh, action="codebook.imported").count() == 1


def test_import_creates_parents_before_children_and_updates_existing(researcher_client, study, researcher):
    existing = code_create(study=study, actor=researcher, name="Innovasjon", colour="#111111")
    text = (
        "path;colour;origin;status;definition\n"
        "Ledelse > Tillit > Åpenhet;#abcdef;emergent;active;Dypest\n"
        "Ledelse;#123456;theory;active;\n"
        "Ledelse > Tillit;;In vivo;;\n"
        "Innovasjon;#222222;;;Ny definisjon\n"
    )
    preview, done = import_file(researcher_client, study, text)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "3 new codes" in html and "1 existing code will be updated" in html
    assert done.status_code == 302
    tillit = Code.objects.get(name="Tillit")
    assert (tillit.parent.name, tillit.origin) == ("Ledelse", Code.Origin.IN_VIVO)
    assert Code.objects.get(name="Åpenhet").parent == tillit
    existing.refresh_from_db()
    assert (existing.colour, existing.description) == ("#222222", "Ny definisjon")


def test_import_bad_rows_get_errors_per_row_and_write_nothing(researcher_client, study, researcher):
    code_create(study=study, actor=researcher, name="Innovasjon")
    before = codebook_state(study)
    text = (
        "path,name,parent_path,colour,origin,status\n"
        "Innovasjon > Ny,,,#00ff00,guide,active\n"
        ",Foreldreløs,Finnes ikke,#00ff00,guide,active\n"
        "Innovasjon > Rød,,,red,guide,active\n"
        "Innovasjon > Rar,,,#00ff00,magic,active\n"
        "Innovasjon > Ny,,,#00ff00,guide,active\n"
    )
    preview, done = import_file(researcher_client, study, text)
    assert preview.status_code == 400 and done is None
    html = preview.content.decode()
    assert "4 rows have errors" in html
    assert "Unknown parent “Finnes ikke”" in html
    assert "Bad colour “red”" in html
    assert "Bad origin “magic”" in html
    assert "appears twice in the file" in html
    assert 'name="confirm"' not in html
    assert codebook_state(study) == before
    # A forged confirm without a valid preview in the session imports nothing.
    response = researcher_client.post(reverse("codebook_import", args=[study.pk]), {"confirm": "1"})
    assert response.status_code == 302
    assert codebook_state(study) == before


def test_import_refuses_a_wrong_header_and_a_large_file(researcher_client, study):
    url = reverse("codebook_import", args=[study.pk])
    response = researcher_client.post(url, {"file": upload("kode;farge\nA;#000000\n")})
    assert response.status_code == 400 and "Wrong header" in response.content.decode()
    response = researcher_client.post(url, {"file": upload("name\n" + "A\n" * 200_000)})
    assert response.status_code == 400 and "larger than" in response.content.decode()
    assert not Code.objects.filter(study=study).exists()


# Who may do what -------------------------------------------------------------------------------------------------------


def edit_urls(study, code) -> list[tuple[str, str]]:
    """Every codebook URL that changes something, with the method it changes with."""
    with_pk = ["code_edit", "code_move", "code_reorder", "code_merge", "code_drop", "code_delete"]
    urls = [(reverse(name, args=[study.pk, code.pk]), "post") for name in with_pk]
    urls += [(reverse(name, args=[study.pk, code.pk]), "get") for name in ("code_edit", "code_move", "code_merge")]
    for name in ("code_create", "codebook_seed", "codebook_import"):
        urls += [(reverse(name, args=[study.pk]), "get"), (reverse(name, args=[study.pk]), "post")]
    return urls


def test_supervisor_gets_403_on_every_edit_url_and_nothing_changes(supervisor_client, study, researcher):
    world = analysis_data.build(study, researcher)
    before, events = codebook_state(study), AuditEvent.objects.count()
    for url, method in edit_urls(study, world.medvirkning):
        data = {"direction": "up", "target": str(world.ledelse.pk), "name": "X", "parent": "", "colour": "#000000"}
        response = getattr(supervisor_client, method)(url, data)
        assert response.status_code == 403, (url, method)
    assert codebook_state(study) == before and AuditEvent.objects.count() == events
    html = supervisor_client.get(reverse("codebook", args=[study.pk])).content.decode()
    assert reverse("code_edit", args=[study.pk, world.medvirkning.pk]) not in html
    assert "Seed from guide" not in html


def test_outsider_gets_404_everywhere(outsider_client, study, researcher):
    code = code_create(study=study, actor=researcher, name="Tillit")
    urls = edit_urls(study, code) + [
        (reverse(name, args=[study.pk]), "get") for name in ("codebook", "codebook_export")
    ]
    for url, method in urls:
        assert getattr(outsider_client, method)(url).status_code == 404, (url, method)
    assert Code.objects.get(pk=code.pk).name == "Tillit"


def test_a_code_of_another_study_is_404_under_ones_own_study(researcher_client, study, researcher):
    foreign = code_create(study=StudyFactory(), actor=researcher, name="Fremmed")
    for name in ("code_edit", "code_move", "code_reorder", "code_merge", "code_drop", "code_delete"):
        url = reverse(name, args=[study.pk, foreign.pk])
        assert researcher_client.get(url).status_code == 404, name
        assert researcher_client.post(url).status_code == 404, name
    target = code_create(study=study, actor=researcher, name="Egen")
    response = researcher_client.post(reverse("code_merge", args=[study.pk, target.pk]), {"target": str(foreign.pk)})
    assert response.status_code == 400
    assert Code.objects.get(pk=foreign.pk).status == Code.Status.ACTIVE


def test_create_with_research_question_and_guide_question(researcher_client, study):
    rq = ResearchQuestionFactory(study=study, label="RQ1")
    version = InstrumentVersion.objects.create(instrument=Instrument.objects.create(study=study, title="G"), label="v1")
    question = GuideQuestion.objects.create(theme=GuideTheme.objects.create(version=version, title="T"), text="Hva?")
    response = researcher_client.post(
        reverse("code_create", args=[study.pk]),
        code_post(research_question=str(rq.pk), guide_questions=[str(question.pk)], shortcut="4", origin="theory"),
    )
    assert response.status_code == 302, response.content.decode()
    code = Code.objects.get(study=study)
    assert (code.research_question, list(code.guide_questions.all()), code.shortcut) == (rq, [question], "4")


def test_the_tree_lists_each_codes_guide_questions_in_guide_order(researcher_client, study, researcher):
    version = InstrumentVersion.objects.create(instrument=Instrument.objects.create(study=study, title="G"), label="v1")
    theme = GuideTheme.objects.create(version=version, title="T")
    second = GuideQuestion.objects.create(theme=theme, position=2, label="Q2", text="Hvorfor <ikke>?")
    first = GuideQuestion.objects.create(theme=theme, position=1, label="Q1", text="Hva skjedde?")
    with_both = code_create(study=study, actor=researcher, name="Begge", guide_questions=[second, first])
    code_create(study=study, actor=researcher, name="Ingen")
    code_create(study=study, actor=researcher, name="Én", guide_questions=[second])
    html = researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()

    def guide(name: str) -> list[str]:
        start = html.index(f'id="code-{Code.objects.get(study=study, name=name).pk}"')
        block = html[start : html.index("</li>", start)]
        return re.findall(r'<span class="me-2">([^<]*)</span>', block)

    assert guide("Begge") == ["Q1 Hva skjedde?", "Q2 Hvorfor &lt;ikke&gt;?"]
    assert guide("Ingen") == [] and guide("Én") == ["Q2 Hvorfor &lt;ikke&gt;?"]
    assert with_both.guide_questions.count() == 2
