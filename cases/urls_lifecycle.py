from django.urls import path

from cases.views import lifecycle as views

S = "studies/<int:study_id>/"

urlpatterns = [
    path(S + "lifecycle/", views.data_lifecycle, name="data_lifecycle"),
    path(S + "lifecycle/settings/", views.lifecycle_settings, name="lifecycle_settings"),
    path(S + "reidentification/", views.reidentification_check, name="reidentification_check"),
    path(S + "reidentification/terms/add/", views.sensitive_term_create, name="sensitive_term_create"),
    path(S + "reidentification/terms/<int:pk>/delete/", views.sensitive_term_delete, name="sensitive_term_delete"),
    path(S + "sites/<int:pk>/real-name/", views.site_real_name_edit, name="site_real_name_edit"),
]
