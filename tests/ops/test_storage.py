"""Where uploaded files and reports live: the filesystem by default, an S3-compatible bucket when configured."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from cases.models import ReportJob, StoredFile
from tests.conftest import client_for
from tests.security.test_deploy_check import ROOT, clean_environ

BUCKET = "thesis-test-files"


def settings_with(environment: dict[str, str], *names: str) -> dict:
    """The named settings as base settings compute them from ``environment`` (in a fresh process)."""
    env = {**clean_environ(), "DJANGO_SETTINGS_MODULE": "config.settings.base", **environment}
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_filesystem_is_the_default():
    storages = settings_with({}, "STORAGES")["STORAGES"]
    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_s3_is_switched_on_by_the_environment():
    storages = settings_with(
        {
            "DJANGO_STORAGE": "s3",
            "DJANGO_S3_BUCKET": "dept-thesis",
            "DJANGO_S3_ENDPOINT_URL": "https://s3.uni.example",
            "DJANGO_S3_PREFIX": "media",
        },
        "STORAGES",
    )["STORAGES"]
    default = storages["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "dept-thesis"
    assert default["OPTIONS"]["endpoint_url"] == "https://s3.uni.example"
    assert default["OPTIONS"]["location"] == "media"
    assert default["OPTIONS"]["default_acl"] is None
    assert default["OPTIONS"]["file_overwrite"] is False


def test_an_unknown_storage_is_refused():
    env = {**clean_environ(), "DJANGO_SETTINGS_MODULE": "config.settings.base", "DJANGO_STORAGE": "ftp"}
    code = "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DJANGO_STORAGE" in result.stderr


@pytest.fixture
def s3(settings, monkeypatch):
    moto = pytest.importorskip("moto")
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-north-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        client = boto3.client("s3", region_name="eu-north-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "eu-north-1",
                    "location": "media",
                    "default_acl": None,
                    "file_overwrite": False,
                },
            },
        }
        yield client


def _keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.mark.django_db
def test_reports_go_to_the_bucket_and_come_back_through_the_checked_view(s3, study, researcher, outsider):
    from storages.backends.s3 import S3Storage

    job = ReportJob.objects.create(
        study=study, kind=ReportJob.Kind.METHOD_OVERVIEW, requested_by=researcher, language="nb", state="done"
    )
    job.file.save("method.pdf", ContentFile(b"%PDF-1.4 synthetic"), save=True)
    assert isinstance(job.file.storage._wrapped, S3Storage)
    assert [key for key in _keys(s3) if key.startswith("media/") and key.endswith(".pdf")]

    url = reverse("report_download", args=[study.pk, job.pk])
    response = client_for(researcher).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 synthetic"
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.django_db
def test_uploaded_files_go_to_the_bucket_and_are_served_only_to_members(s3, study, researcher, outsider):
    stored = StoredFile(
        study=study,
        original_name="brev.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=researcher,
    )
    stored.file.save("brev.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    assert any(key.endswith(".pdf") for key in _keys(s3))

    url = reverse("file_download", args=[study.pk, stored.pk])
    response = client_for(researcher).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n"
    assert client_for(outsider).get(url).status_code == 404
