"""What the loaded plugins contribute, collected once: each hook called plugin by plugin in pluggy's order
(``tryfirst`` first, ``trylast`` last), every item checked (:mod:`console.plugins.validate`) and kept under the
plugin that gave it, and who owns what decided by rules, not by load order.

Ownership: a service belongs to the plugin named after it (``office365``, ``windows365``, ``intune.devices``);
a plugin's escalation handlers are for its own services; check ids and the ids of everything else a plugin adds
start with its name. Another plugin may provide a service (and its handlers) in place of its owner only where
the desk's policy says so (``plugins.replace``: ``{"office365": "acme365"}``); otherwise it is refused, named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from console.plugins import reach, validate
from console.plugins.validate import PluginValueError
from console.plugins.vehicles import EscalationHandler
from console.plugins.views import Check, Service
from console.shared.model import Vehicle

if TYPE_CHECKING:
    from console.plugins.host import PluginHost

T = TypeVar("T")
#: Console commands a plugin's command may not shadow (the parser refuses them anyway; this names why).
SCOPES = ("ticket", "account")


@dataclass(frozen=True)
class Registered(Generic[T]):
    """An item a plugin contributed, with the plugin's name."""

    plugin: str
    item: T


def _items(host: PluginHost, hook: str, expected: type[T]) -> Iterator[tuple[str, T]]:
    from console.plugins.host import call_each  # the guarded call lives with the host

    yield from call_each(host, hook, expected)


def collect(host: PluginHost, replace: Mapping[str, str]) -> None:
    """Fill ``host`` from its plugins' hooks; ``replace`` maps a service id to the plugin the desk lets provide
    it instead of its owner."""
    _services(host, replace)
    _checks(host)
    _handlers(host, replace)
    host.commands = _simple(host, "csp_commands", reach.Command, _command)
    host.columns = _simple(host, "csp_queue_columns", reach.QueueColumn, _column)
    host.sections = _simple(host, "csp_account_sections", reach.AccountSection, _section)
    host.actions = _simple(host, "csp_ticket_actions", reach.TicketAction, _action)
    host.intake_fields = _simple(host, "csp_intake_fields", reach.IntakeField, _intake_field)
    host.receivers = _simple(host, "csp_event_receivers", reach.EventReceiver, _receiver)
    for plugin, setting in _items(host, "csp_settings", reach.Setting):
        try:
            host.settings_schema.setdefault(plugin, []).append(_setting(plugin, setting))
        except PluginValueError as exc:
            host.record_error(plugin, str(exc))


def _owner(service_id: str, host: PluginHost) -> str | None:
    """The plugin named after ``service_id``'s namespace, if loaded (``intune.devices`` -> ``intune``)."""
    for name in host.plugins:
        if service_id == name or service_id.startswith((f"{name}.", f"{name}-")):
            return name
    return None


def _may_provide(plugin: str, service_id: str, host: PluginHost, replace: Mapping[str, str]) -> str | None:
    """Why ``plugin`` may not provide ``service_id`` (``None``: it may)."""
    granted = replace.get(service_id)
    if granted is not None and granted in host.plugins:  # a grant to a plugin not loaded here changes nothing
        return None if granted == plugin else f"the desk's policy lets plugin {granted!r} provide it"
    try:
        validate.own_name(plugin, service_id, f"plugin {plugin}: service")
    except PluginValueError as exc:
        owner = _owner(service_id, host)
        if owner is not None and owner != plugin:
            return f"it belongs to plugin {owner!r} (the desk's policy plugins.replace can name another plugin)"
        return str(exc).removeprefix(f"plugin {plugin}: ")
    return None


def _services(host: PluginHost, replace: Mapping[str, str]) -> None:
    for plugin, service in _items(host, "csp_services", Service):
        try:
            ident = validate.text_value(service.id, f"plugin {plugin}: service id", validate.ID_LIMIT, empty=False)
            validate.text_value(service.name, f"plugin {plugin}: service {ident} name", validate.LABEL_LIMIT)
        except PluginValueError as exc:
            host.record_error(plugin, str(exc))
            continue
        refusal = _may_provide(plugin, ident, host, replace)
        if refusal is not None:
            host.record_error(plugin, f"service {ident!r} refused: {refusal}")
            continue
        if ident in host.services:
            host.record_error(plugin, f"service {ident!r} is declared twice")
            continue
        host.services[ident] = service
        host.service_owner[ident] = plugin
        host.plugins[plugin].services.append(ident)


def _checks(host: PluginHost) -> None:
    seen: set[str] = set()
    for plugin, check in _items(host, "csp_checks", Check):
        where = f"plugin {plugin}: check"
        try:
            ident = validate.namespaced(plugin, check.id, f"{where} id")
            where = f"plugin {plugin}: check {ident}"
            if ident in seen:
                raise PluginValueError(f"{where}: the id is used twice")
            validate.enum_value(validate.Family, check.family, f"{where} field family")
            if check.scope not in SCOPES:
                raise PluginValueError(f"{where} field scope is {check.scope!r}, expected 'ticket' or 'account'")
            validate.callable_value(check.run, f"{where} field run")
            if check.service is not None and not isinstance(check.service, str):
                raise PluginValueError(f"{where} field service is {type(check.service).__name__}, expected text")
        except PluginValueError as exc:
            host.record_error(plugin, str(exc).removeprefix(f"plugin {plugin}: "))
            continue
        seen.add(ident)
        from console.plugins.host import RegisteredCheck

        host.checks.append(RegisteredCheck(plugin, check))
        host.plugins[plugin].checks.append(ident)


