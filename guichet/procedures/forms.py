from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.procedures import computation, documents, questions
from guichet.procedures.enums import ApplicationStatus, DecisionOutcome, QuestionKind
from guichet.procedures.models import Document

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
NEW = "new"


class DocumentField(forms.FileField):
    """A file checked by its content (PDF, JPEG, PNG) and size: the error is shown on the field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("PDF, JPEG ou PNG."))
        super().__init__(widget=forms.ClearableFileInput({"accept": ACCEPT}), **kwargs)

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded:
            documents.check_upload(uploaded)
        return uploaded


class AnswersForm(forms.Form):
    """The procedure's questions, built from its configuration.

    A "member" question with nobody in the household to offer (a child's enrolment, no child declared) gets no
    field, never an empty list: ``unavailable`` holds its explanation and the way out, shown on the page; if the
    question is required, the form stays invalid with an error pointing to that explanation.
    """

    def __init__(self, *args, procedure, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.unavailable: list[tuple[dict, str]] = []
        for question in procedure.questions:
            if question["kind"] == QuestionKind.MEMBER and not questions.member_choices(question, person):
                self.unavailable.append((question, questions.no_member_message(question)))
                continue
            self.fields[question["name"]] = questions.field_for(question, person)

    def clean(self):
        data = super().clean()
        for question, _message in self.unavailable:
            if question.get("required"):
                error = _("« %(label)s » : personne dans votre foyer ne peut encore être choisi (voir ci-dessous).")
                self.add_error(None, error % {"label": question["label"]})
        return data

    def answers(self) -> dict:
        return {name: questions.to_json(value) for name, value in self.cleaned_data.items()}


class DocumentsForm(forms.Form):
    """For each required document: reuse a valid one already given, or send a new file."""

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        today = timezone.localdate()
        given = {d.document_type_id: d for d in application.documents.all()}
        self.groups = []
        for document_type in application.procedure.documents.all():
            existing = (
                Document.objects.for_person(application.applicant).valid_on(today).filter(document_type=document_type)
            )
            choices = [
                (
                    str(d.public_id),
                    _("Réutiliser « %(name)s » (déposé le %(date)s)")
                    % {"name": d.original_name, "date": d.created_at.strftime("%d/%m/%Y")},
                )
                for d in existing[:5]
            ]
            reuse_name, file_name = f"reuse_{document_type.slug}", f"file_{document_type.slug}"
            if choices:
                current = given.get(document_type.pk)
                self.fields[reuse_name] = forms.ChoiceField(
                    label=document_type.name,
                    choices=[*choices, (NEW, _("Envoyer un nouveau fichier"))],
                    widget=forms.RadioSelect,
                    initial=str(current.public_id) if current else choices[0][0],
                )
            self.fields[file_name] = DocumentField(
                label=_("Nouveau fichier : %(name)s") % {"name": document_type.name}
                if choices
                else document_type.name,
                required=False,
                help_text=document_type.description or _("PDF, JPEG ou PNG."),
            )
            self.groups.append((document_type, reuse_name if choices else None, file_name))

    def clean(self):
        data = super().clean()
        for _document_type, reuse_name, file_name in self.groups:
            reuse = data.get(reuse_name) if reuse_name else NEW
            if reuse == NEW and not data.get(file_name) and file_name not in self.errors:
                self.add_error(file_name, _("Joignez ce document."))
        return data

    def chosen(self) -> list[tuple[object, Document | None, object]]:
        """(document type, document to reuse or None, uploaded file or None) for each required document."""
        result = []
        for document_type, reuse_name, file_name in self.groups:
            reuse = self.cleaned_data.get(reuse_name) if reuse_name else NEW
            document = None
            if reuse and reuse != NEW:
                document = Document.objects.get(public_id=reuse)
            result.append((document_type, document, self.cleaned_data.get(file_name)))
        return result


class PassUrbainForm(forms.Form):
    """For each service of the Pass'urbain, who of the household enrols."""

    def __init__(self, *args, person, services, **kwargs):
        super().__init__(*args, **kwargs)
        members = computation.member_choices(getattr(person, "household", None))
        for service in services:
            self.fields[service.kind] = forms.MultipleChoiceField(
                label=service.name,
                choices=members,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=service.description,
            )

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.values()):
            raise ValidationError(_("Choisissez au moins un service pour une personne du foyer."))
        return data


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Votre message"), max_length=5000, widget=forms.Textarea({"rows": 4}))
    file = DocumentField(label=_("Joindre un document (facultatif)"), required=False)


class ResubmitForm(MessageForm):
    body = forms.CharField(
        label=_("Votre réponse à la demande d'informations"), max_length=5000, widget=forms.Textarea({"rows": 4})
    )


class ReviewRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Pourquoi demandez-vous un nouvel examen ?"),
        max_length=5000,
        widget=forms.Textarea({"rows": 6}),
        help_text=_("Expliquez ce qui vous paraît inexact ou ce qui a changé. Joignez les pièces utiles."),
    )
    file = DocumentField(label=_("Joindre un document (facultatif)"), required=False)


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher (numéro de dossier ou nom)"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("État"), required=False)
    procedure = forms.ChoiceField(label=_("Démarche"), required=False)
    mine = forms.BooleanField(label=_("Seulement les dossiers qui me sont attribués"), required=False)

    def __init__(self, *args, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = [s for s in ApplicationStatus.choices if s[0] != ApplicationStatus.DRAFT]
        self.fields["status"].choices = [("", _("Tous les dossiers en cours")), *statuses]
        self.fields["procedure"].choices = [("", _("Toutes"))] + [(p.slug, p.name) for p in procedures]


class AssignForm(forms.Form):
    agent = forms.ChoiceField(label=_("Attribuer à"), required=False)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        members = team.members.filter(role__in=["agent", "supervisor"]).select_related("person").order_by("email")
        self.fields["agent"].choices = [("", _("Personne"))] + [
            (str(u.public_id), getattr(getattr(u, "person", None), "full_name", "") or u.email) for u in members
        ]


class AnnotationForm(forms.Form):
    body = forms.CharField(
        label=_("Note interne (jamais montrée à l'usager)"), max_length=5000, widget=forms.Textarea({"rows": 3})
    )


class RequestInfoForm(forms.Form):
    message = forms.CharField(
        label=_("Informations ou pièces demandées à l'usager"), max_length=5000, widget=forms.Textarea({"rows": 4})
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Décision"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    motivation = forms.CharField(
        label=_("Motivation"),
        min_length=20,
        max_length=10000,
        widget=forms.Textarea({"rows": 6}),
        help_text=_("Les considérations de droit et de fait qui fondent la décision, en termes clairs (CRPA L211-5)."),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Motif du renvoi à l'agent"), max_length=5000, widget=forms.Textarea({"rows": 3})
    )
