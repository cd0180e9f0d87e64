"""Write docs/commands.md from the CLI's own --help texts (issue 14).

    python tools/gen_commands.py            # rewrite docs/commands.md
    python tools/gen_commands.py --check    # exit 1 when docs/commands.md is stale

tests/test_docs.py runs the check, so a command or option added without regenerating fails there.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "commands.md"
WIDTH = "80"  # the help is wrapped as on an 80-column terminal, whatever runs the generator

INTRO = """\
# Commands

Every command and option of `supportctl`, as its `--help` prints it. This page is
generated from the help texts; do not edit it by hand: after changing a command,
run `python tools/gen_commands.py` (a test fails while this page is stale).

The global options (`--desk`, `--as`, `--commit`) go before the command:
`supportctl --as "Петров П." reply T-0003 …`. A ticket `ID` may be given unpadded
(`T-3`, `3`) when it names exactly one ticket. Every command that shows or lists
takes `--json` (the shapes are in [json.md](json.md)); exit codes are in
[json.md](json.md#exit-codes). The rule IDs in the texts (`R-6.6`) are explained in
[rules.md](rules.md).
"""


def command_paths() -> list[tuple[str, bool]]:
    """("customer contact add", is_group) for the root, every group and every command, in help order."""
    from typer.main import get_command

    from supportctl.cli.app import app

    found: list[tuple[str, bool]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        found.append((" ".join(path), bool(subs)))
        for name, sub in (subs or {}).items():
            walk(sub, path + (name,))

    walk(get_command(app), ())
    return found


def help_text(path: str) -> str:
    from typer.testing import CliRunner

    from supportctl.cli.app import app

    result = CliRunner().invoke(app, [*path.split(), "--help"], env={"COLUMNS": WIDTH, "NO_COLOR": "1"},
                                prog_name="supportctl")
    if result.exit_code != 0:
        raise SystemExit(f"supportctl {path} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def anchor(path: str) -> str:
    return ("supportctl-" + path.replace(" ", "-")).rstrip("-")


def render() -> str:
    paths = command_paths()
    out = [INTRO, ""]
    out += [f"- [`supportctl {p}`](#{anchor(p)})".replace("supportctl `", "supportctl`") for p, _ in paths if p]
    for path, _ in paths:
        title = f"supportctl {path}".rstrip()
        out += ["", f"## {title}", "", "```text", help_text(path).rstrip(), "```"]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print("docs/commands.md is stale: run python tools/gen_commands.py", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
