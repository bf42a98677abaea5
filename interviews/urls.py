from django.urls import path

from interviews.views import fieldwork as views

P = "studies/<int:study_id>/sessions/"

urlpatterns = [
    path(P, views.session_list, name="session_list"),
    path(P + "new/", views.session_create, name="session_create"),
    path(P + "<int:pk>/", views.session_detail, name="session_detail"),
    path(P + "<int:pk>/edit/", views.session_edit, name="session_edit"),
    path(P + "<int:pk>/attendance/", views.attendance_edit, name="attendance_edit"),
    path(P + "<int:pk>/recordings/add/", views.recording_create, name="recording_create"),
    path(P + "recordings/<int:pk>/edit/", views.recording_edit, name="recording_edit"),
]