def _handlers(host: PluginHost, replace: Mapping[str, str]) -> None:
    from console.plugins.host import RegisteredHandler

    taken: dict[tuple[str, Vehicle], str] = {}
    for plugin, handler in _items(host, "csp_escalation_handlers", EscalationHandler):
        where = f"handler of plugin {plugin}"
        try:
            vehicle = validate.vehicle(handler.vehicle, f"plugin {plugin}: {where} field vehicle")
            validate.callable_value(handler.eligibility, f"plugin {plugin}: {where} field eligibility")
            validate.callable_value(handler.build_case, f"plugin {plugin}: {where} field build_case")
        except PluginValueError as exc:
            host.record_error(plugin, str(exc).removeprefix(f"plugin {plugin}: "))
            continue
        service = handler.service
        owner = host.service_owner.get(service) if isinstance(service, str) else None
        if owner != plugin:
            whose = f"plugin {owner!r}'s service" if owner else "a service no plugin provides"
            host.record_error(plugin, f"handler {service}:{vehicle.value} refused: {service!r} is {whose}")
            continue
        if (service, vehicle) in taken:
            host.record_error(plugin, f"handler {service}:{vehicle.value} is declared twice")
            continue
        taken[(service, vehicle)] = plugin
        host.handlers.append(RegisteredHandler(plugin, handler))
        host.plugins[plugin].vehicles.append(f"{service}:{vehicle.value}")


def _simple(
    host: PluginHost, hook: str, expected: type[T], check: Callable[[str, T, PluginHost], T]
) -> list[Registered[T]]:
    """Items of ``hook``, each checked by ``check`` (raising :class:`PluginValueError` drops it, reported)."""
    out: list[Registered[T]] = []
    seen: set[str] = set()
    for plugin, item in _items(host, hook, expected):
        try:
            good = check(plugin, item, host)
            ident = str(getattr(good, "id", getattr(good, "name", "")))
            if ident in seen:
                raise PluginValueError(f"plugin {plugin}: {ident!r} is declared twice")
        except PluginValueError as exc:
            host.record_error(plugin, str(exc).removeprefix(f"plugin {plugin}: "))
            continue
        seen.add(ident)
        out.append(Registered(plugin, good))
    return out


def _command(plugin: str, item: reach.Command, host: PluginHost) -> reach.Command:
    name = validate.own_name(plugin, item.name, f"plugin {plugin}: command name")
    validate.callable_value(item.run, f"plugin {plugin}: command {name} field run")
    if item.arguments is not None:
        validate.callable_value(item.arguments, f"plugin {plugin}: command {name} field arguments")
    text = validate.text_value(item.help, f"plugin {plugin}: command {name} field help", 200, line=True)
    return reach.Command(name=name, help=text, run=item.run, arguments=item.arguments)


def _services_field(plugin: str, where: str, value: object, host: PluginHost) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(s, str) for s in value):
        raise PluginValueError(f"plugin {plugin}: {where} field services is not a list of service ids")
    return tuple(value)


def _column(plugin: str, item: reach.QueueColumn, host: PluginHost) -> reach.QueueColumn:
    ident = validate.namespaced(plugin, item.id, f"plugin {plugin}: queue column id")
    where = f"plugin {plugin}: queue column {ident}"
    if not isinstance(item.width, int) or isinstance(item.width, bool) or not 1 <= item.width <= 24:
        raise PluginValueError(f"{where} field width is {item.width!r}, expected 1 to 24 cells")
    return reach.QueueColumn(
        id=ident,
        title=validate.text_value(item.title, f"{where} field title", item.width, line=True, empty=False),
        width=item.width,
        value=validate.callable_value(item.value, f"{where} field value"),
        services=_services_field(plugin, f"queue column {ident}", item.services, host),
    )


def _section(plugin: str, item: reach.AccountSection, host: PluginHost) -> reach.AccountSection:
    ident = validate.namespaced(plugin, item.id, f"plugin {plugin}: account section id")
    where = f"plugin {plugin}: account section {ident}"
    return reach.AccountSection(
        id=ident,
        title=validate.text_value(item.title, f"{where} field title", validate.LABEL_LIMIT, line=True, empty=False),
        lines=validate.callable_value(item.lines, f"{where} field lines"),
        services=_services_field(plugin, f"account section {ident}", item.services, host),
    )


