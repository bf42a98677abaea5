from django.urls import path

from interviews.views import review as views

S = "studies/<int:study_id>/review/"

urlpatterns = [
    path(S, views.review_list, name="review_list"),
    path(S + "new/", views.review_batch_create, name="review_batch_create"),
    path(S + "codebook/", views.codebook_review_submit, name="codebook_review_submit"),
    path(S + "<int:pk>/", views.review_batch, name="review_batch"),
    path(S + "<int:pk>/submit/", views.review_batch_submit, name="review_batch_submit"),
    path(S + "<int:pk>/close/", views.review_batch_decide, name="review_batch_decide"),
    path(S + "items/<int:pk>/decide/", views.review_item_decide, name="review_item_decide"),
    path(S + "comments/new/", views.review_comment_add, name="review_comment_add"),
    path(S + "comments/<int:pk>/resolve/", views.review_comment_resolve, name="review_comment_resolve"),
]
