from django.urls import path

from interviews.views import retrieval as views

P = "studies/<int:study_id>/"

urlpatterns = [
    path(P + "retrieval/", views.retrieval, name="retrieval"),
    path(P + "retrieval/export/", views.retrieval_export, name="retrieval_export"),
    path(P + "matrix/", views.code_matrix, name="code_matrix"),
    path(P + "matrix/export/", views.code_matrix_export, name="code_matrix_export"),
    path(P + "cooccurrence/", views.code_cooccurrence, name="code_cooccurrence"),
    path(P + "cooccurrence/export/", views.code_cooccurrence_export, name="code_cooccurrence_export"),
]
