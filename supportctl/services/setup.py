"""Creating a desk (`supportctl init`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from supportctl.desk.config import CONFIG_FILE
from supportctl.desk.desk import Desk
from supportctl.desk.files import write_atomic
from supportctl.errors import Refused
from supportctl.gitops.merge_driver import configure_clone

# template in supportctl/data → file in the desk
_TEMPLATES = {
    "supportctl.yaml": CONFIG_FILE,
    "customers.yaml": "customers.yaml",
    "gitattributes": ".gitattributes",
    "gitignore": ".gitignore",
}


def init_desk(root: Path) -> Desk:
    root = root.resolve()
    if (root / CONFIG_FILE).exists():
        raise Refused(f"{root} is already a desk ({CONFIG_FILE} exists)", "nothing was changed")
    for name in ("customers.yaml", "tickets", "journal"):
        if (root / name).exists() and any((root / name).iterdir() if (root / name).is_dir() else [1]):
            raise Refused(f"{root} already has {name}", "move it away or init another folder")
    data = resources.files("supportctl") / "data"
    for template, name in _TEMPLATES.items():
        target = root / name
        text = (data / template).read_text(encoding="utf-8")
        if target.exists():  # a repo's own .gitignore/.gitattributes: add the rules it lacks
            existing = target.read_text(encoding="utf-8")
            have = {line.strip() for line in existing.splitlines()}
            rules = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
            if all(rule in have for rule in rules):
                continue
            text = existing.rstrip("\n") + "\n\n" + text
        write_atomic(target, text)
    desk = Desk(root)
    for folder in (desk.tickets_dir, desk.journal_dir):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".gitkeep").touch()
    desk.set_station(desk.config.id_prefix)
    configure_clone(root)  # the ticket merge driver, when the desk is in a git clone
    return desk
