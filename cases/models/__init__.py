from .approvals import Approval, ApprovalCondition, StoredFile
from .audit import AuditEvent
from .chapters import Attribution, Chapter, ChapterBlock, ChapterSection
from .consent import ConsentRecord, InformationLetter
from .instruments import GuidePrompt, GuideQuestion, GuideTheme, Instrument, InstrumentVersion
from .people import (
    AttributeDefinition,
    AttributeValue,
    IdentityRecord,
    Informant,
    InformantGroup,
    SensitiveTerm,
    Site,
    WithdrawalTombstone,
)
from .questionnaires import (
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireChoice,
    QuestionnaireItem,
    QuestionnaireOption,
    QuestionnaireResponse,
    QuestionnaireSection,
    QuestionnaireVersion,
    SecondaryDataset,
    SecondaryDatasetRow,
)
from .reports import ReportJob
from .study import Invitation, Membership, ResearchQuestion, Study
from .users import User

__all__ = [
    "Approval",
    "ApprovalCondition",
    "Attribution",
    "AttributeDefinition",
    "AttributeValue",
    "AuditEvent",
    "Chapter",
    "ChapterBlock",
    "ChapterSection",
    "ConsentRecord",
    "GuidePrompt",
    "GuideQuestion",
    "GuideTheme",
    "IdentityRecord",
    "InformationLetter",
    "Informant",
    "InformantGroup",
    "Instrument",
    "InstrumentVersion",
    "Invitation",
    "Membership",
    "Questionnaire",
    "QuestionnaireAnswer",
    "QuestionnaireChoice",
    "QuestionnaireItem",
    "QuestionnaireOption",
    "QuestionnaireResponse",
    "QuestionnaireSection",
    "QuestionnaireVersion",
    "ReportJob",
    "SecondaryDataset",
    "SecondaryDatasetRow",
    "ResearchQuestion",
    "SensitiveTerm",
    "Site",
    "StoredFile",
    "Study",
    "User",
    "WithdrawalTombstone",
]
