"""Helpers for the REFI-QDA tests: schema validation and hand-made project archives."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "refi-qda"
NS = "urn:QDA-XML:project:1.0"


@cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / name)))


def assert_valid(xml: bytes, name: str = "Project-mrt2019.xsd") -> None:
    document = etree.fromstring(xml)
    validator = schema(name)
    assert validator.validate(document), validator.error_log


def qdpx(project_xml: str | bytes, files: dict[str, bytes] | None = None) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", project_xml if isinstance(project_xml, bytes) else project_xml.encode())
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    out.seek(0)
    return out


def project(body: str, name: str = "Prosjekt") -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" name="{name}">{body}</Project>'
