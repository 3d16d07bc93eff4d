import datetime
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guichet.accounts import household_form
from guichet.accounts import services as account_services
from guichet.accounts.forms import HousingForm, SelfMemberForm, member_formset, member_formset_plus_one
from guichet.accounts.models import Household
from guichet.accounts.permissions import is_citizen
from guichet.audit.enums import AuditAction
from guichet.catalog.models import Commune
from guichet.core.http import posted
from guichet.core.policy import public, require
from guichet.mediation.acting import acting_for, person_for, record_action, require_authorization
from guichet.mediation.enums import Family
from guichet.rights import questionnaire, services
from guichet.rights.engine import explain as engine_explain
from guichet.rights.engine.benefits import BENEFITS_BY_ID
from guichet.rights.engine.local import local_aids
from guichet.rights.engine.situation import InvalidHousehold
from guichet.rights.enums import SimulationChannel
from guichet.rights.models import SavedSimulation
from guichet.rights.permissions import can_save_simulation
from guichet.rights.questionnaire import SESSION_KEY, STEP_COUNT, STEPS, AverageResourcesForm, ReceivedForm
from guichet.rights.simulation import CONVENTION_TEXT, Simulated, calculation_lines, simulate

# A mediator acting for someone (guichet.mediation) may simulate under either family.
ON_BEHALF = (Family.SIMULATION, Family.SOCIAL_AIDS)
on_behalf = require_authorization(*ON_BEHALF, public=True)
KEEP_KEY = "rights_keep"  # a visitor asked to keep the questionnaire's result in the account they create next


def _owner(request: HttpRequest) -> str:
    """Whose questionnaire the session holds: "" for the visitor, a mandate's id when a mediator acts for someone.

    A mediator who moves on to another person never sees the previous person's answers.
    """
    acting = acting_for(request)
    return str(acting.mandate.public_id) if acting is not None else ""


def _saved_state(request: HttpRequest) -> dict | None:
    state = request.session.get(SESSION_KEY)
    return state if state and state.get("for", "") == _owner(request) else None


def _state(request: HttpRequest) -> dict:
    return _saved_state(request) or {"data": {}, "step": 1}


def _store(request: HttpRequest, state: dict) -> None:
    state.pop("result", None)  # answers changed: the cached result no longer holds
    request.session[SESSION_KEY] = {**state, "for": _owner(request)}


def _person(request: HttpRequest):
    """The person simulated for: the citizen, or the person a mediator acts for (None for a visitor)."""
    if acting_for(request) is not None:
        return person_for(request)
    return getattr(request.user, "person", None) if is_citizen(request.user) else None


def _household(request: HttpRequest) -> Household | None:
    person = _person(request)
    return Household.objects.filter(person=person).first() if person else None


@public
@on_behalf
def start(request: HttpRequest) -> HttpResponse:
    household = _household(request)
    context = {"household": household, "state": _saved_state(request), "step_count": STEP_COUNT}
    if household is not None:
        communes = dict(Commune.objects.values_list("insee_code", "name"))
        context["recap"] = household_form.recap(household_form.initial_data(household.person), communes)
    return render(request, "rights/start.html", context)


@public
@require_POST
@on_behalf
def begin(request: HttpRequest) -> HttpResponse:
    """Start a questionnaire: empty, or prefilled from the saved household to confirm or correct."""
    source = request.POST.get("source", "empty")
    household = _household(request) if source != "empty" else None
    data = household_form.initial_data(household.person) if household else {}
    # "household": the saved household as it is; "correct": prefilled, to confirm or correct; "empty": from scratch.
    state = {"data": data, "step": STEP_COUNT + 1 if household else 1, "source": source if household else "empty"}
    _store(request, state)
    if household and source == "household":
        return redirect("rights:results")
    return redirect("rights:step", step=1)


