"""``python manage.py load_demo``: the demo users and the demo study that ``make run`` starts with."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cases.demo.builder import ADMIN, DEMO_PASSWORD, DEMO_USERS, demo_load


class Command(BaseCommand):
    help = _(
        "Create the demo users and a demo study built from a real master's thesis. "
        "Running it again keeps the study as it is; --reset rebuilds it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help=_("Delete the demo study and build it again."))

    def handle(self, *args, reset: bool = False, **options):
        result = demo_load(reset=reset)
        if result.created:
            message = _("Demo study built: “%(title)s” (id %(id)s).")
        else:
            message = _(
                "Demo study already present, left as it is: “%(title)s” (id %(id)s). Use --reset to rebuild it."
            )
        self.stdout.write(self.style.SUCCESS(message % {"title": result.study.title, "id": result.study.pk}))
        self.stdout.write(_("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
        for demo_user in DEMO_USERS:
            role = (
                _("Django admin")
                if demo_user is ADMIN
                else result.study.memberships.get(user=result.users[demo_user.email]).get_role_display()
            )
            self.stdout.write(f"  {demo_user.email:<22} {role}")
