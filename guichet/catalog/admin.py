from django.contrib import admin

from guichet.catalog.models import Commune, OpeningHours, Place, Service, Territory


class CommuneInline(admin.TabularInline):
    model = Commune
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    inlines = [CommuneInline]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "insee_code", "postal_code", "territory"]
    search_fields = ["name", "insee_code", "postal_code"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "territory", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune"]
    list_filter = ["kind"]
    search_fields = ["name", "address_line"]
    filter_horizontal = ["services"]
    inlines = [OpeningHoursInline]
