"""Tests about the codebase itself."""

import ast
import pathlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command

ROOT = pathlib.Path(__file__).resolve().parent.parent
OURS = [config for config in apps.get_app_configs() if config.name.startswith("guichet.")]


@pytest.mark.django_db
def test_migrations_are_in_sync():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


# Working data a territory admin has no reason to edit by hand.
NOT_IN_ADMIN = {"accounts.HouseholdDraft", "accounts.MonthlyResource"}


def test_every_model_is_in_the_admin():
    inlined = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}
    missing = [
        model._meta.label
        for config in OURS
        for model in config.get_models()
        if model not in admin.site._registry and model not in inlined and model._meta.label not in NOT_IN_ADMIN
    ]
    assert missing == []


def test_no_relative_imports_and_no_app_imports_views_of_another():
    for path in (ROOT / "guichet").rglob("*.py"):
        tree = ast.parse(path.read_text())
        app = path.relative_to(ROOT / "guichet").parts[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, path
                module = node.module or ""
                if module.startswith("guichet.") and module.endswith(".views"):
                    assert module.split(".")[1] == app, f"{path} imports another app's views: {module}"


def test_core_depends_on_no_domain_app():
    for path in (ROOT / "guichet" / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("guichet."):
                assert node.module.startswith("guichet.core"), f"{path} imports {node.module}"


def test_every_app_sets_app_name_in_its_urls():
    for config in OURS:
        urls = pathlib.Path(config.path) / "urls.py"
        if urls.exists():
            assert "app_name = " in urls.read_text(), urls


def test_every_environment_variable_is_documented():
    import re

    names = set(
        re.findall(r'env_(?:str|int|bool|list)\(\s*"([A-Z_]+)"', (ROOT / "config" / "settings.py").read_text())
    )
    readme, example = (ROOT / "README.md").read_text(), (ROOT / ".env.example").read_text()
    assert names
    assert sorted(name for name in names if f"`{name}`" not in readme and name not in readme) == []
    assert sorted(name for name in names if not re.search(rf"^#?\s*{name}=", example, re.M)) == []


def test_apps_depend_on_each_other_without_cycles():
    """Imports between apps (at module level or inside functions) form no cycle."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "guichet").rglob("*.py"):
        app = path.relative_to(ROOT / "guichet").parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("guichet."):
                other = node.module.split(".")[1]
                if other != app:
                    graph.setdefault(app, set()).add(other)

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cycles = sorted(app for app in graph if reaches(app, app, {app}))
    assert cycles == [], f"apps in an import cycle: {cycles} ({ {a: sorted(graph[a]) for a in cycles} })"
