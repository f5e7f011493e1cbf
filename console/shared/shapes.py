"""Shapes: the one way the console declares and checks what a file holds (msgspec structs).

The config file, the collections policy and each import record kind are declared as typed structs;
:func:`convert` checks raw data (from TOML, JSON Lines or CSV) against one and turns msgspec's error (``Expected
`int`, got `str` - at `$.stage[0].days```) into a :class:`ShapeError` with the path as parts (``("stage", 0,
"days")``) and a message in the console's words. Each domain then puts the file and line in front of it
(``FILE:LINE: field: message``); rules that span fields raise :class:`ShapeError` too.

msgspec, not pydantic: it imports in about 9 ms (pydantic about 100 ms, against a start-up benchmarked on a bare
Textual app) and checks an import record in C, calling Python only for our value types.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import msgspec

from console.shared.safe_text import clean_line

T = TypeVar("T")
Path = tuple[str | int, ...]
DecHook = Callable[[type, Any], Any]


class ShapeError(ValueError):
    """A value that does not fit its shape. ``path`` names it (``("partner", "competencies", 0, "level")``);
    ``message`` says what is wrong; ``whole`` means the message names the field itself (``console.refresh_ms
    must be 100 to 60000``) and is shown without a label. ``missing`` and ``unknown`` name a key that is missing
    from, or unknown in, the table at ``path``."""

    def __init__(
        self, path: Path, message: str, *, whole: bool = False, missing: str | None = None, unknown: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = tuple(path)
        self.message = message
        self.whole = whole
        self.missing = missing
        self.unknown = unknown


def dotted(path: Path) -> str:
    """``partner.competencies.0.level``: the form :func:`console.settings.toml_lines.line_of` finds."""
    return ".".join(str(p) for p in path)


def label(path: Path) -> str:
    """The path as shown: ``partner.competencies.0.level``, untrusted keys made safe to print."""
    return ".".join(clean_line(p, 200) if isinstance(p, str) else str(p) for p in path)


def convert(data: Any, shape: type[T], *, dec_hook: DecHook | None = None) -> T:
    """``data`` as an instance of ``shape``, or :class:`ShapeError` naming the first value that does not fit."""
    try:
        return msgspec.convert(data, shape, dec_hook=dec_hook)
    except msgspec.ValidationError as exc:
        raise shape_error(exc, data, shape, dec_hook) from None


# -- msgspec's errors in our words -------------------------------------------------------------------------

_AT = " - at `"
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\.\.\.)\]")
_EXPECTED = re.compile(r"^Expected `([\w| ]+)`(?:, got `(\w+)`)?$")
_NOUNS = {"float": "a number", "object": "a table", "array": "a list", "decimal": "an amount"}
_GOT = {"object": "table", "array": "list"}


def shape_error(exc: msgspec.ValidationError, data: Any, shape: type, dec_hook: DecHook | None = None) -> ShapeError:
    """msgspec's ``exc`` (raised converting ``data`` to ``shape``) as a :class:`ShapeError`."""
    text = str(exc)
    where = "$"
    if text.endswith("`") and _AT in text:
        text, where = text.rsplit(_AT, 1)
        where = where[:-1].removeprefix("key` in `")
    path, value, tp = _walk(where, data, shape, dec_hook)
    cause = exc.__cause__
    if isinstance(cause, ShapeError):  # from a value type: its path is below the value's
        return ShapeError(path + cause.path, cause.message, whole=cause.whole)
    if isinstance(cause, (ValueError, TypeError)):
        return ShapeError(path, str(cause))
    keys = _keys(text, value, tp)
    if "unknown" in keys:
        path += (keys["unknown"],)
    return ShapeError(path, _message(text, value, tp, path), missing=keys.get("missing"), unknown=keys.get("unknown"))


def _keys(text: str, value: Any, tp: Any) -> dict[str, str]:
    if text.startswith("Object missing required field `"):
        return {"missing": text.split("`")[1]}
    if text.startswith("Object contains unknown field `") and isinstance(value, Mapping):
        known = _field_names(tp)
        return {"unknown": next((str(k) for k in value if k not in known), text.split("`", 1)[1][:-1])}
    return {}


def _message(text: str, value: Any, tp: Any, path: Path) -> str:
    """One msgspec message about ``value`` (of declared type ``tp``) reworded."""
    if text.startswith("Object missing required field `"):
        return f"'{text.split('`')[1]}' is required"
    if text.startswith("Object contains unknown field `"):
        return f"unknown key (expected one of {', '.join(_field_names(tp))})"
    expected = _EXPECTED.match(text)
    if expected:
        noun = _noun(expected.group(1), tp, path)
        got = expected.group(2)
        return f"expected {noun}, got {_GOT.get(got, got)}" if got else f"expected {noun}"
    if text.startswith("Invalid enum value"):
        allowed = [repr(v) if not isinstance(v, str) else v for v in typing.get_args(bare(tp))]
        name = next((p for p in reversed(path) if isinstance(p, str)), "value")
        return f"unknown {name} {value!r}; expected {_either(allowed)}"
    if text.startswith("Invalid RFC3339 encoded date"):
        return f"expected a date YYYY-MM-DD, got {value!r}"
    if text.startswith("Invalid decimal string"):
        return f"expected an amount, got {value!r}"
    return text[:1].lower() + text[1:]


def _noun(expected: str, tp: Any, path: Path) -> str:
    if expected == "array" and _is_struct(_item_type(tp)):
        if all(isinstance(p, str) for p in path):
            return f"an array of tables ([[{label(path)}]])"
        return "a list of tables"
    return _NOUNS.get(expected, expected)


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _walk(where: str, data: Any, shape: type, dec_hook: DecHook | None) -> tuple[Path, Any, Any]:
    """Follow msgspec's path (``$.stage[0].days``, ``$.keys[...]``) through ``data`` and ``shape`` together: the
    path as parts (a table's key found where msgspec says only ``[...]``), the value there and its type."""
    path: list[str | int] = []
    value, tp = data, shape
    for name, index, any_key in _TOKEN.findall(where):
        if name:
            path.append(name)
            value, tp = _get(value, name), _field_type(tp, name)
        elif index:
            path.append(int(index))
            value, tp = _get(value, int(index)), _item_type(tp)
        elif any_key:
            tp = _value_type(tp)
            key = _failing_key(value, tp, dec_hook)
            path.append(key)
            value = _get(value, key)
    return tuple(path), value, tp


def _get(value: Any, key: str | int) -> Any:
    try:
        return value[key]
    except (KeyError, IndexError, TypeError):
        return None


def _failing_key(table: Any, tp: Any, dec_hook: DecHook | None) -> str:
    """The first key of ``table`` whose value does not convert to ``tp``."""
    if not isinstance(table, Mapping):
        return "..."
    for key, item in table.items():
        try:
            msgspec.convert(item, tp, dec_hook=dec_hook)
        except msgspec.ValidationError:
            return str(key)
    return "..."


def bare(tp: Any) -> Any:
    """``tp`` without ``| None``."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _field_names(tp: Any) -> list[str]:
    tp = bare(tp)
    return [f.name for f in msgspec.structs.fields(tp)] if _is_struct(tp) else []


def _field_type(tp: Any, name: str) -> Any:
    tp = bare(tp)
    if _is_struct(tp):
        return next((f.type for f in msgspec.structs.fields(tp) if f.name == name), Any)
    return Any


def _item_type(tp: Any) -> Any:
    args = typing.get_args(bare(tp))
    return args[0] if args else Any


def _value_type(tp: Any) -> Any:
    args = typing.get_args(bare(tp))
    return args[1] if len(args) == 2 else Any
