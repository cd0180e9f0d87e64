"""The documentation stays true (issue 14, "Docs"): docs/commands.md is the CLI's own --help, every
command's help ends with one example, every rule ID cited anywhere is explained in docs/rules.md,
supportctl.yaml's comments name files that exist, the links between the pages resolve, and every
example that shows output prints what its page says."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from supportctl.cli.app import app
from pagekit import ROOT, check, copy_sample_desk, run_steps, steps, tool_env
from test_reports import sample  # noqa: F401  (the reports' sample desk, a fixture)

DOCS = ROOT / "docs"
RULE_ID = re.compile(r"\b(?:R-\d+(?:\.\d+)?|IS-\d+|MF-\d+|A-\d+)\b")


def generator():
    spec = importlib.util.spec_from_file_location("gen_commands", ROOT / "tools" / "gen_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaf_commands() -> list[str]:
    paths = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, path + [name])
        else:
            paths.append(" ".join(path))

    walk(get_command(app), [])
    return paths


def group_paths() -> list[str]:
    """"" (supportctl itself), "customer", "customer contact", …: the commands that hold commands."""
    return [path for path, is_group in generator().command_paths() if is_group]


def help_of(path: str) -> str:
    result = CliRunner().invoke(app, [*path.split(), "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------- commands.md and --help

def test_commands_page_is_the_cli_help_of_today():
    """docs/commands.md is generated; a command or option changed without regenerating fails here."""
    gen = generator()
    assert (DOCS / "commands.md").read_text(encoding="utf-8") == gen.render(), \
        "docs/commands.md is stale: run `python tools/gen_commands.py` and commit docs/commands.md"


def test_every_command_and_option_is_in_the_commands_page():
    page = (DOCS / "commands.md").read_text(encoding="utf-8")
    missing = []
    for path in leaf_commands():
        if f"## supportctl {path}\n" not in page:
            missing.append(path)
            continue
        section = page.split(f"## supportctl {path}\n", 1)[1].split("\n## ", 1)[0]
        cmd = get_command(app)
        for name in path.split():
            cmd = cmd.commands[name]
        missing += [f"{path} {opt}" for p in cmd.params if not getattr(p, "hidden", False)
                    for opt in p.opts if opt.startswith("-") and opt not in section]
    assert not missing, f"not in docs/commands.md (run `python tools/gen_commands.py`): {missing}"


def test_every_help_ends_with_one_example_and_usage_lines_show_ID():
    """Issue 14: `--help` of every command has one example; usage lines show `ID`, not `{ID}`.
    A new command gets its example in supportctl/cli/examples.py (or an `Example:` paragraph); a group
    (`supportctl report --help`, `supportctl --help` itself) gets one there too, after its commands."""
    problems = []
    groups = group_paths()
    assert {"", "customer", "customer contact", "report", "mail"} <= set(groups)
    for path in leaf_commands() + groups:
        text = help_of(path)
        usage = text.splitlines()[0]
        if "{" in usage:
            problems.append(f"{path}: usage {usage!r}")
        if text.count("Example:") != 1:
            problems.append(f"{path}: {text.count('Example:')} examples")
        elif text.index("Example:") < max(text.find("Options:"), text.find("Commands:")):
            problems.append(f"{path}: the example is not at the end")
        else:
            example = text.split("Example:", 1)[1].strip().splitlines()[0].strip()
            if not example.startswith(("supportctl ", "git ")):
                problems.append(f"{path}: example {example!r}")
    assert not problems, problems


def test_the_examples_run_the_commands_they_document():
    """Each example names its own command with options the command has; a group's, one of its commands."""
    from supportctl.cli.examples import EXAMPLES, GROUP_EXAMPLES

    groups = set(group_paths())
    assert set(GROUP_EXAMPLES) == groups
    root = get_command(app)
    global_options = {opt for p in root.params for opt in p.opts + p.secondary_opts}
    for path, example in GROUP_EXAMPLES.items():
        words = shlex.split(example)[1:]
        while words and words[0] in global_options:  # `--as NAME` and its value
            words = words[2:] if words[0] in ("--as", "--desk", "--color") else words[1:]
        cmd = root
        for name in path.split():
            assert words and words.pop(0) == name, example
            cmd = cmd.commands[name]
        assert words and words[0] in cmd.commands, example

    commands = set(leaf_commands())
    assert set(EXAMPLES) <= commands, set(EXAMPLES) - commands
    for path, example in EXAMPLES.items():
        if path == "merge-ticket":
            continue
        words = shlex.split(example.split("&&")[0])
        assert " ".join(words[1:]).startswith(path) or f" {path} " in f" {' '.join(words)} ", example
        cmd = get_command(app)
        for name in path.split():
            cmd = cmd.commands[name]
        known = {opt for p in cmd.params for opt in p.opts + p.secondary_opts}
        given = {w for w in words[1 + len(path.split()):] if w.startswith("-") and len(w) > 1
                 and not w.startswith('-"')}
        assert given <= known, f"{path}: {given - known}"


