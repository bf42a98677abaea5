"""Factories for the test suite. Build through services where behaviour matters;
these make plain rows fast."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from cases.models import (
    Approval,
    ConsentRecord,
    IdentityRecord,
    Informant,
    InformantGroup,
    InformationLetter,
    Membership,
    ResearchQuestion,
    Site,
    Study,
    User,
)
from interviews.models import Attendance, Session


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password("pass-word-123")


class StudyFactory(DjangoModelFactory):
    class Meta:
        model = Study
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Medarbeiderdrevet innovasjon {n}")
    problem_statement = "Hvilke faktorer er avgjørende for å oppnå varig medarbeiderdrevet innovasjon i kommunene?"
    institution = "NTNU"
    programme = "Master i organisasjon og ledelse"
    year = 2017
    language = "nb"
    start_date = dt.date(2016, 9, 1)
    end_date = dt.date(2017, 5, 1)
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def owner_membership(obj, create, extracted, **kwargs):
        if create:
            Membership.objects.get_or_create(study=obj, user=obj.created_by, defaults={"role": Membership.Role.OWNER})


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    study = factory.SubFactory(StudyFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.CO_RESEARCHER


class ResearchQuestionFactory(DjangoModelFactory):
    class Meta:
        model = ResearchQuestion

    study = factory.SubFactory(StudyFactory)
    position = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"RQ{n + 1}")
    text = "Hva slags organisatoriske forutsetninger er grunnleggende for å praktisere MDI?"


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    study = factory.SubFactory(StudyFactory)
    pseudonym = factory.Sequence(lambda n: f"Kommune {chr(65 + n % 26)}{n // 26 or ''}")


class InformantGroupFactory(DjangoModelFactory):
    class Meta:
        model = InformantGroup

    study = factory.SubFactory(StudyFactory)
    label = factory.Sequence(lambda n: f"Gruppe {n}")


class InformantFactory(DjangoModelFactory):
    class Meta:
        model = Informant

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"I{n + 1}")
    role = "personalleder"


class IdentityRecordFactory(DjangoModelFactory):
    class Meta:
        model = IdentityRecord

    informant = factory.SubFactory(InformantFactory)
    full_name = "Kari Nordmann"
    email = "kari@example.org"


class InformationLetterFactory(DjangoModelFactory):
    class Meta:
        model = InformationLetter

    study = factory.SubFactory(StudyFactory)
    version = factory.Sequence(lambda n: f"v{n + 1}")
    dated = dt.date(2016, 11, 1)


class ConsentRecordFactory(DjangoModelFactory):
    class Meta:
        model = ConsentRecord

    informant = factory.SubFactory(InformantFactory)
    given_on = dt.date(2017, 1, 10)
    recorded_by = factory.SelfAttribute("informant.study.created_by")


class ApprovalFactory(DjangoModelFactory):
    class Meta:
        model = Approval

    study = factory.SubFactory(StudyFactory)
    kind = Approval.Kind.SIKT
    state = Approval.State.APPROVED
    project_number = "50900"
    reference = "50900 / 3 / BGH"


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"S{n + 1:02d}")
    kind = Session.Kind.INDIVIDUAL_INTERVIEW
    status = Session.Status.HELD
    date = dt.date(2017, 1, 20)


class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    informant = factory.SubFactory(InformantFactory, study=factory.SelfAttribute("..session.study"))
    status = Attendance.Status.CAME
