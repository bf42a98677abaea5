import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import UserFactory

APP_LABELS = ("cases", "interviews", "ops")


def product_models():
    # Historical models (django-simple-history) are read through their model's "History" page.
    return [
        model
        for label in APP_LABELS
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    ]


def test_every_model_is_registered_in_the_admin():
    missing = [model._meta.label for model in product_models() if not admin.site.is_registered(model)]
    assert not missing


@pytest.mark.django_db
def test_every_admin_changelist_and_add_page_renders(study):
    admin_user = UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
    client = client_for(admin_user)
    for model in product_models():
        info = (model._meta.app_label, model._meta.model_name)
        assert client.get(reverse("admin:%s_%s_changelist" % info)).status_code == 200, model
        add = client.get(reverse("admin:%s_%s_add" % info))
        assert add.status_code in (200, 403), model


@pytest.mark.django_db
def test_the_admin_never_shows_key_list_names(study):
    from tests.factories import IdentityRecordFactory, InformantFactory

    record = IdentityRecordFactory(informant=InformantFactory(study=study, code="AG1"), full_name="Kari Hemmelig")
    admin_user = UserFactory(email="admin2@example.org", is_staff=True, is_superuser=True)
    client = client_for(admin_user)
    listing = client.get(reverse("admin:cases_identityrecord_changelist")).content.decode()
    detail = client.get(reverse("admin:cases_identityrecord_change", args=[record.pk])).content.decode()
    assert "AG1" in listing
    assert "Hemmelig" not in listing + detail
