"""Approvals, information letters, consent and file downloads."""

from django.urls import path

from cases.views import compliance

urlpatterns = [
    path("studies/<int:study_id>/approvals/", compliance.approval_list, name="approval_list"),
    path("studies/<int:study_id>/approvals/new/", compliance.approval_create, name="approval_create"),
    path("studies/<int:study_id>/approvals/<int:pk>/edit/", compliance.approval_edit, name="approval_edit"),
    path(
        "studies/<int:study_id>/approvals/conditions/<int:pk>/toggle/",
        compliance.approval_condition_toggle,
        name="approval_condition_toggle",
    ),
    path("studies/<int:study_id>/files/<int:pk>/", compliance.file_download, name="file_download"),
    path("studies/<int:study_id>/consent/", compliance.consent_list, name="consent_list"),
    path("studies/<int:study_id>/consent/letters/new/", compliance.letter_create, name="letter_create"),
    path("studies/<int:study_id>/consent/letters/<int:pk>/edit/", compliance.letter_edit, name="letter_edit"),
    path("studies/<int:study_id>/informants/<int:pk>/consent/", compliance.consent_history, name="consent_history"),
    path("studies/<int:study_id>/informants/<int:pk>/consent/new/", compliance.consent_record, name="consent_record"),
    path(
        "studies/<int:study_id>/informants/<int:pk>/consent/withdraw/",
        compliance.consent_withdraw,
        name="consent_withdraw",
    ),
]
