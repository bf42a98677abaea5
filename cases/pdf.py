"""HTML to PDF with WeasyPrint, allowed to load the product's own static files and nothing else.

A report shows text people typed. Should any of it ever reach the HTML
unescaped, it still cannot make the worker read local files (``file://``) or
call other hosts (``http://``): only ``static://<path>`` resolves, through the
static-files finders and never above their roots. Templates link their CSS as
``<link rel="stylesheet" href="static://css/report.css">``.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_SCHEME = "static://"


class BlockedResource(ValueError):
    """A report asked for something other than one of our static files."""


class StaticOnlyURLFetcher(URLFetcher):
    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith(STATIC_SCHEME):
            raise BlockedResource(f"Blocked resource in a report: {url[:80]}")
        relative = PurePosixPath(url[len(STATIC_SCHEME) :])
        found = None if relative.is_absolute() or ".." in relative.parts else finders.find(str(relative))
        if not found:
            raise BlockedResource(f"No static file {str(relative)[:80]} for a report.")
        content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=StaticOnlyURLFetcher()).write_pdf()