def _action(plugin: str, item: reach.TicketAction, host: PluginHost) -> reach.TicketAction:
    ident = validate.namespaced(plugin, item.id, f"plugin {plugin}: ticket action id")
    where = f"plugin {plugin}: ticket action {ident}"
    key = validate.text_value(item.key, f"{where} field key", 20, empty=False)
    if any(ch.isspace() for ch in key) or "," in key:
        raise PluginValueError(f"{where} field key {key!r} is not one Textual key name")
    confirm = None if item.confirm is None else validate.text_value(item.confirm, f"{where} field confirm", 200)
    if not isinstance(item.dangerous, bool):
        raise PluginValueError(f"{where} field dangerous is {type(item.dangerous).__name__}, expected True or False")
    return reach.TicketAction(
        id=ident,
        key=key,
        label=validate.text_value(item.label, f"{where} field label", validate.LABEL_LIMIT, line=True, empty=False),
        run=validate.callable_value(item.run, f"{where} field run"),
        scope=validate.enum_value(reach.ActionScope, item.scope, f"{where} field scope"),
        services=_services_field(plugin, f"ticket action {ident}", item.services, host),
        confirm=confirm,
        dangerous=item.dangerous,
    )


def _intake_field(plugin: str, item: reach.IntakeField, host: PluginHost) -> reach.IntakeField:
    ident = validate.namespaced(plugin, item.id, f"plugin {plugin}: intake field id")
    where = f"plugin {plugin}: intake field {ident}"
    if host.service_owner.get(item.service) != plugin:
        raise PluginValueError(f"{where} field service {item.service!r} is not a service of this plugin's")
    if not isinstance(item.max_length, int) or not 1 <= item.max_length <= 2000:
        raise PluginValueError(f"{where} field max_length is {item.max_length!r}, expected 1 to 2000")
    if not isinstance(item.choices, (tuple, list)) or not all(isinstance(c, str) for c in item.choices):
        raise PluginValueError(f"{where} field choices is not a list of texts")
    return reach.IntakeField(
        id=ident,
        service=item.service,
        label=validate.text_value(item.label, f"{where} field label", validate.LABEL_LIMIT, line=True, empty=False),
        required=bool(item.required),
        max_length=item.max_length,
        choices=tuple(validate.one_line(c, item.max_length) for c in item.choices),
        check=None if item.check is None else validate.callable_value(item.check, f"{where} field check"),
    )


def _receiver(plugin: str, item: reach.EventReceiver, host: PluginHost) -> reach.EventReceiver:
    ident = validate.namespaced(plugin, item.id, f"plugin {plugin}: event receiver id")
    where = f"plugin {plugin}: event receiver {ident}"
    if not isinstance(item.kinds, (tuple, list)) or not item.kinds:
        raise PluginValueError(f"{where} field kinds is empty or not a list")
    kinds = tuple(validate.enum_value(reach.EventKind, k, f"{where} field kinds") for k in item.kinds)
    return reach.EventReceiver(
        id=ident, kinds=kinds, deliver=validate.callable_value(item.deliver, f"{where} field deliver")
    )


_KINDS: dict[type, str] = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list"}


def _setting(plugin: str, item: reach.Setting) -> reach.Setting:
    where = f"plugin {plugin}: setting"
    name = validate.text_value(item.name, f"{where} name", 60, empty=False)
    if item.kind not in _KINDS:
        raise PluginValueError(f"{where} {name} field kind is {item.kind!r}, expected str, int, float, bool or list")
    return item


def kind_name(kind: type) -> str:
    return _KINDS.get(kind, getattr(kind, "__name__", str(kind)))


def settings_for(host: PluginHost, plugin: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """``plugin``'s ``[plugins.NAME]`` values checked against its settings: defaults filled in; an unknown key,
    a missing required one or a value of the wrong kind raises :class:`PluginValueError` naming the key."""
    schema = {s.name: s for s in host.settings_schema.get(plugin, [])}
    unknown = sorted(set(given) - set(schema))
    if unknown:
        known = ", ".join(sorted(schema)) or "none"
        raise _keyed(f"[plugins.{plugin}] has unknown key {unknown[0]!r} (the plugin's settings: {known})", unknown[0])
    out: dict[str, Any] = {}
    for name, setting in schema.items():
        if name not in given:
            if setting.required:
                raise _keyed(f"[plugins.{plugin}] needs {name!r}: {setting.help or kind_name(setting.kind)}", None)
            if setting.default is not None:
                out[name] = setting.default
            continue
        value = given[name]
        good = isinstance(value, setting.kind) and not (setting.kind in (int, float) and isinstance(value, bool))
        if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
            good, value = True, float(value)
        if setting.kind is list and good and not all(isinstance(v, str) for v in value):
            good = False
        if not good:
            raise _keyed(f"[plugins.{plugin}] {name} must be {kind_name(setting.kind)}, not {value!r}", name)
        out[name] = value
    return out


class SettingError(PluginValueError):
    """A ``[plugins.NAME]`` section its plugin's settings refuse; ``key``: the key at fault (``None``: the
    section as a whole, e.g. a required key missing)."""

    key: str | None = None


def _keyed(message: str, key: str | None) -> SettingError:
    error = SettingError(message)
    error.key = key
    return error
