"""An informant's withdrawal: the confirmation page and the cascade."""

from django.urls import path

from cases.views import withdrawal

urlpatterns = [
    path(
        "studies/<int:study_id>/informants/<int:pk>/withdraw/",
        withdrawal.informant_withdraw,
        name="informant_withdraw",
    ),
]
