"""Who may see and act on procedures: plain predicates.

Object rules answer False for anything the user must not know exists; views turn that into a 404.
"""

from typing import Any

from guichet.accounts.enums import Role
from guichet.accounts.permissions import is_citizen

INSTRUCTOR_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})


def is_instructor(user: Any) -> bool:
    """Agents and supervisors process applications (of their own teams only)."""
    return bool(user.is_authenticated and user.role in INSTRUCTOR_ROLES)


def is_supervisor(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.SUPERVISOR)


def is_citizen_or_instructor(user: Any) -> bool:
    return is_citizen(user) or is_instructor(user)


def is_team_member(user: Any, team: Any) -> bool:
    return bool(is_instructor(user) and team.members.filter(pk=user.pk).exists())


def is_applicant(user: Any, application: Any) -> bool:
    person = getattr(user, "person", None) if user.is_authenticated else None
    return bool(person is not None and application.applicant_id == person.pk)


def can_process(user: Any, application: Any) -> bool:
    """An agent of the procedure's team, on a case the person has submitted."""
    return application.status != "draft" and is_team_member(user, application.procedure.team)


def can_see_application(user: Any, application: Any) -> bool:
    return is_applicant(user, application) or can_process(user, application)


def can_see_document(user: Any, document: Any) -> bool:
    """The owner, or an agent of a team processing a case the document was given in."""
    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is not None and document.owner_id == person.pk:
        return True
    if not is_instructor(user):
        return False
    from guichet.procedures.models import Application

    cases = Application.objects.for_agent(user)
    return (
        cases.filter(documents=document).exists()
        or cases.filter(messages__documents=document).exists()
        or cases.filter(decisions__reviews__documents=document).exists()
    )


def can_sign(user: Any, decision: Any) -> bool:
    """The second signature belongs to a supervisor of the team, who is not the one who decided."""
    return (
        is_supervisor(user)
        and is_team_member(user, decision.application.procedure.team)
        and decision.decided_by_id != user.pk
    )


def can_decide_review(user: Any, review: Any) -> bool:
    """A review is examined by an agent of the team other than the one who took the contested decision."""
    return (
        is_team_member(user, review.decision.application.procedure.team) and review.decision.decided_by_id != user.pk
    )
