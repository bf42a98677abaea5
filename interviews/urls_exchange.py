from django.urls import path

from interviews.views import exchange as views

P = "studies/<int:study_id>/exchange/"

urlpatterns = [
    path("studies/import/", views.study_import, name="study_import"),
    path(P, views.exchange, name="exchange"),
    path(P + "project.qdpx", views.export_qdpx, name="exchange_export_qdpx"),
    path(P + "codebook.qdc", views.export_qdc, name="exchange_export_qdc"),
    path(P + "excerpts.csv", views.export_excerpts_csv, name="exchange_excerpts_csv"),
    path(P + "excerpts.xlsx", views.export_excerpts_xlsx, name="exchange_excerpts_xlsx"),
    path(P + "codebook.xlsx", views.export_codebook_xlsx, name="exchange_codebook_xlsx"),
    path(P + "code-groups.xlsx", views.export_matrix_xlsx, name="exchange_matrix_xlsx"),
    path(P + "import/", views.exchange_import, name="exchange_import"),
]
