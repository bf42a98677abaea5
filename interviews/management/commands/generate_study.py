"""``python manage.py generate_study --owner EMAIL [--scale N] [sizes]``: a synthetic study for benchmarks.

The typical master's study is 12 informants, 8 sessions, 250,000 characters of
transcript, 60 codes and 800 excerpts; ``--scale`` multiplies all of it, and
each size option overrides one dimension. See ``interviews/synthetic.py``.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from interviews.synthetic import StudySize, generate_study


class Command(BaseCommand):
    help = _("Build a synthetic study of a given size (Norwegian text, consent, sessions, codebook, excerpts).")

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help=_("E-mail address of the owner (created when missing)."))
        parser.add_argument("--password", help=_("Password for the owner when the account is created."))
        parser.add_argument("--scale", type=float, default=1.0, help=_("Multiple of the typical study."))
        for name in ("informants", "sessions", "chars", "codes", "excerpts"):
            parser.add_argument(
                f"--{name}", type=int, help=_("Override the scaled number of %(what)s.") % {"what": name}
            )
        parser.add_argument("--title", default="")
        parser.add_argument("--seed", type=int, default=20170501)

    def handle(self, *args, owner, password, scale, title, seed, **options):
        if scale <= 0:
            raise CommandError(_("--scale must be positive."))
        size = StudySize().scaled(scale)
        overrides = {name: options[name] for name in ("informants", "sessions", "chars", "codes", "excerpts")}
        for name, value in overrides.items():
            if value is not None and value < (0 if name == "excerpts" else 1):
                raise CommandError(_("--%(name)s must be positive.") % {"name": name})
        size = StudySize(**{name: getattr(size, name) if value is None else value for name, value in overrides.items()})
        started = time.perf_counter()
        generated = generate_study(size=size, owner_email=owner, owner_password=password, title=title, seed=seed)
        elapsed = time.perf_counter() - started
        characters = sum(source.length for source in generated.sources)
        self.stdout.write(
            _(
                "Study %(id)d: %(informants)d informants, %(sources)d sessions and sources, %(chars)s characters, "
                "%(codes)d codes, %(excerpts)d excerpts, %(codings)d codings, built in %(seconds).1f s."
            )
            % {
                "id": generated.study.pk,
                "informants": len(generated.informants),
                "sources": len(generated.sources),
                "chars": f"{characters:,}",
                "codes": len(generated.codes),
                "excerpts": generated.excerpt_count,
                "codings": generated.coding_count,
                "seconds": elapsed,
            }
        )
