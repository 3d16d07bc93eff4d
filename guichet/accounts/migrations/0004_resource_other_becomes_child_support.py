"""Resources of the old kind "other" ("Autres revenus") become "child_support" ("Pension alimentaire reçue").

The kind "other" is gone from the form. The rights engine has always read it as alimony received
(``pensions_alimentaires_percues``): making the rows "child_support" keeps every amount and what it counts for.

A member may already have a "child_support" row for the same month (one row per member, month and kind): the
"other" amount is then added to it and the "other" row removed. Household forms in progress (drafts) are changed
the same way. Going back turns "child_support" into "other" again (what the engine read it as before).
"""

from decimal import Decimal, InvalidOperation

from django.db import migrations
from django.db.models import F

OLD, NEW = "other", "child_support"


def other_to_child_support(apps, schema_editor):
    MonthlyResource = apps.get_model("accounts", "MonthlyResource")
    for row in MonthlyResource.objects.filter(kind=OLD).iterator():
        existing = MonthlyResource.objects.filter(member_id=row.member_id, month=row.month, kind=NEW)
        if existing.exists():
            existing.update(amount=F("amount") + row.amount)
            row.delete()
        else:
            row.kind = NEW
            row.save(update_fields=["kind"])
    HouseholdDraft = apps.get_model("accounts", "HouseholdDraft")
    for draft in HouseholdDraft.objects.iterator():
        if _rename_in_draft(draft.data, OLD, NEW):
            draft.save(update_fields=["data"])


def _rename_in_draft(data, old, new) -> bool:
    """Rename the kind ``old`` into ``new`` in a draft's resources (member -> month -> kind -> amount)."""
    changed = False
    resources = data.get("resources") if isinstance(data, dict) else None
    for by_month in (resources or {}).values():
        for by_kind in by_month.values() if isinstance(by_month, dict) else ():
            if not isinstance(by_kind, dict) or old not in by_kind:
                continue
            try:
                amount = Decimal(str(by_kind[old] or 0)) + Decimal(str(by_kind.get(new) or 0))
            except InvalidOperation:
                continue  # not an amount: left for the form to refuse
            del by_kind[old]
            by_kind[new] = str(amount)
            changed = True
    return changed


def child_support_to_other(apps, schema_editor):
    MonthlyResource = apps.get_model("accounts", "MonthlyResource")
    MonthlyResource.objects.filter(kind=NEW).update(kind=OLD)
    HouseholdDraft = apps.get_model("accounts", "HouseholdDraft")
    for draft in HouseholdDraft.objects.iterator():
        if _rename_in_draft(draft.data, NEW, OLD):
            draft.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_household_rights_questions"),
    ]

    operations = [
        migrations.RunPython(other_to_child_support, child_support_to_other),
    ]
