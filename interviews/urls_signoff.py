from django.urls import path

from interviews.views import signoff as views

P = "studies/<int:study_id>/codebook/versions/"

urlpatterns = [
    path(P, views.codebook_versions, name="codebook_versions"),
    path(P + "approve/", views.codebook_signoff, name="codebook_signoff"),
    path(P + "<int:pk>/", views.codebook_version, name="codebook_version"),
]
