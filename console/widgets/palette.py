"""The console's own styles, by role, from the theme in force.

Rich text in the console names a role, not a colour: ``Text.assemble(("breached 2h ago", ALARM))``. The app gives
its Rich console a Rich theme (:func:`install`) in which each role's style comes from the Textual theme's variables
(``$error``, ``$text-warning``, ``$text-success``…), so every theme, dark or light, stays readable; without colour
(``NO_COLOR``, https://no-color.org) each role is drawn with bold, reverse, underline or italic alone, because
Textual then turns every colour into its grey (a red on black becomes a dark grey on black).

Reverse is kept for what must be the most visible thing on screen (:data:`ALARM`: a breach); the cursor, the
current view and the headings use underline without colour.

A role is a span's style: ``Text(..., style=ROLE)`` is not seen by Textual, which reads a whole text's style as its
own markup. Use :func:`styled` (or a span) instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

from rich.style import Style
from rich.text import Text
from rich.theme import Theme
from textual.app import App
from textual.color import Color
from textual.filter import Monochrome, NoColor
from textual.theme import Theme as TextualTheme
from textual.widgets import OptionList, Static

ALARM = "csp.alarm"  # breached clocks, negative SLA, suspension-stage overdue, failing jobs: the most visible
BAD = "csp.bad"  # late, overdue, failed, over-assigned: wrong, but not the breach itself
WARN = "csp.warn"  # a warning
WARN_STRONG = "csp.warn.strong"  # a warning to act on (a critical severity, a low balance, actions due)
WARN_BANNER = "csp.warn.banner"  # a state the screen is in (the health board paused)
OK = "csp.ok"  # met, done, in force
INFO = "csp.info"  # Microsoft's part, a paused clock, an informational finding
ESCALATE = "csp.escalate"  # a finding to escalate to Microsoft
HEADING = "csp.heading"  # a section's heading
BADGE = "csp.badge"  # a ticket's status
CURRENT = "csp.current"  # the current view in the views bar
ALARM_CURRENT = "csp.alarm.current"  # the current view when it is the breached one

ROLES = (ALARM, BAD, WARN, WARN_STRONG, WARN_BANNER, OK, INFO, ESCALATE, HEADING, BADGE, CURRENT, ALARM_CURRENT)

#: Without colour: emphasis alone (Textual's monochrome filter keeps these, and so does a terminal without colour).
NO_COLOR_ROLES: dict[str, Style] = {
    ALARM: Style(bold=True, reverse=True),
    BAD: Style(bold=True, underline=True),
    WARN: Style(italic=True),
    WARN_STRONG: Style(bold=True),
    WARN_BANNER: Style(bold=True, underline=True),
    OK: Style(),
    INFO: Style(italic=True),
    ESCALATE: Style(bold=True),
    HEADING: Style(bold=True, underline=True),
    BADGE: Style(underline=True),
    CURRENT: Style(bold=True, underline=True),
    ALARM_CURRENT: Style(bold=True, reverse=True, underline=True),
}


def styled(text: str, role: str) -> Text:
    """``text`` in ``role`` (as a span, which Textual resolves through the app's Rich theme)."""
    return Text.assemble((text, role))


def _colour(variables: Mapping[str, str], name: str) -> Color:
    return Color.parse(variables[name])


def _on(variables: Mapping[str, str], name: str) -> Style:
    """Bold text on the colour ``name``, in the theme's contrasting text colour."""
    background = _colour(variables, name)
    if background.ansi is not None:  # an ANSI theme
        text = Color.parse("ansi_bright_white")
    else:
        text = background + background.get_contrast_text(0.95)
    return Style(bold=True, color=text.rich_color, bgcolor=background.rich_color)


#: The least contrast a role's text keeps on the screens' backgrounds (WCAG AA for text).
MIN_CONTRAST = 4.5


def _luminance(color: Color) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    """The WCAG contrast ratio of two colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(color: Color, backgrounds: list[Color]) -> Color:
    """``color``, darkened on light backgrounds (lightened on dark ones) until it reads on each of them: a theme's
    ``$text-warning`` is tuned for ``$background`` and falls to 2.8:1 on the lighter ``$panel`` of a light theme."""
    if color.ansi is not None or any(b.ansi is not None for b in backgrounds):
        return color  # an ANSI theme's colours are the terminal's own: nothing to measure
    light = sum(_luminance(b) for b in backgrounds) / len(backgrounds) > 0.4
    for _ in range(20):
        if min(contrast(color, b) for b in backgrounds) >= MIN_CONTRAST:
            break
        color = color.darken(0.04) if light else color.lighten(0.04)
    return color


def colour_roles(variables: Mapping[str, str]) -> dict[str, Style]:
    """Each role's style from a Textual theme's CSS variables (``App.get_css_variables()``), each text colour
    made readable on the theme's background, surface and panel."""
    backgrounds = [_colour(variables, name) for name in ("background", "surface", "panel")]

    def fg(name: str, *, bold: bool = False) -> Style:
        color = readable(_colour(variables, name), backgrounds)
        return Style(color=color.rich_color, bold=bold or None)

    return {
        ALARM: _on(variables, "error"),
        BAD: fg("text-error", bold=True),
        WARN: fg("text-warning"),
        WARN_STRONG: fg("text-warning", bold=True),
        WARN_BANNER: _on(variables, "warning"),
        OK: fg("text-success"),
        INFO: fg("text-primary"),
        ESCALATE: fg("text-secondary", bold=True),
        HEADING: Style(bold=True, reverse=True),
        BADGE: Style(reverse=True),
        CURRENT: Style(bold=True, reverse=True),
        ALARM_CURRENT: _on(variables, "error") + Style(underline=True),
    }


def rich_theme(variables: Mapping[str, str], no_color: bool) -> Theme:
    return Theme(dict(NO_COLOR_ROLES if no_color else colour_roles(variables)), inherit=False)


def honour_no_color(app: App[Any]) -> None:
    """no-color.org: ``NO_COLOR`` counts when set to a non-empty value; Textual also counts an empty one."""
    if app.no_color and not os.environ.get("NO_COLOR"):
        app.no_color = False
        app._filters = [f for f in app._filters if not isinstance(f, Monochrome | NoColor)]


class Palette:
    """The roles of ``app``'s theme on its Rich console: given at once (before any text is shown: ``NO_COLOR``
    read as no-color.org says, ``theme`` set), and again whenever the theme changes once the app runs
    (:meth:`follow`)."""

    def __init__(self, app: App[Any], theme: str) -> None:
        honour_no_color(app)
        app.theme = theme
        self.app = app
        self._pushed = False
        self.theme = ""  # the theme whose roles are given
        self.apply()

    def apply(self) -> None:
        console = self.app.console
        if self._pushed:
            console.pop_theme()
        console.push_theme(rich_theme(self.app.get_css_variables(), self.app.no_color))
        self._pushed = True
        self.theme = self.app.theme

    def follow(self) -> None:
        """From now on (the app is running), follow the theme; one set since :meth:`apply` is taken at once."""
        self.app.theme_changed_signal.subscribe(self.app, self._theme_changed)
        if self.app.theme != self.theme:
            self._theme_changed(self.app.current_theme)

    def _theme_changed(self, _theme: TextualTheme) -> None:
        self.apply()
        restyle(self.app)


class ThemedApp:
    """An App's mixin: :meth:`use_palette` when the app is made; it follows the theme once mounted (Textual calls
    each class's ``on_mount``)."""

    palette: Palette

    def use_palette(self, theme: str) -> None:
        self.palette = Palette(cast("App[Any]", self), theme)

    def on_mount(self) -> None:
        self.palette.follow()


def restyle(app: App[Any]) -> None:
    """Draw again, in the new theme's roles, the text already shown (Textual resolved its styles when it was set)."""
    for screen in app.screen_stack:
        for static in screen.query(Static):
            static.update(static.content, layout=False)
        for options in screen.query(OptionList):
            options._clear_caches()
            options.refresh()
