from django.contrib.auth import views as auth_views
from django.urls import path

from cases.views import studies

urlpatterns = [
    path("", studies.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", studies.account, name="account"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("invitations/<str:token>/", studies.invitation_accept, name="invitation_accept"),
    path("studies/new/", studies.study_create, name="study_create"),
    path("studies/<int:study_id>/", studies.study_overview_view, name="study_overview"),
    path("studies/<int:study_id>/plan/", studies.study_detail, name="study_detail"),
    path("studies/<int:study_id>/plan/edit/", studies.study_edit, name="study_edit"),
    path("studies/<int:study_id>/settings/", studies.study_settings, name="study_settings"),
    path("studies/<int:study_id>/research-questions/add/", studies.rq_create, name="rq_create"),
    path("studies/<int:study_id>/research-questions/<int:pk>/edit/", studies.rq_edit, name="rq_edit"),
    path("studies/<int:study_id>/research-questions/<int:pk>/move/", studies.rq_move, name="rq_move"),
    path("studies/<int:study_id>/research-questions/<int:pk>/delete/", studies.rq_delete, name="rq_delete"),
    path("studies/<int:study_id>/people/", studies.member_list, name="member_list"),
    path("studies/<int:study_id>/people/invite/", studies.invitation_create, name="invitation_create"),
    path("studies/<int:study_id>/people/invitations/<int:pk>/withdraw/", studies.invitation_revoke, name="invitation_revoke"),
    path("studies/<int:study_id>/people/<int:pk>/remove/", studies.member_remove, name="member_remove"),
    path("studies/<int:study_id>/audit/", studies.audit_log, name="audit_log"),
]
