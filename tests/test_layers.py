"""Templates follow the layers too: `make check` runs import-linter on the Python imports (the
contracts in pyproject.toml); a `{% load %}` is an import in spirit, which it cannot see."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    return [layer.strip("()") for layer in contract["layers"]]


def _app_of(path: Path, layers: list[str]) -> str | None:
    """The layer whose package holds `path` (the longest match), or None (project files)."""
    module = ".".join(path.relative_to(ROOT).parts)
    owners = [layer for layer in layers if module.startswith(f"{layer}.")]
    return max(owners, key=len) if owners else None


def test_no_template_loads_the_tags_of_a_higher_app():
    layers = _layers()
    libraries = {
        path.stem: _app_of(path, layers)
        for path in ROOT.glob("**/templatetags/*.py")
        if ".venv" not in path.parts and path.stem != "__init__"
    }
    assert libraries, "no template tag libraries found"
    problems = []
    for path in ROOT.glob("**/templates/**/*.html"):
        owner = _app_of(path, layers)
        if ".venv" in path.parts or owner is None:
            continue
        for names in LOAD.findall(path.read_text()):
            for name in names.split():
                library = libraries.get(name)
                if library is not None and layers.index(library) < layers.index(owner):
                    problems.append(f"{path.relative_to(ROOT)} loads {name} ({library})")
    assert not problems
