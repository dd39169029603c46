"""Business errors. Each names the problem a user or an operator would recognise.

The HTTP layer maps them to status codes (see service/http/errors.py); the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    """Base of every business error a service raises (about routes, people, documents, input…);
    `message` is Russian and shown to the user, `status` is what HTTP answers."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequestBody(ServiceError):
    """The request body is not what the endpoint takes (not a JSON object, malformed JSON)."""

    status = 400


class CrossSiteWriteRefused(ServiceError):
    """A write authenticated by the session cookie that a cross-site form could have sent: it is
    neither JSON nor carries the pages' CSRF token."""

    status = 415


class TooManyAttempts(ServiceError):
    """Too many wrong passwords for this login from this address (or from everywhere): wait."""

    status = 429


class NotFound(ServiceError):
    status = 404


class NotAllowed(ServiceError):
    """The person may not do this (wrong assignee, wrong role, outside their scope)."""

    status = 403


class NotAuthenticated(ServiceError):
    status = 401


@dataclass(frozen=True)
class FieldProblem:
    pointer: str
    message: str


class FormRejected(ServiceError):
    """Submitted data failed validation; `problems` point at the fields."""

    status = 422

    def __init__(self, problems: list[FieldProblem], message: str = "Форма заполнена с ошибками"):
        super().__init__(message)
        self.problems = problems


class TaskAlreadyDone(ServiceError):
    """The task is no longer waiting: someone completed it, or the route moved on."""

    status = 409


class ConcurrentUpdate(ServiceError):
    """Another request changed the route between our read and our write."""

    status = 409


class WorkflowRejected(ServiceError):
    """A BPMN deployment failed validation (XSD, unsafe expression, unknown form/role/handler)."""

    status = 422

    def __init__(self, problems: list[str]):
        super().__init__("Схема процесса отклонена: " + "; ".join(problems))
        self.problems = problems


class MigrationBlocked(ServiceError):
    """A route cannot move to another version of its process: a task its people hold now is not
    in the new version and no task to move it to was given (or the one given does not fit)."""

    status = 409


class UnsafeExpression(ServiceError):
    """A BPMN expression uses something outside the allowed expression language."""

    status = 422


class StepFailed(ServiceError):
    """The engine could not carry out an automatic step (a handler or an expression failed)."""

    status = 500


class TemplateRejected(ServiceError):
    """A document template cannot be used: not a .docx, corrupt, or it needs data we do not give."""

    status = 422


class DocumentChanged(ServiceError):
    """The document a person is signing is not the version they were shown."""

    status = 409


class SignatureRefused(ServiceError):
    """A signature could not be accepted (wrong password, already signed)."""

    status = 403


class PdfUnavailable(ServiceError):
    """PDF needs LibreOffice, which is not installed on this server."""

    status = 501


class ResetLinkUnusable(ServiceError):
    """A password-reset link that was already used, has expired, or never existed."""

    status = 410


class SignatureRulesNotAccepted(SignatureRefused):
    """The signer has not accepted the current version of the simple electronic signature
    regulation (Положение о ПЭП): without that agreement a ПЭП is not a signature (63-ФЗ, ст. 9).
    `link` is the page where it is read and accepted."""

    status = 403

    def __init__(self, message: str, link: str):
        super().__init__(message)
        self.link = link


class RouteNotMigratable(ServiceError):
    """The route cannot move at all: it is finished or cancelled, or already on that version."""

    status = 409


class MigrationNotRevertible(ServiceError):
    """A migration can be undone only while nothing happened on the new version after it."""

    status = 409