@public
@on_behalf
def step(request: HttpRequest, step: int) -> HttpResponse:
    state = _state(request)
    if not 1 <= step <= STEP_COUNT or step > state["step"]:
        return redirect("rights:step", step=min(state["step"], STEP_COUNT))
    data = dict(state["data"])
    members = data.get("members") or []
    post = posted(request)
    action = request.POST.get("action", "next")
    context: dict = {}
    if step == 1:
        form = HousingForm(post, initial=data.get("housing") or {}, communes=_communes())
        valid = post is not None and form.is_valid()
        if valid:
            data["housing"] = form.to_data()
        context["form"] = form
    elif step == 2:
        self_form = SelfMemberForm(post, initial=members[0] if members else {}, prefix="self")
        if post is not None and action == "add_member":
            formset = member_formset_plus_one(post, members)
            return render(request, "rights/step.html", _context(step, {"self_form": self_form, "formset": formset}))
        extra = 1 if post is None and len(members) <= 1 else 0
        formset = member_formset(post, members, extra=extra)
        valid = post is not None and self_form.is_valid() and formset.is_valid()
        if valid:
            data["members"] = [self_form.to_data(), *formset.to_data()]
            count = len(data["members"])
            data["resources"] = {k: v for k, v in (data.get("resources") or {}).items() if int(k) < count}
        context.update(self_form=self_form, formset=formset)
    elif step == 3:
        form = AverageResourcesForm(post, initial=AverageResourcesForm.initial_from(data), members=members)
        valid = post is not None and form.is_valid()
        if valid:
            data["resources"], data["taxes"] = form.to_data()
        context["form"] = form
    else:
        form = ReceivedForm(post, initial=ReceivedForm.initial_from(data))
        valid = post is not None and form.is_valid()
        if valid:
            data["received"] = form.to_data()
        context["form"] = form
    if post is not None:
        if action == "previous":
            if valid:
                _store(request, {**state, "data": data})
            return redirect("rights:step", step=max(step - 1, 1))
        if valid:
            _store(request, {**state, "data": data, "step": max(state["step"], step + 1)})
            if step == STEP_COUNT:
                return redirect("rights:results")
            return redirect("rights:step", step=step + 1)
    return render(request, "rights/step.html", _context(step, context))


def _communes() -> list[tuple[str, str]]:
    return Commune.objects.choices()


def _context(step: int, context: dict) -> dict:
    return {**context, "step": STEPS[step - 1], "steps": STEPS, "step_count": STEP_COUNT}


def _computed(request: HttpRequest) -> tuple[Simulated, dict[str, str]] | None:
    """The simulation of the questionnaire in the session and the members' first names, or None if incomplete.

    The first time a questionnaire's result is shown, which aids it found is recorded without personal data (the
    measure of non-take-up).
    """
    state = _state(request)
    try:
        household = questionnaire.household_input(state["data"])
    except InvalidHousehold:
        return None
    period = questionnaire.current_period()
    simulated = simulate(household, period)
    if not state.get("recorded"):
        acting = acting_for(request)
        if acting is not None:
            pseudonym, channel = acting.person.pseudonym, SimulationChannel.MEDIATOR
            record_action(request_or_acting=acting, action=AuditAction.ON_BEHALF_SIMULATED, data={"period": period})
        elif is_citizen(request.user):
            pseudonym, channel = request.user.person.pseudonym, SimulationChannel.ACCOUNT
        else:
            pseudonym, channel = uuid.uuid4(), SimulationChannel.ANONYMOUS
        services.take_up_record_simulated(simulated=simulated, pseudonym=pseudonym, channel=channel)
        state = {**state, "recorded": True}
        if channel == SimulationChannel.ANONYMOUS:
            state["pseudonym"] = str(pseudonym)  # so that an account created next can claim this simulation
        request.session[SESSION_KEY] = state
    names = {str(index): member["first_name"] for index, member in enumerate(state["data"]["members"])}
    return simulated, names


