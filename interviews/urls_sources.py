from django.urls import path

from interviews.views import sources as views

P = "studies/<int:study_id>/sources/"

urlpatterns = [
    path(P, views.source_list, name="source_list"),
    path(P + "new/", views.source_create, name="source_create"),
    path(P + "<int:pk>/edit/", views.source_edit, name="source_edit"),
    path(P + "<int:pk>/normalise/", views.source_normalise, name="source_normalise"),
    path(P + "<int:pk>/new-version/", views.source_new_version, name="source_new_version"),
    path(P + "<int:pk>/speakers/", views.speaker_mapping, name="speaker_mapping"),
    path(P + "<int:pk>/delete/", views.source_delete, name="source_delete"),
]
