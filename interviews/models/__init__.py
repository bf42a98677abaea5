from .codebook import Code
from .excerpts import Coding, CodingAction, Excerpt, Memo
from .fieldwork import Attendance, Recording, Session
from .observation import ChecklistTick, FieldNoteDisagreement, ObservationNote, OtherAttendee
from .review import CodebookSnapshot, ReviewBatch, ReviewComment, ReviewItem
from .sources import Source, SourceEdit, SpeakerLabel, SpeakerTurn
from .supervision import SupervisionDecision, SupervisionMeeting

__all__ = [
    "Attendance",
    "ChecklistTick",
    "Code",
    "CodebookSnapshot",
    "Coding",
    "CodingAction",
    "Excerpt",
    "FieldNoteDisagreement",
    "Memo",
    "ObservationNote",
    "OtherAttendee",
    "Recording",
    "ReviewBatch",
    "ReviewComment",
    "ReviewItem",
    "Session",
    "Source",
    "SourceEdit",
    "SpeakerLabel",
    "SpeakerTurn",
    "SupervisionDecision",
    "SupervisionMeeting",
]