# ---------------------------------------------------------------- rules.md

def defined_rules() -> set[str]:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    return set(re.findall(r"^###? ((?:R|IS|MF|A)-\d+(?:\.\d+)?)\b", text, flags=re.M))


def cited_rules() -> dict[str, str]:
    """Every rule ID in the code, templates, settings, tests, help texts and pages, with one place citing it."""
    sources = [*ROOT.glob("supportctl/**/*.py"), *ROOT.glob("supportctl/templates/**/*.txt"),
               *ROOT.glob("supportctl/data/*"), *ROOT.glob("tests/**/*.py"), ROOT / "supportctl.yaml",
               ROOT / "README.md", *[p for p in DOCS.glob("*.md") if p.name != "rules.md"]]
    found: dict[str, str] = {}
    for path in sources:
        for rule in RULE_ID.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(rule, str(path.relative_to(ROOT)))
    for path in leaf_commands():
        for rule in RULE_ID.findall(help_of(path)):
            found.setdefault(rule, f"supportctl {path} --help")
    return found


def test_every_cited_rule_id_is_explained_in_rules_md():
    defined = defined_rules()
    cited = cited_rules()
    assert {"R-6.6", "IS-6", "A-1"} <= set(cited)  # the scan sees the code
    undefined = {rule: where for rule, where in cited.items() if rule not in defined}
    assert not undefined, f"rule IDs cited but not explained in docs/rules.md: {undefined}"


def test_rules_md_explains_each_rule_with_what_it_says_and_how_supportctl_does_it():
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    assert len(sections) >= 40
    for section in sections:
        head = section.splitlines()[0]
        if "The same rule as" in section:
            continue
        assert "**Says:**" in section and "**supportctl:**" in section, head


def test_nothing_points_to_files_this_repository_does_not_contain():
    """The regulation's own files are not part of the project: code, tests and pages cite docs/rules.md."""
    names = ("REGULATION" + ".md", "CALENDAR" + ".md")
    sources = [*ROOT.glob("supportctl/**/*.py"), *ROOT.glob("supportctl/data/*"), *ROOT.glob("tests/**/*.py"),
               *ROOT.glob("supportctl/templates/**/*.txt"), *ROOT.glob("tools/*.py"), ROOT / "supportctl.yaml",
               ROOT / "README.md", *DOCS.glob("*.md")]
    hits = [str(p.relative_to(ROOT)) for p in sources if any(n in p.read_text(encoding="utf-8") for n in names)]
    assert not hits, hits


