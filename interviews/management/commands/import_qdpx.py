"""``python manage.py import_qdpx FILE --owner EMAIL``: a REFI-QDA project into a new (or existing) study.

The same services as the Exchange page, for bulk migrations: each file is
checked first and imported whole or not at all; what was skipped is printed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from cases.models import User
from cases.permissions import Action, get_study_for
from interviews.refi.archive import RefiFileError
from interviews.refi.importer import import_preview, qdpx_import, qdpx_import_new_study
from interviews.refi.reader import read_project


class Command(BaseCommand):
    help = _("Import a REFI-QDA project (.qdpx) into a new study owned by --owner, or into --study.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The .qdpx file."))
        parser.add_argument("--owner", required=True, help=_("E-mail address of the user who owns the new study."))
        parser.add_argument(
            "--study", type=int, help=_("Import into this existing study (the owner must be able to edit it).")
        )
        parser.add_argument("--title", default="", help=_("Title of the new study (default: the project's name)."))
        parser.add_argument("--dry-run", action="store_true", help=_("Check the file and show the preview only."))

    def handle(self, *args, file: str, owner: str, study: int | None, title: str, dry_run: bool, **options):
        user = User.objects.filter(email__iexact=owner).first()
        if user is None:
            raise CommandError(_("No user with the e-mail address %(email)s.") % {"email": owner})
        target = None
        if study is not None:
            try:
                target, _role = get_study_for(user, study, Action.EDIT)
            except (Http404, PermissionDenied):
                raise CommandError(_("%(email)s cannot edit study %(id)d.") % {"email": owner, "id": study}) from None
        try:
            with open(file, "rb") as stream:
                project = read_project(stream)
        except OSError as error:
            raise CommandError(str(error)) from None
        except RefiFileError as error:
            raise CommandError(_("Refused: %(reason)s") % {"reason": error}) from None
        preview = import_preview(study=target, project=project)
        self.stdout.write(
            _(
                "%(codes)d new codes, %(sources)d text sources, %(selections)d selections, %(cases)d new informants, %(notes)d notes."
            )
            % {
                "codes": len(preview.new_codes),
                "sources": len(preview.sources),
                "selections": project.selection_count,
                "cases": len(preview.new_informants),
                "notes": preview.memos,
            }
        )
        for line in preview.skipped:
            self.stdout.write(_("Skipped: %(what)s") % {"what": line})
        for line in preview.warnings:
            self.stdout.write(self.style.WARNING(line))
        if not preview.is_valid:
            raise CommandError(_("Nothing was imported: %(errors)s") % {"errors": " ".join(preview.errors)})
        if dry_run:
            return
        try:
            if target is None:
                result = qdpx_import_new_study(owner=user, project=project, title=title)
            else:
                result = qdpx_import(study=target, actor=user, project=project)
        except ValidationError as error:
            raise CommandError(_("Nothing was imported: %(errors)s") % {"errors": " ".join(error.messages)}) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported into “%(title)s” (id %(id)d): %(excerpts)d excerpts, %(codes)d new codes.")
                % {
                    "title": result.study.title,
                    "id": result.study.pk,
                    "excerpts": result.excerpts,
                    "codes": result.codes,
                }
            )
        )
