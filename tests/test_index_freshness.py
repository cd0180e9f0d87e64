"""Issue 13 (first part): the first build of the index is fast, and a run proves freshness cheaply
without ever serving a hand edit stale."""

from __future__ import annotations

import pytest
import yaml

from supportctl.desk import yamlio
from supportctl.errors import DeskDamaged


class _Generic(yamlio._DeskLoader):
    """The loader without issue 13's shortcuts: the generic resolver and constructor."""

    resolve = yaml.resolver.BaseResolver.resolve

    def construct_document(self, node):
        return yaml.constructor.BaseConstructor.construct_document(self, node)


def _outcome(text: str, loader) -> tuple:
    try:
        return "ok", repr(yaml.load(text, Loader=loader))
    except Exception as exc:  # noqa: BLE001 - the very error is what is compared
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("text", [
    "schema: 1\nid: T-0001\npriority: 2\nrelated: []\ncontact: {name: A, email: null}\nok: true\n",
    "received_at: '2026-01-01T02:01:36+03:00'\nd: 2026-01-02\nt: 2026-01-02T10:00:00+03:00\n",
    "a: &x 1\nb: *x\n",                # an alias of a scalar: refused
    "a: &x [1]\nb: *x\n",              # an alias of a list: refused
    "a: 1\na: 2\n",                    # a key twice: refused
    "1: a\ntrue: b\n",                 # 1 and true are the same key in Python
    "<<: {a: 1}\nb: 2\n",              # a merge key
    "? [1]\n: 2\n",                    # an unhashable key
    "d: 2026-02-30\n",                 # an impossible date
    "x: !!binary aGk=\ny: !!set {a, b}\nz: !!str 1\n",
    "x: 0x1f\ny: 1_000\nz: .inf\nw: ~\n",
    "a: yes\nb: yes\nc: 'yes'\nd: 12:30\ne: Null\nf: ''\ng: ! 1\nh: 1.5\ni: -\n",  # plain scalars resolved

    "- a\n- [b, {c: d}]\n",
    "",
    "[" * 900 + "]" * 900,             # deeper than Python's recursion: the generic way
])
def test_direct_construction_is_the_generic_one_issue_13(text):
    """Issue 13 item 2: tickets are built straight from libyaml's nodes; every value and every
    refusal (aliases, duplicate keys, bad dates) is exactly what the generic constructor gives."""
    assert _outcome(text, yamlio._DeskLoader) == _outcome(text, _Generic)


def test_refusals_still_name_the_problem_issue_13():
    with pytest.raises(DeskDamaged, match="anchor and alias"):
        yamlio.loads("a: &x 1\nb: *x\n", "f.yaml")
    with pytest.raises(DeskDamaged, match="given twice"):
        yamlio.loads("a: 1\na: 2\n", "f.yaml")
