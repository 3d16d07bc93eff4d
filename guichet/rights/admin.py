from django.contrib import admin

from guichet.rights.models import SavedSimulation, TakeUpRecord


@admin.register(SavedSimulation)
class SavedSimulationAdmin(admin.ModelAdmin):
    list_display = ["person", "period", "monthly_total", "created_at"]
    readonly_fields = ["person", "period", "inputs", "results", "versions", "monthly_total"]


@admin.register(TakeUpRecord)
class TakeUpRecordAdmin(admin.ModelAdmin):
    list_display = ["benefit", "stage", "channel", "period", "created_at"]
    list_filter = ["stage", "channel", "benefit"]

    def has_change_permission(self, request, obj=None):
        return False