def _shown(simulated: Simulated, names: dict[str, str]) -> dict:
    """What the results page and its PDF show: aids due, local aids with each member's tariff, aids not due."""
    local = []
    for outcome in simulated.local:
        if outcome.eligible:
            members = [
                {**member, "first_name": names.get(member["id"], member["id"])}
                for member in outcome.members
                if member["eligible"]
            ]
            local.append({"outcome": outcome, "members": members})
    return {
        "due": simulated.due,
        "local": local,
        "not_due": simulated.not_due,
        "local_not_due": [outcome for outcome in simulated.local if not outcome.eligible],
        "monthly_total": simulated.monthly_total,
        "monthly_to_claim": simulated.monthly_to_claim,
        "convention": CONVENTION_TEXT,
        "period": _month(simulated.period),
        "versions": simulated.result.versions,
    }


def _month(period: str) -> str:
    """A month "YYYY-MM" as people read it: "décembre 2026"."""
    return date_format(datetime.date.fromisoformat(f"{period}-01"), "F Y")


@public
@on_behalf
def results_view(request: HttpRequest) -> HttpResponse:
    computed = _computed(request)
    if computed is None:
        messages.info(request, _("Répondez d'abord aux questions pour connaître vos droits."))
        return redirect("rights:start")
    simulated, names = computed
    state = _state(request)
    acting = acting_for(request)
    return render(
        request,
        "rights/results.html",
        {
            "shown": _shown(simulated, names),
            "can_save": can_save_simulation(request.user) or acting is not None,
            "acting": acting,
            "can_update_household": is_citizen(request.user) and state.get("source") != "household",
            "from_household": state.get("source") == "household",
            "keeping": bool(request.session.get(KEEP_KEY)),
        },
    )


