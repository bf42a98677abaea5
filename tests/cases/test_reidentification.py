"""Re-identification warnings: key-list names, real site names, sensitive terms, small groups and single roles."""

from __future__ import annotations

import pytest

from cases.models import Informant, SensitiveTerm
from cases.services.reidentification import WarningKind, name_variants, reidentification_warnings
from tests.factories import IdentityRecordFactory, InformantFactory, InformantGroupFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(study):
    leaders = InformantGroupFactory(study=study, label="Ledere")
    reps = InformantGroupFactory(study=study, label="Tillitsvalgte")
    site = SiteFactory(study=study, pseudonym="Kommune A", real_name="Ørland kommune")
    mayor = InformantFactory(study=study, code="L1", group=leaders, site=site, role="Rådmann")
    IdentityRecordFactory(informant=mayor, full_name="Åse Bjørnstad-Lie")
    for code in ("L2", "L3"):
        InformantFactory(study=study, code=code, group=leaders, role="enhetsleder")
    InformantFactory(study=study, code="T1", group=reps, role="tillitsvalgt")
    InformantFactory(study=study, code="T2", group=reps, role="tillitsvalgt")
    InformantFactory(study=study, code="X1", group=reps, role="ordfører", status=Informant.Status.DECLINED)
    SensitiveTerm.objects.create(study=study, term="Prosjekt Fyrlykt", kind=SensitiveTerm.Kind.PROJECT)
    return mayor


def found(study, text):
    return [w for w in reidentification_warnings(study=study, texts=[("t", text)]) if w.in_text]


def test_name_variants_keep_parts_of_three_letters_or_more():
    assert name_variants("Åse  Bjørnstad-Lie") == ["Åse Bjørnstad-Lie", "Åse", "Bjørnstad-Lie", "Bjørnstad", "Lie"]
    assert name_variants("Bo Ek") == ["Bo Ek"]


def test_a_key_list_name_is_found_with_its_offsets_and_masked(study, people):
    text = "Da sa ÅSE BJØRNSTAD-LIE at hun var enig."
    [warning] = found(study, text)
    assert warning.kind == WarningKind.KEY_LIST_NAME
    assert text[warning.start : warning.end] == "ÅSE BJØRNSTAD-LIE" == warning.term
    assert warning.key == "t"
    assert warning.shown(reveal=False) == "a name from the key list"
    assert "Åse" not in warning.masked


def test_name_parts_on_their_own_are_found(study, people):
    warnings = found(study, "Bjørnstad ringte. Åse også.")
    assert [w.term for w in warnings] == ["Bjørnstad", "Åse"]


def test_word_boundaries_no_match_inside_another_word(study, people):
    assert found(study, "Påsen og Bjørnstadvegen og forprosjekt Fyrlyktene og rådmannen") == []


def test_a_real_site_name_is_found_case_insensitively(study, people):
    [warning] = found(study, "Vi i ørland KOMMUNE har lenge …")
    assert warning.kind == WarningKind.SITE_NAME
    assert warning.masked == "the real name of Kommune A"


def test_a_sensitive_term_is_found(study, people):
    [warning] = found(study, "Det startet med prosjekt fyrlykt i 2015.")
    assert warning.kind == WarningKind.SENSITIVE_TERM
    assert warning.term == "prosjekt fyrlykt"
    assert warning.masked == "a sensitive term (project or initiative)"


def test_a_role_only_one_informant_has_is_found_in_text_and_as_a_structural_risk(study, people):
    warnings = reidentification_warnings(study=study, texts=[(7, "Som rådmann må jeg …"), (8, "En enhetsleder sa")])
    in_text = [w for w in warnings if w.in_text]
    assert [(w.kind, w.key, w.term) for w in in_text] == [(WarningKind.SINGLE_ROLE, 7, "rådmann")]
    structural = [w for w in warnings if not w.in_text]
    roles = [w.term for w in structural if w.kind == WarningKind.SINGLE_ROLE]
    assert roles == ["Rådmann"], "a declined informant's role does not count, and shared roles are not flagged"


def test_groups_of_fewer_than_three_are_flagged(study, people):
    structural = [w for w in reidentification_warnings(study=study, texts=[]) if w.kind == WarningKind.SMALL_GROUP]
    assert [w.term for w in structural] == ["group “Tillitsvalgte” (2 informants)"]


def test_several_texts_keep_their_keys(study, people):
    warnings = found(study, "Åse") + reidentification_warnings(study=study, texts=[(3, "x Åse"), (4, "ingen")])
    keyed = [(w.key, w.start) for w in warnings if w.in_text]
    assert keyed == [("t", 0), (3, 2)]


def test_a_study_without_terms_only_reports_structure(study):
    InformantFactory(study=study, code="A1", role="leder")
    warnings = reidentification_warnings(study=study, texts=[("a", "Leder Kari sa noe.")])
    assert [(w.kind, w.in_text) for w in warnings] == [
        (WarningKind.SINGLE_ROLE, True),
        (WarningKind.SINGLE_ROLE, False),
    ]
