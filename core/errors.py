"""Domain errors: raised by services and tools, turned into HTTP codes or spoken sentences at the edges."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure whose message is fit to show or say to the user."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know it exists."""

    status_code = 404


class Forbidden(DomainError):
    """The caller can see the thing but may not do this to it."""

    status_code = 403


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a full slot)."""

    status_code = 409


class Invalid(DomainError):
    """An argument is not acceptable (an impossible date, a party of 500)."""

    status_code = 422


class Question(Invalid):
    """One more thing is needed that the caller can say: the message asks for it, and `fills` names the
    arguments of the same call the answer goes into, the likeliest first ("the code, or the name on it")."""

    def __init__(self, message: str, fills: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fills = fills
