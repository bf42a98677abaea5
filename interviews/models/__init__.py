from .codebook import Code
from .excerpts import Coding, CodingAction, Excerpt, Memo
from .fieldwork import Attendance, Recording, Session
from .sources import Source, SourceEdit, SpeakerLabel, SpeakerTurn
from .supervision import SupervisionDecision, SupervisionMeeting

__all__ = [
    "Attendance",
    "Code",
    "Coding",
    "CodingAction",
    "Excerpt",
    "Memo",
    "Recording",
    "Session",
    "Source",
    "SourceEdit",
    "SpeakerLabel",
    "SpeakerTurn",
    "SupervisionDecision",
    "SupervisionMeeting",
]
