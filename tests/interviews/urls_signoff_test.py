"""A test URLconf: the project's URLs plus the sign-off URLs, until config/urls.py includes them."""

from django.urls import include, path

urlpatterns = [
    path("", include("config.urls")),
    path("", include("interviews.urls_signoff")),
]
