"""``core`` is the bottom layer: its code imports no app above it (the demo
loader and the test factories live in ``lifecert.demo``, above every app)."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1]
ABOVE = (
    "accounts",
    "api",
    "backoffice",
    "certification",
    "demo",
    "employer",
    "exports",
    "notices",
    "pensioner",
    "registry",
    "reminders",
)


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_imports_no_app_above_it():
    modules = [
        p
        for p in CORE.rglob("*.py")
        if not {"tests", "migrations"} & set(p.relative_to(CORE).parts)
    ]
    assert len(modules) > 10
    found = {
        f"{p.relative_to(CORE)}: {name}"
        for p in modules
        for name in _imports(p)
        if name.split(".")[:2] in (["lifecert", app] for app in ABOVE)
    }
    assert not found, sorted(found)
