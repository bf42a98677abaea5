from django.urls import path

from cases.views import questionnaires as views

P = "studies/<int:study_id>/questionnaires/"
D = "studies/<int:study_id>/datasets/"

urlpatterns = [
    path(P, views.questionnaire_list, name="questionnaire_list"),
    path(P + "new/", views.questionnaire_create, name="questionnaire_create"),
    path(P + "<int:pk>/edit/", views.questionnaire_edit, name="questionnaire_edit"),
    path(P + "<int:pk>/delete/", views.questionnaire_delete, name="questionnaire_delete"),
    path(P + "versions/<int:pk>/", views.questionnaire_version, name="questionnaire_version"),
    path(P + "versions/<int:pk>/copy/", views.questionnaire_version_copy, name="questionnaire_version_copy"),
    path(P + "versions/<int:pk>/sections/add/", views.questionnaire_section_add, name="questionnaire_section_add"),
    path(P + "versions/<int:pk>/entry/", views.questionnaire_entry, name="questionnaire_entry"),
    path(P + "versions/<int:pk>/results/", views.questionnaire_results_view, name="questionnaire_results"),
    path(P + "versions/<int:pk>/responses/", views.questionnaire_responses, name="questionnaire_responses"),
    path(P + "versions/<int:pk>/export.csv", views.questionnaire_export, name="questionnaire_export"),
    path(
        P + "versions/<int:pk>/free-text-source/",
        views.questionnaire_free_text_source,
        name="questionnaire_free_text_source",
    ),
    path(P + "sections/<int:pk>/edit/", views.questionnaire_section_edit, name="questionnaire_section_edit"),
    path(P + "sections/<int:pk>/delete/", views.questionnaire_section_delete, name="questionnaire_section_delete"),
    path(P + "sections/<int:pk>/move/", views.questionnaire_section_move, name="questionnaire_section_move"),
    path(P + "sections/<int:pk>/items/add/", views.questionnaire_item_add, name="questionnaire_item_add"),
    path(P + "items/<int:pk>/edit/", views.questionnaire_item_edit, name="questionnaire_item_edit"),
    path(P + "items/<int:pk>/delete/", views.questionnaire_item_delete, name="questionnaire_item_delete"),
    path(P + "items/<int:pk>/move/", views.questionnaire_item_move, name="questionnaire_item_move"),
    path(P + "responses/<uuid:pk>/delete/", views.questionnaire_response_delete, name="questionnaire_response_delete"),
    path(P + "responses/<uuid:pk>/note/", views.questionnaire_response_note, name="questionnaire_response_note"),
    path(D + "new/", views.dataset_create, name="dataset_create"),
    path(D + "<int:pk>/", views.dataset_detail, name="dataset_detail"),
    path(D + "<int:pk>/edit/", views.dataset_edit, name="dataset_edit"),
    path(D + "<int:pk>/delete/", views.dataset_delete, name="dataset_delete"),
]
