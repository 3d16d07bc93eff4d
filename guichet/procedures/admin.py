from django.contrib import admin

from guichet.procedures.models import (
    Annotation,
    Application,
    Decision,
    Document,
    DocumentType,
    Message,
    ProcedureType,
    Review,
    Subscription,
    Team,
    Transition,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    filter_horizontal = ["members"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "validity_days"]


@admin.register(ProcedureType)
class ProcedureTypeAdmin(admin.ModelAdmin):
    """Territory admins define procedures here, without code (questions are checked by ``clean``)."""

    list_display = ["name", "kind", "team", "target_delay_days", "requires_second_signature", "is_active"]
    list_filter = ["kind", "team", "is_active"]
    filter_horizontal = ["documents"]
    prepopulated_fields = {"slug": ["name"]}


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "note"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["author", "from_agent", "body"]
    readonly_fields = fields


class AnnotationInline(admin.TabularInline):
    model = Annotation
    extra = 0
    fields = ["author", "body"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: statuses change only through the services (each change is audited)."""

    list_display = ["receipt_number", "procedure", "status", "submitted_at", "assigned_to"]
    list_filter = ["status", "procedure"]
    search_fields = ["receipt_number"]
    inlines = [TransitionInline, MessageInline, AnnotationInline]
    readonly_fields = [
        "procedure",
        "applicant",
        "created_by",
        "status",
        "answers",
        "step",
        "documents",
        "receipt_number",
        "submitted_at",
        "decided_at",
        "assigned_to",
        "renewal_of",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "document_type", "content_type", "size", "valid_until"]
    readonly_fields = ["owner", "path", "original_name", "content_type", "size", "sha256", "uploaded_by"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["application", "outcome", "status", "decided_by", "signed_at"]
    list_filter = ["outcome", "status"]
    readonly_fields = [
        "application",
        "review",
        "outcome",
        "motivation",
        "status",
        "decided_by",
        "signed_by",
        "signed_at",
        "return_comment",
        "engine_aid",
        "engine_period",
        "engine_member",
        "engine_result",
        "engine_explanation",
        "computed_value",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["decision", "status", "assigned_to", "due_on"]
    list_filter = ["status"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["member_first_name", "service", "price", "unit", "valid_from", "valid_until", "status"]
    list_filter = ["service", "status"]
