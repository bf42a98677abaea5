from django.urls import path

from cases.views import instruments

P = "studies/<int:study_id>/guides/"

urlpatterns = [
    path(P, instruments.instrument_list, name="instrument_list"),
    path(P + "new/", instruments.instrument_create, name="instrument_create"),
    path(P + "<int:pk>/edit/", instruments.instrument_edit, name="instrument_edit"),
    path(P + "versions/<int:pk>/", instruments.instrument_version, name="instrument_version"),
    path(P + "versions/<int:pk>/copy/", instruments.instrument_version_copy, name="instrument_version_copy"),
    path(P + "versions/<int:pk>/themes/add/", instruments.guide_theme_add, name="guide_theme_add"),
    path(P + "themes/<int:pk>/edit/", instruments.guide_theme_edit, name="guide_theme_edit"),
    path(P + "themes/<int:pk>/delete/", instruments.guide_theme_delete, name="guide_theme_delete"),
    path(P + "themes/<int:pk>/move/", instruments.guide_theme_move, name="guide_theme_move"),
    path(P + "themes/<int:pk>/questions/add/", instruments.guide_question_add, name="guide_question_add"),
    path(P + "questions/<int:pk>/edit/", instruments.guide_question_edit, name="guide_question_edit"),
    path(P + "questions/<int:pk>/delete/", instruments.guide_question_delete, name="guide_question_delete"),
    path(P + "questions/<int:pk>/move/", instruments.guide_question_move, name="guide_question_move"),
    path(P + "questions/<int:pk>/prompts/add/", instruments.guide_prompt_add, name="guide_prompt_add"),
    path(P + "prompts/<int:pk>/edit/", instruments.guide_prompt_edit, name="guide_prompt_edit"),
    path(P + "prompts/<int:pk>/delete/", instruments.guide_prompt_delete, name="guide_prompt_delete"),
    path(P + "prompts/<int:pk>/move/", instruments.guide_prompt_move, name="guide_prompt_move"),
]
