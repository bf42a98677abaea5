from django.urls import path

from interviews.views import coding as views

S = "studies/<int:study_id>/"

urlpatterns = [
    path(S + "sources/<int:pk>/code/", views.coding_view, name="coding_view"),
    path(S + "sources/<int:pk>/code/undo/", views.coding_undo, name="coding_undo"),
    path(S + "coding/codes/<int:pk>/children/", views.coding_code_children, name="coding_code_children"),
    path(S + "coding/codes/search/", views.coding_code_search, name="coding_code_search"),
    path(S + "excerpts/new/", views.excerpt_create, name="excerpt_create"),
    path(S + "excerpts/<int:pk>/adjust/", views.excerpt_adjust, name="excerpt_adjust"),
    path(S + "excerpts/<int:pk>/codes/add/", views.excerpt_code_add, name="excerpt_code_add"),
    path(S + "excerpts/<int:pk>/codes/remove/", views.excerpt_code_remove, name="excerpt_code_remove"),
    path(S + "excerpts/<int:pk>/delete/", views.excerpt_delete, name="excerpt_delete"),
    path(S + "excerpts/<int:pk>/", views.excerpt_detail, name="excerpt_detail"),
    path(
        S + "excerpts/<int:pk>/corroborations/search/",
        views.excerpt_corroboration_search,
        name="excerpt_corroboration_search",
    ),
]
