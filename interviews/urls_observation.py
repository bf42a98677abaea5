from django.urls import path

from interviews.views import observation as views

P = "studies/<int:study_id>/sessions/"

urlpatterns = [
    path(P + "<int:pk>/attendees/add/", views.other_attendee_add, name="other_attendee_add"),
    path(P + "attendees/<int:pk>/remove/", views.other_attendee_remove, name="other_attendee_remove"),
    path(P + "<int:pk>/agenda/", views.session_agenda, name="session_agenda"),
    path(P + "<int:pk>/checklist/", views.observation_checklist, name="observation_checklist"),
    path(P + "<int:pk>/checklist/save/", views.observation_checklist_save, name="observation_checklist_save"),
    path(P + "<int:pk>/notes/", views.observation_notes, name="observation_notes"),
    path(P + "<int:pk>/notes/add/", views.observation_note_add, name="observation_note_add"),
    path(P + "<int:pk>/notes/to-source/", views.observation_notes_to_source, name="observation_notes_to_source"),
    path(P + "notes/<int:pk>/delete/", views.observation_note_delete, name="observation_note_delete"),
    path(P + "<int:pk>/field-notes/", views.field_notes_compare, name="field_notes_compare"),
    path(P + "<int:pk>/field-notes/disagreements/", views.disagreement_record, name="disagreement_record"),
    path(P + "<int:pk>/field-notes/reconciled/", views.reconciled_notes_create, name="reconciled_notes_create"),
    path(P + "disagreements/<int:pk>/resolve/", views.disagreement_resolve, name="disagreement_resolve"),
    path("studies/<int:study_id>/observation/counts/", views.observation_counts, name="observation_counts"),
]
