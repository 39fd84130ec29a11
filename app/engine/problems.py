"""What is wrong with a definition: one problem per element, in Chinese, with the original."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DefinitionProblem:
    element_id: str  # "" when the problem is with the file as a whole
    message: str  # Chinese, for the process owner
    severity: str = "error"  # "error" blocks deployment; "warning" is shown and allowed
    detail: str = ""  # what the engine or the schema said, in its own words
    line: int | None = None  # where in the file (XML and schema errors, elements without id)
    column: int | None = None
    code: str = ""  # a refusal the owner may overrule, e.g. CONFIRM_VERSION

    def as_dict(self) -> dict[str, object]:
        """The API's form: every key present (null when unknown)."""
        found: dict[str, object] = {
            "element_id": self.element_id, "line": self.line, "column": self.column,
            "message": self.message, "detail": self.detail or None, "severity": self.severity,
        }  # fmt: skip
        if self.code:
            found["code"] = self.code
        return found


class BpmnDefinitionError(ValueError):
    def __init__(
        self, problems: list[DefinitionProblem], facts: DiagramFacts | None = None
    ) -> None:
        super().__init__("; ".join(f"{p.element_id}: {p.message}" for p in problems))
        self.problems = problems
        self.facts = facts  # what could be read of the diagram, for the service's own rules


@dataclass
class MessageWait:
    """An element that waits for a message: who could ever send it decides if it may deploy."""

    element_id: str
    kind: str  # start (a message start event) or catch
    message: str  # the message's name ("" when the event names none)


@dataclass
class MessageSend:
    """An element that sends a message (send task, message throw or end event)."""

    element_id: str
    message: str  # the message's name


@dataclass
class DiagramFacts:
    """What the services' rules need of a diagram, read from its XML (so they apply even when
    the engine cannot parse it): who starts it and which messages it waits for and sends."""

    start_event: str = ""  # the executable process's start event
    start_lane: str = ""  # the name of the lane it is in
    message_waits: list[MessageWait] = field(default_factory=list)
    message_sends: list[MessageSend] = field(default_factory=list)
    generated_forms: dict[str, dict] = field(default_factory=dict)  # camunda:formData, by name
    mapped_roles: dict[str, str] = field(default_factory=dict)  # task id -> role from its groups
