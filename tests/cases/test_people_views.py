"""Sites, groups, attributes and informants through the client: CRUD, typed attributes, filters, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cases.models import AttributeDefinition, AttributeValue, AuditEvent, Informant, InformantGroup, Site
from tests.factories import ConsentRecordFactory, InformantFactory, InformantGroupFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(study):
    return InformantGroupFactory(study=study, label="Arbeidsgiver")


@pytest.fixture
def site(study):
    return SiteFactory(study=study, pseudonym="Kommune A")


@pytest.fixture
def definitions(study):
    return {
        "gender": AttributeDefinition.objects.create(
            study=study, name="Kjønn", kind=AttributeDefinition.Kind.CHOICE, choices=["Kvinne", "Mann"], position=1
        ),
        "years": AttributeDefinition.objects.create(
            study=study, name="Ansiennitet", kind=AttributeDefinition.Kind.NUMBER, position=2
        ),
        "since": AttributeDefinition.objects.create(
            study=study, name="Ansatt fra", kind=AttributeDefinition.Kind.DATE, position=3
        ),
        "unit": AttributeDefinition.objects.create(
            study=study, name="Enhet", kind=AttributeDefinition.Kind.TEXT, position=4
        ),
    }


def informant_post(definitions, **overrides):
    data = {
        "code": "AG1",
        "role": "personalleder",
        "recruitment_channel": "Via rådmannen",
        "relationship": Informant.Relationship.COLLEAGUE,
        "status": Informant.Status.RECRUITED,
        f"attribute_{definitions['gender'].pk}": "Kvinne",
        f"attribute_{definitions['years'].pk}": "12.5",
        f"attribute_{definitions['since'].pk}": "2005-08-01",
        f"attribute_{definitions['unit'].pk}": "Helse og omsorg",
    }
    data.update(overrides)
    return data


# Sites, groups, attributes -------------------------------------------------------------------------------------------


def test_site_create_edit_delete(researcher_client, study):
    response = researcher_client.post(
        reverse("site_create", args=[study.pk]),
        {"pseudonym": "Kommune A", "kind": "Kommune", "status": "included", "is_own_organisation": "on"},
    )
    assert response.status_code == 302
    site = Site.objects.get(study=study)
    assert site.is_own_organisation
    assert AuditEvent.objects.filter(study=study, action="site.created").count() == 1

    response = researcher_client.post(
        reverse("site_edit", args=[study.pk, site.pk]),
        {"pseudonym": "Kommune A", "kind": "Kommune", "status": "dropped", "dropped_reason": "Rådmannen sa nei."},
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.status == Site.Status.DROPPED and not site.is_own_organisation
    assert AuditEvent.objects.get(study=study, action="site.updated").data["fields"] == [
        "dropped_reason",
        "is_own_organisation",
        "status",
    ]

    page = researcher_client.get(reverse("site_list", args=[study.pk])).content.decode()
    assert "Kommune A" in page and "Rådmannen sa nei." in page and "Dropped" in page

    assert researcher_client.post(reverse("site_delete", args=[study.pk, site.pk])).status_code == 302
    assert not Site.objects.filter(pk=site.pk).exists()


def test_site_dropped_without_reason_and_duplicate_pseudonym_are_refused(researcher_client, study, site):
    url = reverse("site_create", args=[study.pk])
    response = researcher_client.post(url, {"pseudonym": "Kommune B", "status": "dropped"})
    assert response.status_code == 400
    assert "Say why the site was dropped." in response.content.decode()
    response = researcher_client.post(url, {"pseudonym": "Kommune A", "status": "included"})
    assert response.status_code == 400
    assert "already used in this study" in response.content.decode()
    assert Site.objects.filter(study=study).count() == 1


def test_site_in_use_cannot_be_deleted(researcher_client, study, site):
    InformantFactory(study=study, site=site)
    response = researcher_client.post(reverse("site_delete", args=[study.pk, site.pk]), follow=True)
    assert "Kommune A has 1 informant." in response.content.decode()
    assert Site.objects.filter(pk=site.pk).exists()


def test_group_create_edit_delete(researcher_client, study):
    response = researcher_client.post(
        reverse("group_create", args=[study.pk]), {"label": "Tillitsvalgt", "perspective": "proxy", "position": "2"}
    )
    assert response.status_code == 302
    group = InformantGroup.objects.get(study=study)
    assert group.perspective == InformantGroup.Perspective.PROXY
    response = researcher_client.post(
        reverse("group_edit", args=[study.pk, group.pk]),
        {"label": "Fokusgruppe 2", "perspective": "self", "position": "1"},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.label, group.position) == ("Fokusgruppe 2", 1)
    page = researcher_client.get(reverse("site_list", args=[study.pk])).content.decode()
    assert "Fokusgruppe 2" in page and "Speaks for themselves" in page
    assert researcher_client.post(reverse("group_delete", args=[study.pk, group.pk])).status_code == 302
    assert not InformantGroup.objects.filter(study=study).exists()


def test_attribute_create_edit_delete(researcher_client, study):
    response = researcher_client.post(
        reverse("attribute_create", args=[study.pk]),
        {"name": "Kjønn", "kind": "choice", "choices": "Kvinne\nMann\n\nKvinne", "position": "1"},
    )
    assert response.status_code == 302
    definition = AttributeDefinition.objects.get(study=study)
    assert definition.choices == ["Kvinne", "Mann"]
    response = researcher_client.post(
        reverse("attribute_edit", args=[study.pk, definition.pk]),
        {"name": "Kjønn", "kind": "choice", "choices": "Kvinne\nMann\nAnnet", "position": "1"},
    )
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.choices == ["Kvinne", "Mann", "Annet"]
    page = researcher_client.get(reverse("site_list", args=[study.pk])).content.decode()
    assert "Annet" in page and "Choice" in page
    assert researcher_client.post(reverse("attribute_delete", args=[study.pk, definition.pk])).status_code == 302
    assert not AttributeDefinition.objects.filter(study=study).exists()


def test_attribute_choice_without_choices_and_type_change_with_values_are_refused(
    researcher_client, study, definitions
):
    response = researcher_client.post(
        reverse("attribute_create", args=[study.pk]),
        {"name": "Utdanning", "kind": "choice", "choices": "", "position": "5"},
    )
    assert response.status_code == 400
    assert "needs at least one choice" in response.content.decode()

    informant = InformantFactory(study=study)
    AttributeValue.objects.create(informant=informant, definition=definitions["years"], value_number=3, value_text="3")
    response = researcher_client.post(
        reverse("attribute_edit", args=[study.pk, definitions["years"].pk]),
        {"name": "Ansiennitet", "kind": "text", "position": "2"},
    )
    assert response.status_code == 400
    assert "its type cannot change" in response.content.decode()
    definitions["years"].refresh_from_db()
    assert definitions["years"].kind == AttributeDefinition.Kind.NUMBER


def test_site_list_empty_state_says_what_to_do(researcher_client, supervisor_client, study):
    page = researcher_client.get(reverse("site_list", args=[study.pk])).content.decode()
    assert "No sites yet" in page and reverse("site_create", args=[study.pk]) in page
    page = supervisor_client.get(reverse("site_list", args=[study.pk])).content.decode()
    assert reverse("site_create", args=[study.pk]) not in page


# Informants ----------------------------------------------------------------------------------------------------------


def test_informant_create_with_typed_attributes_is_saved_and_shown(researcher_client, study, group, site, definitions):
    response = researcher_client.post(
        reverse("informant_create", args=[study.pk]), informant_post(definitions, group=group.pk, site=site.pk)
    )
    assert response.status_code == 302
    informant = Informant.objects.get(study=study, code="AG1")
    assert (informant.group, informant.site, informant.relationship) == (group, site, "colleague")
    values = {value.definition.name: value for value in informant.attribute_values.select_related("definition")}
    assert values["Ansiennitet"].value_number == Decimal("12.5")
    assert values["Ansatt fra"].value_date == dt.date(2005, 8, 1)
    assert values["Kjønn"].value_text == "Kvinne"
    assert values["Enhet"].value_text == "Helse og omsorg"
    assert response["Location"] == reverse("informant_detail", args=[study.pk, informant.pk])
    assert AuditEvent.objects.filter(study=study, action="informant.created", target_id=informant.pk).exists()

    detail = researcher_client.get(response["Location"]).content.decode()
    for text in ("AG1", "Arbeidsgiver", "Kommune A", "Kvinne", "12.5", "2005-08-01", "Helse og omsorg", "Colleague"):
        assert text in detail
    listing = researcher_client.get(reverse("informant_list", args=[study.pk])).content.decode()
    for text in ("Kjønn", "Ansiennitet", "12.5", "2005-08-01", "Helse og omsorg", "No consent recorded"):
        assert text in listing


def test_informant_bad_attribute_values_are_form_errors(researcher_client, study, definitions):
    response = researcher_client.post(
        reverse("informant_create", args=[study.pk]),
        informant_post(
            definitions,
            **{f"attribute_{definitions['years'].pk}": "mange", f"attribute_{definitions['gender'].pk}": "Ukjent"},
        ),
    )
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert "Select a valid choice." in response.content.decode()
    assert not Informant.objects.filter(study=study).exists()


def test_informant_code_must_be_unique_in_the_study(researcher_client, study, definitions):
    InformantFactory(study=study, code="AG1")
    response = researcher_client.post(reverse("informant_create", args=[study.pk]), informant_post(definitions))
    assert response.status_code == 400
    assert "An informant with the code AG1 already exists." in response.content.decode()
    assert Informant.objects.filter(study=study).count() == 1


def test_informant_same_code_in_another_study_is_fine(researcher_client, study, outsider, definitions):
    InformantFactory(study=outsider.memberships.get().study, code="AG1")
    response = researcher_client.post(reverse("informant_create", args=[study.pk]), informant_post(definitions))
    assert response.status_code == 302


def test_informant_group_of_another_study_is_refused(researcher_client, study, outsider, definitions):
    foreign = InformantGroupFactory(study=outsider.memberships.get().study)
    response = researcher_client.post(
        reverse("informant_create", args=[study.pk]), informant_post(definitions, group=foreign.pk)
    )
    assert response.status_code == 400
    assert not Informant.objects.filter(study=study).exists()


def test_informant_edit_updates_fields_and_attributes(researcher_client, study, definitions):
    informant = InformantFactory(study=study, code="AG1")
    AttributeValue.objects.create(informant=informant, definition=definitions["unit"], value_text="Skole")
    url = reverse("informant_edit", args=[study.pk, informant.pk])
    form_page = researcher_client.get(url).content.decode()
    assert 'value="Skole"' in form_page
    response = researcher_client.post(
        url,
        informant_post(
            definitions,
            code="AG2",
            status=Informant.Status.DROPPED_OUT,
            status_reason="Sykmeldt",
            **{f"attribute_{definitions['unit'].pk}": ""},
        ),
    )
    assert response.status_code == 302
    informant.refresh_from_db()
    assert (informant.code, informant.status) == ("AG2", Informant.Status.DROPPED_OUT)
    assert not AttributeValue.objects.filter(informant=informant, definition=definitions["unit"]).exists()
    assert AttributeValue.objects.get(informant=informant, definition=definitions["years"]).value_number == Decimal(
        "12.5"
    )
    event = AuditEvent.objects.get(study=study, action="informant.updated")
    assert {"code", "status", "status_reason"} <= set(event.data["fields"])


def test_informant_edit_to_an_existing_code_is_refused(researcher_client, study, definitions):
    InformantFactory(study=study, code="AG1")
    other = InformantFactory(study=study, code="AG2")
    response = researcher_client.post(
        reverse("informant_edit", args=[study.pk, other.pk]), informant_post(definitions, code="AG1")
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    other.refresh_from_db()
    assert other.code == "AG2"


def test_informant_list_filters_by_group_site_and_status(researcher_client, study, group, site):
    InformantFactory(study=study, code="AG1", group=group, site=site)
    InformantFactory(study=study, code="TV1", status=Informant.Status.DECLINED)
    url = reverse("informant_list", args=[study.pk])

    def codes(params):
        page = researcher_client.get(url, params).content.decode()
        return {code for code in ("AG1", "TV1") if f">{code}</a>" in page}

    assert codes({}) == {"AG1", "TV1"}
    assert codes({"group": group.pk}) == {"AG1"}
    assert codes({"site": site.pk}) == {"AG1"}
    assert codes({"status": "declined"}) == {"TV1"}
    assert codes({"status": "withdrawn"}) == set()
    assert "No informants match the filter." in researcher_client.get(url, {"status": "withdrawn"}).content.decode()


def test_informant_list_shows_the_current_consent_state(researcher_client, study):
    given = InformantFactory(study=study, code="I1")
    ConsentRecordFactory(informant=given)
    withdrawn = InformantFactory(study=study, code="I2")
    ConsentRecordFactory(informant=withdrawn, withdrawn_on=dt.date(2017, 3, 1))
    pending = InformantFactory(study=study, code="I3")
    ConsentRecordFactory(informant=pending, given_on=None)
    page = researcher_client.get(reverse("informant_list", args=[study.pk])).content.decode()
    assert 'text-bg-success">Given' in page
    assert 'text-bg-danger">Withdrawn' in page
    assert 'text-bg-warning">Pending' in page


def _populate(study, count, definitions, group, site):
    for number in range(count):
        informant = InformantFactory(study=study, code=f"I{number:03d}", group=group, site=site)
        AttributeValue.objects.create(informant=informant, definition=definitions["unit"], value_text="Skole")
        AttributeValue.objects.create(informant=informant, definition=definitions["years"], value_number=number)
        ConsentRecordFactory(informant=informant)


@pytest.mark.parametrize("count", [3, 30])
def test_informant_list_query_count_does_not_grow(
    researcher_client, study, definitions, group, site, count, django_assert_num_queries
):
    _populate(study, count, definitions, group, site)
    url = reverse("informant_list", args=[study.pk])
    # session, user with membership and study, definitions, groups, sites, informants, attribute values
    with django_assert_num_queries(7):
        response = researcher_client.get(url)
    assert response.content.decode().count("Skole") == count


def test_informant_detail_query_count_is_fixed(
    researcher_client, study, definitions, group, site, django_assert_num_queries
):
    _populate(study, 1, definitions, group, site)
    informant = Informant.objects.get(study=study)
    # session, user with membership and study, informant, attribute values, definitions, identity exists, consents, attendances
    with django_assert_num_queries(8):
        response = researcher_client.get(reverse("informant_detail", args=[study.pk, informant.pk]))
    assert response.status_code == 200


def test_informant_empty_list_points_to_next_steps(researcher_client, study):
    page = researcher_client.get(reverse("informant_list", args=[study.pk])).content.decode()
    assert "No informants yet" in page
    assert reverse("informant_import", args=[study.pk]) in page
    assert reverse("site_list", args=[study.pk]) in page


def test_informant_form_has_no_name_field(researcher_client, study):
    page = researcher_client.get(reverse("informant_create", args=[study.pk])).content.decode()
    assert 'name="full_name"' not in page and 'name="name"' not in page
    assert all(field.name not in {"name", "full_name", "email"} for field in Informant._meta.get_fields())


# Roles ---------------------------------------------------------------------------------------------------------------


def test_supervisor_reads_but_cannot_write(supervisor_client, study, site, group):
    informant = InformantFactory(study=study, code="AG1")
    for name in ("site_list", "informant_list"):
        response = supervisor_client.get(reverse(name, args=[study.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert reverse("informant_create", args=[study.pk]) not in page
        assert reverse("site_edit", args=[study.pk, site.pk]) not in page
    assert supervisor_client.get(reverse("informant_detail", args=[study.pk, informant.pk])).status_code == 200
    for name, args in (
        ("site_create", [study.pk]),
        ("group_create", [study.pk]),
        ("attribute_create", [study.pk]),
        ("informant_create", [study.pk]),
        ("informant_import", [study.pk]),
        ("informant_edit", [study.pk, informant.pk]),
        ("site_edit", [study.pk, site.pk]),
        ("group_edit", [study.pk, group.pk]),
    ):
        assert supervisor_client.post(reverse(name, args=args), {"pseudonym": "X", "code": "X"}).status_code == 403
    assert Informant.objects.filter(study=study).count() == 1


def test_co_researcher_can_write(co_researcher_client, study):
    response = co_researcher_client.post(
        reverse("site_create", args=[study.pk]), {"pseudonym": "Kommune C", "status": "included"}
    )
    assert response.status_code == 302


def test_delete_answers_only_post(researcher_client, study, site, group, definitions):
    for name, pk in (
        ("site_delete", site.pk),
        ("group_delete", group.pk),
        ("attribute_delete", definitions["unit"].pk),
    ):
        assert researcher_client.get(reverse(name, args=[study.pk, pk])).status_code == 405
    assert Site.objects.filter(pk=site.pk).exists() and InformantGroup.objects.filter(pk=group.pk).exists()
    assert AttributeDefinition.objects.filter(pk=definitions["unit"].pk).exists()
