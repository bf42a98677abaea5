from django.urls import path

from interviews.views import supervision as views

P = "studies/<int:study_id>/supervision/"

urlpatterns = [
    path(P, views.supervision_list, name="supervision_list"),
    path(P + "new/", views.supervision_meeting_create, name="supervision_meeting_create"),
    path(P + "<int:pk>/edit/", views.supervision_meeting_edit, name="supervision_meeting_edit"),
    path(P + "<int:pk>/delete/", views.supervision_meeting_delete, name="supervision_meeting_delete"),
    path(P + "<int:pk>/decisions/add/", views.supervision_decision_add, name="supervision_decision_add"),
    path(P + "decisions/<int:pk>/edit/", views.supervision_decision_edit, name="supervision_decision_edit"),
    path(P + "decisions/<int:pk>/toggle/", views.supervision_decision_toggle, name="supervision_decision_toggle"),
    path(P + "decisions/<int:pk>/delete/", views.supervision_decision_delete, name="supervision_decision_delete"),
]