@public
@on_behalf
def results_pdf(request: HttpRequest) -> HttpResponse:
    computed = _computed(request)
    if computed is None:
        return redirect("rights:start")
    simulated, names = computed
    from weasyprint import HTML

    html = render_to_string("rights/results_pdf.html", {"shown": _shown(simulated, names)}, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mes-droits-{simulated.period}.pdf"'
    return response


def _explained(request: HttpRequest, benefit_id: str):
    """(questionnaire household, first names) for an aid's explanation, or a response to send instead."""
    if benefit_id not in BENEFITS_BY_ID and benefit_id not in local_aids():
        raise Http404
    state = _state(request)
    try:
        household = questionnaire.household_input(state["data"])
    except InvalidHousehold:
        return None, redirect("rights:start")
    names = {str(index): member["first_name"] for index, member in enumerate(state["data"]["members"])}
    return (household, names), None


@public
@on_behalf
def explanation(request: HttpRequest, benefit_id: str) -> HttpResponse:
    """ "Comprendre le calcul" for people: the few figures that add up to the amount, or why the aid is not due."""
    found, response = _explained(request, benefit_id)
    if response is not None:
        return response
    household, names = found
    period = questionnaire.current_period()
    simulated = simulate(household, period)
    outcome = next(item for item in (*simulated.national, *simulated.local) if item.id == benefit_id)
    context: dict = {"outcome": outcome, "period": _month(period), "versions": simulated.result.versions}
    if outcome.scope == "national":
        if outcome.eligible:
            context["lines"] = [
                (label, "−" if amount < 0 else "+", abs(amount))
                for label, amount in calculation_lines(household, benefit_id, period)
            ]
        context["definition"] = outcome.definition
    else:
        context["members"] = [
            {**member, "first_name": names.get(member["id"], member["id"])} for member in outcome.members
        ]
    return render(request, "rights/explanation.html", context)


@public
@on_behalf
def explanation_detail(request: HttpRequest, benefit_id: str) -> HttpResponse:
    """The technical detail of a national aid's calculation: OpenFisca's inputs and parameters, with references."""
    if benefit_id not in BENEFITS_BY_ID:
        raise Http404
    found, response = _explained(request, benefit_id)
    if response is not None:
        return response
    household, _names = found
    summary = engine_explain.explain_benefit(household, benefit_id, questionnaire.current_period())
    return render(request, "rights/explanation_detail.html", {"summary": summary})


@public
@require_POST
def keep(request: HttpRequest) -> HttpResponse:
    """A visitor asks to keep this result: it is saved into the account they create or log in with next."""
    if acting_for(request) is not None or request.user.is_authenticated:
        return redirect("rights:results")
    if not questionnaire.is_complete(_state(request)["data"]):
        return redirect("rights:start")
    request.session[KEEP_KEY] = True
    messages.info(
        request,
        _(
            "Créez votre compte, puis connectez-vous sur cet appareil : ce résultat sera enregistré dans votre "
            "compte dès votre première connexion."
        ),
    )
    return redirect("accounts:register")


@require_authorization(*ON_BEHALF)
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    computed = _computed(request)
    if computed is None:
        return redirect("rights:start")
    simulated, _names = computed
    acting = acting_for(request)
    if acting is not None:
        saved = services.simulation_save(person=acting.person, simulated=simulated, by=request.user)
        record_action(
            request_or_acting=acting,
            action=AuditAction.ON_BEHALF_SIMULATION_SAVED,
            target=saved,
            receipt=_("Une simulation de vos droits a été enregistrée dans votre compte."),
        )
        messages.success(
            request, _("Ce résultat est enregistré dans le compte de %(name)s.") % {"name": acting.person.full_name}
        )
        return redirect("rights:results")
    saved = services.simulation_save(person=request.user.person, simulated=simulated, by=request.user)
    messages.success(request, _("Ce résultat est enregistré dans votre compte."))
    return redirect("rights:saved_detail", public_id=saved.public_id)


def keep_on_login(request: HttpRequest, user) -> None:
    """After a login, save the result a visitor asked to keep (``keep``) into the citizen's account."""
    if not request.session.pop(KEEP_KEY, False) or not is_citizen(user):
        return
    state = request.session.get(SESSION_KEY) or {}
    if state.get("for", "") != "":
        return
    try:
        household = questionnaire.household_input(state.get("data") or {})
    except InvalidHousehold:
        return
    simulated = simulate(household, questionnaire.current_period())
    services.simulation_save(
        person=user.person, simulated=simulated, by=user, anonymous_pseudonym=state.get("pseudonym")
    )
    messages.success(request, _("Le résultat de votre simulation est enregistré dans votre compte."))


@require(is_citizen)
@require_POST
def update_household(request: HttpRequest) -> HttpResponse:
    """Corrections made in the simulator update the household, only when the person asks and agrees."""
    if request.POST.get("consent") != "yes":
        messages.error(request, _("Cochez la case pour accepter la mise à jour de votre foyer."))
        return redirect("rights:results")
    state = _state(request)
    data = state["data"]
    if not household_form.is_complete({**data, "taxes": data.get("taxes") or {}}):
        return redirect("rights:results")
    account_services.household_save(person=request.user.person, data=data, by=request.user)
    messages.success(request, _("Votre foyer a été mis à jour avec ces informations."))
    return redirect("rights:results")


@require(is_citizen)
def saved_list(request: HttpRequest) -> HttpResponse:
    simulations = SavedSimulation.objects.for_person(request.user.person)
    return render(request, "rights/saved_list.html", {"simulations": simulations})


@require(is_citizen)
def saved_detail(request: HttpRequest, public_id) -> HttpResponse:
    saved = get_object_or_404(SavedSimulation.objects.for_person(request.user.person), public_id=public_id)
    eligible = [
        (BENEFITS_BY_ID[key].label, value["amount"], BENEFITS_BY_ID[key].amount_period)
        for key, value in saved.results.get("benefits", {}).items()
        if value.get("eligible") and key in BENEFITS_BY_ID and BENEFITS_BY_ID[key].kind != "boolean"
    ]
    return render(request, "rights/saved_detail.html", {"saved": saved, "eligible": eligible})
