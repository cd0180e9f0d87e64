"""Shared fixtures: a fresh desk in tmp_path and a CLI runner pointed at it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from supportctl.cli.app import app
from supportctl.services.setup import init_desk

NOW = "2025-12-01T10:00:00+03:00"  # a Monday, working time in Moscow


@pytest.fixture
def desk(tmp_path):
    return init_desk(tmp_path / "desk")


@pytest.fixture
def cli(desk, monkeypatch) -> Callable:
    """cli("new", "--subject", ..., now=..., user=..., input=...) → click Result."""
    monkeypatch.delenv("SUPPORTCTL_NOW", raising=False)

    def run(*args: str, now: str = NOW, user: str = "Рудаков А.", input: str | None = None):
        runner = CliRunner()
        env = {"SUPPORTCTL_DESK": str(desk.root), "SUPPORTCTL_NOW": now, "SUPPORTCTL_USER": user}
        return runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)

    return run


def add_barrier(cli) -> None:
    """The customer of the regulation's Appendix 1 example, with one contact."""
    cli("customer", "add", "АКБ «Барьер»", "--contract", "0373100000116000042", "--from", "2016-01-01",
        "--to", "2030-12-31", "--domain", "barrier.ru")
    cli("customer", "contact", "add", "АКБ «Барьер»", "--name", "Смирнова Ольга Петровна",
        "--email", "smirnova@barrier.ru", "--position", "Главный бухгалтер", "--phone", "+7 495 123-45-67")