def test_the_repository_files_the_pages_and_the_code_name_exist():
    """A page, a help text or a comment that names docs/…, tests/…, tools/… or bench/… names a real file."""
    sources = [*ROOT.glob("supportctl/**/*.py"), *ROOT.glob("supportctl/data/*"), *ROOT.glob("tests/**/*.py"),
               *ROOT.glob("tools/*.py"), *ROOT.glob("bench/*.py"), ROOT / "README.md", *DOCS.glob("*.md")]
    named = {}
    for path in sources:
        for name in re.findall(r"\b(?:docs|tests|tools|bench)/[\w/-]+\.(?:md|py|png)\b", path.read_text(encoding="utf-8")):
            named.setdefault(name, str(path.relative_to(ROOT)))
    assert "docs/rules.md" in named and "tools/gen_commands.py" in named
    missing = {name: where for name, where in named.items()
               if not (ROOT / name).exists() and not re.search(r"[A-Z]{2,}", name)}  # report-NAME.png: a pattern
    assert not missing, f"named but not in the repository: {missing}"


@pytest.mark.parametrize("settings", ["supportctl.yaml", "supportctl/data/supportctl.yaml"])
def test_supportctl_yaml_comments_name_files_that_exist(settings):
    comments = [line.split("#", 1)[1] for line in (ROOT / settings).read_text(encoding="utf-8").splitlines()
                if "#" in line]
    named = set()
    for comment in comments:
        named |= set(re.findall(r"[\w./-]+\.(?:md|ya?ml|txt|json|py)\b", comment))
        assert "README" not in comment or "README.md" in comment, comment  # no "README, 'Section'"
    assert named, "the comments name no file at all: the scan is broken"
    missing = [name for name in named if not (ROOT / name).exists()]
    assert not missing, f"{settings} comments name missing files: {missing}"


# ---------------------------------------------------------------- json.md

def json_commands() -> list[str]:
    def has_json(path: str) -> bool:
        cmd = get_command(app)
        for name in path.split():
            cmd = cmd.commands[name]
        return any("--json" in p.opts for p in cmd.params)

    return [path for path in leaf_commands() if has_json(path)]


def test_json_page_names_every_command_that_prints_json():
    """Issue 14: json.md holds every JSON shape; a command given `--json` without a word there fails."""
    page = (DOCS / "json.md").read_text(encoding="utf-8")
    commands = json_commands()
    assert {"list", "site", "report sla", "mail ingest"} <= set(commands)
    missing = []
    for path in commands:
        if path.startswith("report "):
            if "`report … --format json`" not in page or f"\n| {path.split()[1]} | " not in page:
                missing.append(path)
        elif not re.search(rf"`{re.escape(path)}( [A-Z_]+)? --json`", page):
            missing.append(path)
    assert not missing, f"docs/json.md does not describe the JSON of: {missing}"


