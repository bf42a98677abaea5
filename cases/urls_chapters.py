from django.urls import path

from cases.views import chapters as views

S = "studies/<int:study_id>/chapters/"

urlpatterns = [
    path(S, views.chapter_list, name="chapter_list"),
    path(S + "new/", views.chapter_create, name="chapter_create"),
    path(S + "<int:pk>/", views.chapter_edit, name="chapter_edit"),
    path(S + "<int:pk>/settings/", views.chapter_settings, name="chapter_settings"),
    path(S + "<int:pk>/delete/", views.chapter_delete, name="chapter_delete"),
    path(S + "<int:pk>/preview/", views.chapter_preview, name="chapter_preview"),
    path(S + "<int:pk>/export/", views.chapter_export, name="chapter_export_gate"),
    path(S + "<int:pk>/sections/add/", views.section_create, name="chapter_section_create"),
    path(S + "sections/<int:pk>/", views.section_action, name="chapter_section_action"),
    path(S + "blocks/<int:pk>/", views.block_action, name="chapter_block_action"),
]
