"""The one way a study view loads its study: membership checked, role policy applied."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from cases.models import Membership
from cases.permissions import Action, get_study_for, membership_with_user, role_allows


def study_view(action: Action = Action.VIEW) -> Callable:
    """Decorate a view taking ``(request, study, ...)``; the URL carries ``study_id``.

    Anonymous users are sent to the login page; non-members get 404; members
    whose role lacks ``action`` get 403. The action is kept on the view so the
    permission tests can check every URL against the policy.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def checked(request: HttpRequest, study_id: int, *args, **kwargs) -> HttpResponse:
            study, role = get_study_for(request.user, study_id, action)
            request.study = study
            request.study_role = role
            request.study_can = {a.value: role_allows(study, role, a) for a in Action}
            request.study_role_label = Membership.Role(role).label
            return view(request, study, *args, **kwargs)

        @wraps(view)
        def wrapper(request: HttpRequest, study_id: int, *args, **kwargs) -> HttpResponse:
            # The user is read with its membership of the study, in one query (unless something read it before).
            with membership_with_user(study_id):
                request.user.is_authenticated  # noqa: B018 - touching the lazy user reads it
            return checked(request, study_id, *args, **kwargs)

        wrapper.study_action = action  # type: ignore[attr-defined]
        return wrapper

    return decorator


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, field by field where it names fields."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def submit_form(request: HttpRequest, form: Form, save: Callable[[], object], success: str) -> bool:
    """Validate a posted form and run its service; True when saved, else the errors are on the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save()
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    messages.success(request, success)
    return True


def post_only() -> HttpResponse:
    """The answer to a GET on a POST-only URL.

    Views call it after loading their object, so another study's object answers 404 to every method.
    """
    return HttpResponseNotAllowed(["POST"])
