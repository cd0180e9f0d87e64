"""Plain string parameters without pydantic: Typer 0.29 builds a pydantic TypeAdapter for
every parameter of the command that runs, and importing pydantic costs more than the
rest of supportctl's start-up (~60 ms, see docs/performance.md).

``install()`` wraps Typer's ``build_runtime_param``: an ``int`` parameter given a whole number
within its bounds (``search --limit``), and a ``str`` or ``list[str]`` parameter given strings (every one supportctl declares: IDs, names, texts, dates, durations,
which the services parse and validate) is passed through as Typer would pass it;
any other parameter or value, and a parameter not given at all, keeps Typer's own
coercion, built only when a value arrives. Typer is pinned below 0.30 in
pyproject.toml; with a Typer whose internals differ, ``install()`` does nothing.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    try:
        from typer import _coercion, core
    except ImportError:
        return
    typer_build = getattr(core, "build_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    if typer_build is None or base is None:
        return

    class PlainOrTyper(base):  # type: ignore[misc, valid-type]
        """Strings pass through; anything else goes to Typer's coercion, built on first use."""

        _descriptor: Any = None
        _typer: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is str and isinstance(value, str):
                return value
            if (self.annotation == list[str] and isinstance(value, (list, tuple))
                    and all(isinstance(v, str) for v in value)):
                return list(value)
            if self.annotation is int and type(value) in (int, str):  # a default, or a number typed
                number = _plain_int(value, self.parameter_info)
                if number is not None:
                    return number
            if self._typer is None:
                object.__setattr__(self, "_typer", typer_build(self._descriptor))
            return self._typer._coerce_value(value, param=param, ctx=ctx)

    def build(descriptor: Any) -> Any:
        if descriptor.file_annotation is not None or descriptor.parameter_info.parser is not None:
            return typer_build(descriptor)
        runtime = PlainOrTyper(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
        object.__setattr__(runtime, "_descriptor", descriptor)
        return runtime

    core.build_runtime_param = build
    _INSTALLED = True


def _plain_int(value: Any, info: Any) -> int | None:
    """``value`` as an int within the option's min/max; None when not (Typer's coercion then says why)."""
    try:
        number = int(value) if type(value) is int or value.strip().lstrip("+-").isdigit() else None
    except ValueError:
        return None
    if number is None:
        return None
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number
