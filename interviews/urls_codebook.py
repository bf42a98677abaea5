from django.urls import path

from interviews.views import codebook as views

P = "studies/<int:study_id>/codebook/"
M = "studies/<int:study_id>/memos/"

urlpatterns = [
    path(P, views.codebook, name="codebook"),
    path(P + "new/", views.code_create, name="code_create"),
    path(P + "seed/", views.codebook_seed, name="codebook_seed"),
    path(P + "export.csv", views.codebook_export, name="codebook_export"),
    path(P + "import/", views.codebook_import, name="codebook_import"),
    path(P + "<int:pk>/edit/", views.code_edit, name="code_edit"),
    path(P + "<int:pk>/move/", views.code_move, name="code_move"),
    path(P + "<int:pk>/reorder/", views.code_reorder, name="code_reorder"),
    path(P + "<int:pk>/merge/", views.code_merge, name="code_merge"),
    path(P + "<int:pk>/drop/", views.code_drop, name="code_drop"),
    path(P + "<int:pk>/delete/", views.code_delete, name="code_delete"),
    path(M, views.memo_list, name="memo_list"),
    path(M + "new/", views.memo_create, name="memo_create"),
    path(M + "<int:pk>/edit/", views.memo_edit, name="memo_edit"),
    path(M + "<int:pk>/delete/", views.memo_delete, name="memo_delete"),
]
