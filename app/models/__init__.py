"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from app.models.audit import AuditEvent, AuditVerification
from app.models.base import Base
from app.models.calendar import CalendarDay, CalendarYear
from app.models.case import (
    Attachment,
    Case,
    CourtMessage,
    Document,
    DocumentCounter,
    ProcessMessage,
    Setting,
)
from app.models.incident import Incident
from app.models.office import UnitWebhook, WebhookDelivery
from app.models.org import (
    ROLES,
    UNIT_KINDS,
    ApiToken,
    CalendarFeed,
    LoginSession,
    Substitution,
    Unit,
    User,
)
from app.models.process import (
    LadderStep,
    MailOutbox,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    Reminder,
    TaskRecord,
    Timer,
)
from app.models.stats import StatCount
from app.models.work import MatterTitle, TaskComment, TaskDraft

__all__ = [
    "ROLES",
    "Setting",
    "StatCount",
    "Substitution",
    "UNIT_KINDS",
    "ApiToken",
    "Attachment",
    "Incident",
    "AuditEvent",
    "AuditVerification",
    "Base",
    "CalendarDay",
    "CalendarFeed",
    "CalendarYear",
    "Case",
    "CourtMessage",
    "Document",
    "LadderStep",
    "LoginSession",
    "MatterTitle",
    "MailOutbox",
    "Notification",
    "DocumentCounter",
    "ProcessDefinition",
    "ProcessInstance",
    "ProcessMessage",
    "Reminder",
    "TaskComment",
    "TaskDraft",
    "TaskRecord",
    "Timer",
    "Unit",
    "User",
    "UnitWebhook",
    "WebhookDelivery",
]
