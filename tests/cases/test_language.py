"""The interface speaks bokmål by default and English on request, through a visible switch."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_norwegian_is_the_default_language(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert '<html lang="nb">' in page
    assert "Logg inn" in page


def test_the_switch_changes_the_language_for_the_session(researcher_client, study):
    overview = reverse("study_overview", args=[study.pk])
    response = researcher_client.post(reverse("set_language"), {"language": "en", "next": overview})
    assert response.status_code == 302
    page = researcher_client.get(overview).content.decode()
    assert "Where the study stands and what is missing" in page
    researcher_client.post(reverse("set_language"), {"language": "nb", "next": overview})
    page = researcher_client.get(overview).content.decode()
    assert "Where the study stands and what is missing" not in page
    assert 'lang="nb"' in page


def test_every_message_is_translated():
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "config/locale/nb/LC_MESSAGES/django.po").read_text()
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if 'msgstr ""' in e and "msgstr[" not in e and e.strip().endswith('msgstr ""')]
    assert not untranslated, untranslated[:3]
    assert "#, fuzzy" not in po
