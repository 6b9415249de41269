"""Domain errors: why an append was refused, naming the field; nothing was written."""

from __future__ import annotations

from events.envelope import FieldError


class DomainError(Exception):
    """An append refused by the domain; carries the field and the reason."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return (FieldError(self.field, self.reason),)


class UnknownReference(DomainError):
    """The event names an event or person that this case does not hold."""


class InvariantViolation(DomainError):
    """The event contradicts the case as recorded (a plan already ended, a duplicate start)."""


class VersionConflict(DomainError):
    """The case is not at the version the writer expected: reload and try again."""


class EventIdConflict(DomainError):
    """The event_id is already used for different content."""


class NotPermitted(DomainError):
    """The recorder may not record this: not their role, not their agency, or another
    agency's entry. `str()` says so in a sentence; `errors` names the field at fault, if any."""

    def __init__(self, detail: str, field: str | None = None, reason: str = ""):
        super().__init__(field or "(request)", reason or detail)
        self.args = (detail,)
        self.detail = detail
        self.field_at_fault = field is not None

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return super().errors if self.field_at_fault else ()


class CaseNotFound(DomainError):
    """No case has this id."""

    def __init__(self, case_id: str):
        super().__init__("case_id", f"no case {case_id!r}")
        self.case_id = case_id


class ReviewNotFound(DomainError):
    """No review has this id."""

    def __init__(self, review_id: str):
        super().__init__("review_id", f"no review {review_id!r}")
        self.review_id = review_id