def json_keys(value, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            json_keys(item, found)
    elif isinstance(value, list):
        for item in value:
            json_keys(item, found)
    return found


def test_every_key_the_sample_desk_prints_in_json_is_in_the_json_page(tmp_path):
    """Each key of each JSON shape printed on the sample desk is named (`key`) in docs/json.md."""
    import json

    from pagekit import SAMPLE_NOW

    desk = copy_sample_desk(tmp_path / "desk")
    documented = set(re.findall(r"`([a-z_0-9]+)`", (DOCS / "json.md").read_text(encoding="utf-8")))
    runs = [["check"], ["station"], ["replies"], ["show", "T-0003"], ["journal", "T-0003"], ["list", "--all"],
            ["search", "принтер"], ["sla", "T-0003"], ["overdue"], ["autoclose", "--dry-run"],
            ["attachments", "T-0002"], ["site", str(tmp_path / "site")], ["customer", "list"],
            ["customer", "show", "АКБ «Барьер»"], ["mail", "outbox"], ["escalate", "--dry-run"],
            ["report", "journal", "--month", "2026-11"], ["report", "sla", "--month", "2026-11"],
            ["report", "workload"], ["report", "time", "--month", "2026-11"], ["report", "csat", "--all"],
            ["report", "customer", "АКБ «Барьер»", "--all"]]
    env = {"SUPPORTCTL_DESK": str(desk), "SUPPORTCTL_NOW": SAMPLE_NOW, "SUPPORTCTL_USER": "Рудаков А."}
    undocumented, seen = {}, set()
    for args in runs:
        result = CliRunner().invoke(app, [*args, "--json"], env=env)
        assert result.exit_code in (0, 1), (args, result.output)
        keys = json_keys(json.loads(result.stdout), set())  # `check` on a sound desk: [], no keys
        seen |= keys
        # ticket IDs and the r1…r5 counts of ratings are values, not names
        missing = {k for k in keys - documented if not re.fullmatch(r"[A-Z]+-\d+|r\d", k)}
        if missing:
            undocumented[" ".join(args)] = sorted(missing)
    assert {"sla", "snippet", "sections", "written", "contacts", "via"} <= seen  # the runs print what they should
    assert not undocumented, f"JSON keys not named in docs/json.md: {undocumented}"


# ---------------------------------------------------------------- the pages and their links

def github_anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_readme_is_short_and_links_every_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for page in ("commands", "rules", "sla", "mail", "reports", "team", "operations", "json"):
        assert f"docs/{page}.md" in readme, page


def test_links_between_the_pages_resolve():
    """Every relative link and picture of README.md and docs/*.md names a file (and heading) that exists."""
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            if not dest.exists():
                broken.append(f"{page.name}: {target}")
                continue
            if anchor and dest.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", dest.read_text(encoding="utf-8"), flags=re.M)
                if anchor not in {github_anchor(h) for h in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


# ---------------------------------------------------------------- examples that show output

def output_blocks(page: Path) -> list[list[str]]:
    """The indented code blocks of a page that show output (`#>` lines)."""
    blocks, block = [], []
    for line in page.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("    "):
            block.append(line[4:])
        elif line.strip() or not block:
            if block and any(b.startswith("#>") for b in block):
                blocks.append(block)
            block = [] if line.strip() else block
    return blocks


DOC_BLOCKS = [pytest.param(page, n, block, id=f"{page.name}-{n}")
              for page in sorted(DOCS.glob("*.md")) if page.name != "commands.md"
              for n, block in enumerate(output_blocks(page))]


def test_the_pages_have_examples_to_run():
    assert {p.values[0].name for p in DOC_BLOCKS} >= {"tickets.md", "sla.md"}


@pytest.mark.parametrize("page, n, block", DOC_BLOCKS)
def test_the_pages_examples_print_what_the_page_says(tmp_path, page, n, block):
    """Each block with `#>` lines runs as one script in a copy of this repository's sample desk
    (`desk/` in an empty folder, so `..` is free for a team's remote and clones). A command whose
    expected output is an error line (`supportctl: …`) must fail with it on stderr."""
    desk = copy_sample_desk(tmp_path / "desk")
    env = tool_env(COLUMNS="200", GIT_AUTHOR_NAME="Рудаков А.", GIT_AUTHOR_EMAIL="rudakov@example.ru",
                   GIT_COMMITTER_NAME="Рудаков А.", GIT_COMMITTER_EMAIL="rudakov@example.ru",
                   GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    check(run_steps(steps(block), desk, env, tmp_path), f"{page.name}: ")


def test_the_terminal_example_is_what_a_72_column_terminal_shows(tmp_path):
    """docs/tickets.md shows `list` cut to a terminal's width: run on the sample desk under a real
    pseudo-terminal 72 columns wide, it prints those lines."""
    from test_terminal_fit import on_terminal

    page = (DOCS / "tickets.md").read_text(encoding="utf-8")
    block = page.split("On a terminal 72 columns wide:\n\n", 1)[1].split("\n\n", 1)[0]
    command, *shown = [line[4:] for line in block.splitlines()]
    assert command.startswith("$ supportctl ") and shown
    desk = copy_sample_desk(tmp_path / "desk")
    env = tool_env(SUPPORTCTL_DESK=str(desk))
    env.pop("COLUMNS", None)
    printed = on_terminal(shlex.split(command)[2:], env, columns=72)
    assert printed.splitlines() == shown, printed


def test_the_commands_for_looking_at_tickets_run_on_the_sample_desk(tmp_path):
    """docs/tickets.md, "Looking at tickets": every command runs on the sample desk (`overdue` exits 1:
    a ticket is breached), and the journal line shown beside `journal T-0001` is one it prints."""
    page = (DOCS / "tickets.md").read_text(encoding="utf-8")
    block = [line[4:] for line in page.split("## Looking at tickets\n\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    desk = copy_sample_desk(tmp_path / "desk")
    ran = run_steps(steps(block), desk, tool_env(), tmp_path)
    assert len(ran) >= 15
    for r in ran:
        assert r.code == (1 if r.command.startswith("supportctl overdue") else 0), f"{r.command}: {r.stderr}"
    shown = next(line for line in block if line.startswith("supportctl journal ")).split("# ", 1)[1]
    journal = next(r for r in ran if r.command.startswith("supportctl journal "))
    assert any(line.startswith(shown.replace("(…)", "").strip()) for line in journal.stdout.splitlines())


EXAMPLE = re.compile(r"(<!-- example: (.+?) -->\n)(.*?)(<!-- /example -->)", re.S)


def test_the_reports_page_shows_what_the_reports_print(sample):
    """docs/reports.md shows each report of the tests' sample desk as `--format markdown` prints it
    (issue 14: Markdown reports as the docs show them). UPDATE_DOCS=1 rewrites the examples."""
    from test_reports import NOW

    desk, _ = sample
    page = DOCS / "reports.md"
    text = page.read_text(encoding="utf-8")
    examples = EXAMPLE.findall(text)
    assert len(examples) == 6

    def printed(args: str) -> str:
        result = CliRunner().invoke(app, shlex.split(args), env={"SUPPORTCTL_DESK": str(desk.root),
                                                                 "SUPPORTCTL_NOW": NOW, "SUPPORTCTL_USER": "test"})
        assert result.exit_code == 0, result.output
        # the report's headings nest under the page's "## Examples": one level is two deeper
        nested = re.sub(r"^#", "###", result.stdout.strip(), flags=re.M)
        return "\n" + nested + "\n\n"

    if os.environ.get("UPDATE_DOCS"):
        page.write_text(EXAMPLE.sub(lambda m: m.group(1) + printed(m.group(2)) + m.group(4), text),
                        encoding="utf-8")
        return
    for _, args, shown, _ in examples:
        assert shown == printed(args), f"docs/reports.md differs from `supportctl {args}` " \
                                       "(UPDATE_DOCS=1 pytest tests/test_docs.py -k reports_page rewrites it)"


def test_an_example_paragraph_of_a_commands_own_help_moves_to_the_end():
    """A command written with its own `Example:` paragraph (as other helpers add them) ends its help
    with it, after the options, like the commands whose example comes from cli/examples.py."""
    import typer

    from supportctl.cli import examples

    local = typer.Typer(rich_markup_mode=None, add_completion=False)

    @local.command("merge")
    def merge(dup: str = typer.Argument(..., metavar="DUP"),
              into: str = typer.Option(..., "--into", metavar="ID")) -> None:
        """Merge a duplicate into a ticket.

        Example:

            supportctl merge T-0002 --into T-0001
        """

    @local.command("other")
    def other() -> None:
        """Another."""

    examples.install(local)
    text = CliRunner().invoke(local, ["merge", "--help"], prog_name="supportctl").output
    assert text.count("Example:") == 1 and text.index("Options:") < text.index("Example:")
    assert text.rstrip().endswith("supportctl merge T-0002 --into T-0001")
    assert text.splitlines()[0] == "Usage: supportctl merge [OPTIONS] DUP"
