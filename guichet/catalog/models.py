"""The territory: its communes, its services and its counters (places)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guichet.catalog.enums import PlaceKind, ServiceKind, Weekday
from guichet.core.models import PublicModel


class Territory(PublicModel):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")

    def __str__(self) -> str:
        return self.name


class CommuneQuerySet(models.QuerySet["Commune"]):
    def choices(self) -> list[tuple[str, str]]:
        """(INSEE code, "Name (postal code)") pairs for a select, by name."""
        return [(c.insee_code, str(c)) for c in self.order_by("name")]


class Commune(models.Model):
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="communes")
    insee_code = models.CharField(_("code INSEE"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    postal_code = models.CharField(_("code postal principal"), max_length=5)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.postal_code})"


class ServiceQuerySet(models.QuerySet["Service"]):
    def active(self) -> "ServiceQuerySet":
        return self.filter(is_active=True)


class Service(PublicModel):
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"))
    kind = models.CharField(_("type"), max_length=16, choices=ServiceKind.choices)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("ouvert"), default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [models.UniqueConstraint(fields=["territory", "slug"], name="service_slug_per_territory")]

    def __str__(self) -> str:
        return self.name


class Place(PublicModel):
    """A counter where people are received: a France Services, a town hall, a CCAS."""

    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="places")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="places")
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=PlaceKind.choices)
    address_line = models.CharField(_("adresse"), max_length=250)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="places", verbose_name=_("services"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("lieu d'accueil")
        verbose_name_plural = _("lieux d'accueil")

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens_at = models.TimeField(_("ouverture"))
    closes_at = models.TimeField(_("fermeture"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("horaire d'ouverture")
        verbose_name_plural = _("horaires d'ouverture")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="opening_hours_closes_after_opens"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"
