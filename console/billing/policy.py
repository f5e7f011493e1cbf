"""The collections policy file: its shape (msgspec structs, see :mod:`console.shared.shapes`), its rules and where it
is. The policy is a TOML file of dunning stages by days overdue, per-customer holds and payment plans (see
:mod:`console.billing.collections` for an example and for what the policy asks for today)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

import msgspec

from console.plugin_api import DUNNING_STAGES
from console.settings.config import ConfigError
from console.settings.toml_lines import line_near, malformed
from console.shared.errors import UserError
from console.shared.safe_text import clean_line
from console.shared.shapes import ShapeError, convert

ACTIONS = ("notice", "suspend")


class PolicyError(ConfigError, UserError, ValueError):
    """A collections policy that cannot be used; the message names the file, line and field."""


class Stage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    days: int
    name: str
    action: Literal["notice", "suspend"]

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


class Hold(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    customer: str  # a customer id or domain
    until: date | None = None
    reason: str


class Installment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    due: date
    amount: Decimal


class Plan(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    customer: str
    agreed: date
    installments: tuple[Installment, ...]


class PolicyFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The file: ``[[stage]]``, ``[[hold]]`` and ``[[plan]]`` tables."""

    stage: tuple[Stage, ...] = ()
    hold: tuple[Hold, ...] = ()
    plan: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class Policy:
    stages: tuple[Stage, ...]
    holds: tuple[Hold, ...] = ()
    plans: tuple[Plan, ...] = ()
    source: str = "default policy"

    def stage_for(self, days_overdue: int) -> Stage | None:
        reached = [s for s in self.stages if days_overdue >= s.days]
        return reached[-1] if reached else None

    @property
    def thresholds(self) -> tuple[tuple[int, str], ...]:
        return tuple((s.days, s.name) for s in self.stages)


#: Without a policy file: the plugin API's default stages, suspension allowed from 60 days overdue.
DEFAULT_POLICY = Policy(
    stages=tuple(Stage(days, name, "suspend" if name == "suspension" else "notice") for days, name in DUNNING_STAGES)
)


def load_policy(path: Path | None) -> Policy:
    """Read the policy at ``path``; the default policy when ``path`` is ``None``. Raises :class:`PolicyError`."""
    if path is None:
        return DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no collections policy here (write one, or remove [collections] policy)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(malformed(path, exc)) from None
    try:
        shape = convert(data, PolicyFile)
        policy = Policy(
            _stages(shape.stage), shape.hold, tuple(_plan(i, p) for i, p in enumerate(shape.plan)), str(path)
        )
    except ShapeError as exc:
        line = line_near(text, exc.path)
        where = f"{path}:{line}" if line else str(path)
        raise PolicyError(
            f"{where}: {_label(exc.path)}: {exc.message}" if exc.path else f"{where}: {exc.message}"
        ) from None
    return policy


def _label(path: tuple[str | int, ...]) -> str:
    """``stage 2.days``, ``plan 1.installments 2.amount``: tables counted from 1, as a reader counts them."""
    out = ""
    for part in path:
        name = clean_line(part, 200) if isinstance(part, str) else ""  # a key from the file, shown literally
        out += f" {part + 1}" if isinstance(part, int) else (f".{name}" if out else name)
    return out


def _stages(stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
    out: list[Stage] = []
    for i, stage in enumerate(stages):
        name = stage.name.strip()
        if stage.days < 1:
            raise ShapeError(("stage", i, "days"), f"a stage starts at 1 day overdue or later, got {stage.days}")
        if not name:
            raise ShapeError(("stage", i, "name"), "a stage needs a name")
        if out and stage.days <= out[-1].days:
            raise ShapeError(
                ("stage", i, "days"), f"stages must be in increasing days overdue ({stage.days} after {out[-1].days})"
            )
        if any(s.name == name for s in out):
            raise ShapeError(("stage", i, "name"), f"stage {name!r} appears twice")
        out.append(msgspec.structs.replace(stage, name=name))
    if not out:
        raise ShapeError((), "the policy has no [[stage]]; at least one dunning stage is needed")
    return tuple(out)


def _plan(i: int, plan: Plan) -> Plan:
    if not plan.installments:
        raise ShapeError(("plan", i, "installments"), "a payment plan needs at least one installment")
    for n, installment in enumerate(plan.installments):
        if not installment.amount.is_finite() or installment.amount <= 0:
            raise ShapeError(
                ("plan", i, "installments", n, "amount"), f"expected an amount above 0, got {str(installment.amount)!r}"
            )
    return msgspec.structs.replace(plan, installments=tuple(sorted(plan.installments, key=lambda x: x.due)))


def policy_path(config_path: Path | None, configured: str) -> Path | None:
    """Where the configured policy file is: relative paths are beside the config file."""
    if not configured:
        return None
    path = Path(configured).expanduser()
    if not path.is_absolute() and config_path is not None:
        path = config_path.parent / path
    return path
