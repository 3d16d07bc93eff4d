from django.contrib import admin

from guichet.appointments.models import (
    Agenda,
    AgendaHours,
    Booking,
    Closure,
    LotteryRequest,
    LotteryWindow,
    Seat,
    Slot,
)


class AgendaHoursInline(admin.TabularInline):
    model = AgendaHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Agenda)
class AgendaAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slot_minutes", "seats_per_slot", "reserved_percent", "is_active"]
    list_filter = ["is_active", "service", "place"]
    filter_horizontal = ["agents"]
    inlines = [AgendaHoursInline, ClosureInline]


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0
    readonly_fields = ["number"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "day"]
    list_filter = ["agenda"]
    date_hierarchy = "starts_at"
    readonly_fields = ["agenda", "starts_at", "ends_at", "day"]
    inlines = [SeatInline]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "channel", "status", "created_at"]
    list_filter = ["status", "channel"]
    # Bound to one identity: nothing here can change who a booking is for, or which seat it holds.
    readonly_fields = [
        "seat",
        "slot",
        "person",
        "channel",
        "status",
        "booked_by",
        "origin",
        "cancelled_at",
        "checked_in_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


class LotteryRequestInline(admin.TabularInline):
    model = LotteryRequest
    extra = 0
    readonly_fields = ["person", "status", "booking"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LotteryWindow)
class LotteryWindowAdmin(admin.ModelAdmin):
    list_display = ["__str__", "requests_open_at", "requests_close_at", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "seed", "draw_order", "drawn_at"]
    inlines = [LotteryRequestInline]
