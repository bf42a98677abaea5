from django.urls import path

from cases.views import people

urlpatterns = [
    path("studies/<int:study_id>/sites/", people.site_list, name="site_list"),
    path("studies/<int:study_id>/sites/add/", people.site_create, name="site_create"),
    path("studies/<int:study_id>/sites/<int:pk>/edit/", people.site_edit, name="site_edit"),
    path("studies/<int:study_id>/sites/<int:pk>/delete/", people.site_delete, name="site_delete"),
    path("studies/<int:study_id>/groups/add/", people.group_create, name="group_create"),
    path("studies/<int:study_id>/groups/<int:pk>/edit/", people.group_edit, name="group_edit"),
    path("studies/<int:study_id>/groups/<int:pk>/delete/", people.group_delete, name="group_delete"),
    path("studies/<int:study_id>/attributes/add/", people.attribute_create, name="attribute_create"),
    path("studies/<int:study_id>/attributes/<int:pk>/edit/", people.attribute_edit, name="attribute_edit"),
    path("studies/<int:study_id>/attributes/<int:pk>/delete/", people.attribute_delete, name="attribute_delete"),
    path("studies/<int:study_id>/informants/", people.informant_list, name="informant_list"),
    path("studies/<int:study_id>/informants/add/", people.informant_create, name="informant_create"),
    path("studies/<int:study_id>/informants/import/", people.informant_import, name="informant_import"),
    path("studies/<int:study_id>/informants/<int:pk>/", people.informant_detail, name="informant_detail"),
    path("studies/<int:study_id>/informants/<int:pk>/edit/", people.informant_edit, name="informant_edit"),
    path("studies/<int:study_id>/informants/<int:pk>/identity/", people.identity_edit, name="identity_edit"),
    path("studies/<int:study_id>/key-list/", people.key_list, name="key_list"),
]
