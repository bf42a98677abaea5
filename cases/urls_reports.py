from django.urls import path

from cases.views import reports

urlpatterns = [
    path("studies/<int:study_id>/reports/", reports.report_list, name="report_list"),
    path("studies/<int:study_id>/reports/request/", reports.report_request, name="report_request"),
    path("studies/<int:study_id>/reports/<int:pk>/status/", reports.report_status, name="report_status"),
    path("studies/<int:study_id>/reports/<int:pk>/download/", reports.report_download, name="report_download"),
]
