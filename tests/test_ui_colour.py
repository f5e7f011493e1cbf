"""Colour, emphasis and contrast as the terminal gets them: without colour (NO_COLOR) the breach signals are the
most visible things on screen (bold and reversed, not a dark grey), they stay distinct in 16 and 256 colours, and
the light theme is readable (no text close to its background). Read from the screen's rows as drawn
(tests/screen_styles.py), line filters included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.pilot import Pilot

from console.app import CspConsoleApp
from console.settings.config import load_config, write_demo_config
from console.store import Workspace
from tests.conftest import NOW
from tests.screen_styles import Cell, contrast, find_row, row_text, screen_rows, seen, style_of, styles_of
from tests.ui import make_app, settle, table

ROOT = Path(__file__).resolve().parents[1]


def _app(ws: Workspace, tmp_path: Path, *, theme: str | None = None, agent: str = "aiko.tanaka") -> CspConsoleApp:
    if theme in (None, "textual-dark"):  # the default: no setting
        return make_app(ws, tmp_path, agent=agent)
    path = tmp_path / "config.toml"
    write_demo_config(path, NOW.date())
    path.write_text(path.read_text(encoding="utf-8").replace("[console]", f'[console]\ntheme = "{theme}"', 1))
    return CspConsoleApp(ws, load_config(path), clock=lambda: NOW, agent=agent, cursor_blink=False)


def _sla_cells(rows: list[list[Cell]]) -> list[tuple[int, str, Style]]:
    """(row, SLA text, style) of every ticket row on screen."""
    header = find_row(rows, "Ticket")
    head = row_text(rows[header])
    start, end = head.index("SLA"), head.index("SLA") + 5
    found = []
    for y in range(header + 1, len(rows)):
        text = row_text(rows[y])
        if not text.lstrip("● •").startswith("CSP-"):  # after the marks gutter
            continue
        value = text[start:end].strip()
        if value:
            found.append((y, value, styles_of(rows[y], value)[0]))
    return found


def _emphasised(style: Style) -> bool:
    return bool(style.bold and style.reverse)


# -- without colour ------------------------------------------------------------------------------------------------
async def test_without_colour_breached_sla_cells_are_bold_and_reversed(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found trying NO_COLOR=1: negative SLA values were drawn grey on black (colour 237 on 235), the least
    visible text of the queue."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cells = _sla_cells(screen_rows(app))
        breached = [(y, v, s) for y, v, s in cells if v.startswith("-")]
        others = [(y, v, s) for y, v, s in cells if not v.startswith("-")]
        assert breached and others
        for _, value, style in breached:
            assert _emphasised(style), (value, style)
        for _, value, style in others:
            assert not style.reverse, (value, style)
        # On the cursor row too the breached cell stands out from the rest of the row.
        current = table(pilot).current_row
        assert current is not None
        rows = screen_rows(app)
        cursor_y = next(y for y, _, _ in breached if row_text(rows[y]).startswith(current.id))
        row = rows[cursor_y]
        sla = next(s for y, _, s in breached if y == cursor_y)
        assert seen(sla) != seen(styles_of(row, "CSP-")[0])


async def test_without_colour_the_breach_tab_is_bold_reversed_and_marked(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = screen_rows(app)
        bar = rows[0]
        breach = styles_of(bar, "Breach")[0]
        assert _emphasised(breach), breach
        assert "!" in row_text(bar).split("Breach")[1].split(" 4 ")[0]  # "3 Breach 20!": said in text too
        # The current view is marked otherwise, so the two never look alike.
        current = styles_of(bar, "Open")[0]
        assert current.bold and not current.reverse and current.underline
        for name in ("Mine", "Unasg", "Wait MS", "Bill"):
            assert not styles_of(bar, name)[0].reverse


async def test_without_colour_breached_in_the_ticket_is_bold_and_reversed(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket("CSP-000145")  # resolution breached 3 days ago
        await settle(pilot)
        rows = screen_rows(app)
        assert _emphasised(style_of(rows, "BREACHED"))
        assert _emphasised(style_of(rows, "breached 3d ago"))
        # Section headings are not drawn like a breach.
        for heading in ("SLA and support offer", "Findings"):
            assert not style_of(rows, heading).reverse


async def test_without_colour_the_health_boards_breach_figure_is_bold_and_reversed(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        rows = screen_rows(app)
        y = find_row(rows, "Breached now")
        value = row_text(rows[y]).split("Breached now")[1].split()[0]
        assert int(value.replace(",", "")) > 0
        assert all(_emphasised(s) for s in styles_of(rows[y], "Breached now"))  # the whole line
        assert all(_emphasised(s) for s in styles_of(rows[y], value))
        assert not any(s.reverse for s in styles_of(rows[find_row(rows, "Resolved today")], "Resolved today"))


async def test_without_colour_suspension_overdue_in_collections_is_bold_and_reversed(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path, agent="tom.becker")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        rows = screen_rows(app)
        y = find_row(rows, "Litware Labs")
        assert _emphasised(styles_of(rows[y], "suspension")[0])
        overdue = 0
        for row in rows[find_row(rows, "Aging") + 1 : find_row(rows, "Customers (")]:
            amounts = [c for c in row if re.fullmatch(r"[\d,.]+", c.text.strip())]
            current, *late = amounts
            assert not current.style.bold  # current: not overdue
            for cell in late:
                if cell.text.strip().strip("0.,"):  # an amount overdue
                    assert cell.style.bold and cell.style.underline, cell
                    overdue += 1
        assert overdue


async def test_without_colour_the_cursor_row_and_the_focused_field_are_unmistakable(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = screen_rows(app)
        cursor = find_row(rows, table(pilot).current_row.id)  # type: ignore[union-attr]
        for name in ("CSP-", " AZ "):
            style = styles_of(rows[cursor], name.strip())[0]
            assert style.bold and style.underline, style
        other = rows[cursor + 1]
        assert not styles_of(other, "CSP-")[0].underline
        await pilot.press("n")
        await settle(pilot)
        rows = screen_rows(app)
        focused = app.focused
        assert focused is not None
        region = focused.content_region
        drawn = [c for c in rows[region.y] if region.x <= c.x < region.right and c.text.strip()]
        assert drawn and all(c.style.bold and c.style.underline for c in drawn), drawn


async def test_an_empty_no_color_leaves_the_colours(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """no-color.org: NO_COLOR counts when it is set to a non-empty value."""
    monkeypatch.setenv("NO_COLOR", "")
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.no_color
        style = _sla_cells(screen_rows(app))[0][2]  # a breached cell: in colour, not a grey
        assert style.color is not None and style.bgcolor is not None
        assert len({*style.color.get_truecolor()}) > 1 or len({*style.bgcolor.get_truecolor()}) > 1


# -- 16 and 256 colours --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("system", [ColorSystem.STANDARD, ColorSystem.EIGHT_BIT], ids=["16", "256"])
async def test_breach_signals_stay_distinct_in_16_and_256_colours(
    demo_ws: Workspace, tmp_path: Path, theme: str, system: ColorSystem
) -> None:
    """Found comparing colour systems: in 16 colours the cursor bar ($accent, orange) and the breached cells
    ($error) both become bright red, and the critical severity letter ($warning) is the same red: the cursor bar
    looked like a breach and a critical ticket like a breached one."""
    app = _app(demo_ws, tmp_path, theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = screen_rows(app)
        cells = _sla_cells(rows)
        breached = {seen(s, system)[:2] for _, v, s in cells if v.startswith("-")}
        cursor = find_row(rows, table(pilot).current_row.id)  # type: ignore[union-attr]
        plain = {seen(s, system)[:2] for y, v, s in cells if not v.startswith("-") and y != cursor}
        cursor_row = seen(styles_of(rows[cursor], "CSP-")[0], system)[:2]
        assert len(breached) == 1, breached  # the same signal on the cursor row as elsewhere
        assert not breached & plain and breached != {cursor_row}
        (fg, bg), *_ = breached
        assert fg != bg
        screen = seen(styles_of(rows[find_row(rows, "Ticket")], "Ticket")[0], system)[1]
        signal = {bg} if bg != screen else {fg}  # the colour that says "breached": a block's, else the text's
        assert not signal & set(cursor_row), (signal, cursor_row)
        s_at = row_text(rows[find_row(rows, "Ticket")]).index(" S ") + 1
        critical = [c for row in rows for c in row if c.x == s_at and c.text.strip() == "A"]
        critical = [seen(c.style, system)[:2] for c in critical]
        assert critical and not any(signal & set(pair) for pair in critical), (signal, critical)
        bar = rows[0]
        tab = seen(styles_of(bar, "Breach")[0], system)[:2]
        assert tab not in {seen(styles_of(bar, n)[0], system)[:2] for n in ("Mine", "Unasg", "Open")}


# -- the light theme -----------------------------------------------------------------------------------------------
async def _queue(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def _ticket(pilot: Pilot[None]) -> None:
    await settle(pilot)
    pilot.app.open_ticket("CSP-000145")  # type: ignore[attr-defined]
    await settle(pilot)


async def _health(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)


async def _collections(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)


@pytest.mark.parametrize("steps", [_queue, _ticket, _health, _collections], ids=["queue", "ticket", "health", "bills"])
async def test_the_light_theme_draws_no_text_close_to_its_background(
    demo_ws: Workspace, tmp_path: Path, steps: object
) -> None:
    """Found trying a light theme: yellow warnings and the critical severity letter ($warning on a light grey,
    1.9:1) and hard-coded ANSI colours could hardly be read."""
    app = _app(demo_ws, tmp_path, theme="textual-light", agent="tom.becker")
    async with app.run_test(size=(80, 24)) as pilot:
        await steps(pilot)  # type: ignore[operator]
        assert app.theme == "textual-light"
        faint = []
        for y, row in enumerate(screen_rows(app)):
            for cell in row:
                if re.search(r"[^\s▁▂▃▄▅▆▇█▊▌▎━─]", cell.text) and contrast(cell.style) < 3.0:
                    faint.append((y, cell.text, str(cell.style), round(contrast(cell.style), 2)))
        assert not faint, faint


async def test_the_theme_comes_from_the_config_and_defaults_to_dark(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
    app = _app(demo_ws, tmp_path, theme="textual-light")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"


async def test_a_theme_changed_while_running_restyles_what_is_shown(demo_ws: Workspace, tmp_path: Path) -> None:
    """The command palette changes the theme: text already shown takes the new theme's colours."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket("CSP-000145")
        await settle(pilot)
        dark = style_of(screen_rows(app), "first response: met")
        app.theme = "textual-light"
        await settle(pilot)
        light = style_of(screen_rows(app), "first response: met")
        assert seen(light) != seen(dark)
        assert contrast(light) >= 3.0


def test_every_theme_gives_roles_that_read_on_its_backgrounds() -> None:
    from textual.app import App
    from textual.color import Color
    from textual.theme import BUILTIN_THEMES

    from console.widgets.palette import MIN_CONTRAST, NO_COLOR_ROLES, ROLES, colour_roles
    from console.widgets.palette import contrast as ratio

    assert set(NO_COLOR_ROLES) == set(ROLES)
    assert all(s.color is None and s.bgcolor is None for s in NO_COLOR_ROLES.values())
    app: App[None] = App()
    for name in BUILTIN_THEMES:
        app.theme = name
        variables = app.get_css_variables()
        roles = colour_roles(variables)
        assert set(roles) == set(ROLES)
        if variables["background"].startswith("ansi"):
            continue  # the terminal's own colours
        for role, style in roles.items():
            if style.color is None:
                continue
            fg = Color.from_rich_color(style.color)
            behind = [Color.from_rich_color(style.bgcolor)] if style.bgcolor else []
            behind = behind or [Color.parse(variables[v]) for v in ("background", "surface", "panel")]
            assert min(ratio(fg, b) for b in behind) >= (3.0 if style.bgcolor else MIN_CONTRAST), (name, role)


# -- our own styles use the theme ----------------------------------------------------------------------------------
_STYLE_WORDS = r"(?:bold|dim|italic|underline|reverse|strike|on|not)"
_COLOUR = (
    r"(?:red|yellow|green|cyan|magenta|blue|white|black|bright_\w+|grey\d*|gray\d*|color\(\d+\)|#[0-9a-fA-F]{3,6})"
)
_HARD_CODED = re.compile(rf"""["'](?:{_STYLE_WORDS}\s+)*{_COLOUR}(?:\s+(?:{_STYLE_WORDS}|{_COLOUR}))*["']""")


def test_the_screens_and_widgets_name_no_colour_of_their_own() -> None:
    """Colours come from the theme (console/widgets/palette.py's roles, $variables in TCSS), never a colour name
    that is unreadable on one theme or grey without colour."""
    found = []
    for path in [*sorted((ROOT / "console/screens").glob("*.py")), *sorted((ROOT / "console/widgets").glob("*.py"))]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _HARD_CODED.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    tcss = (ROOT / "console/app.tcss").read_text(encoding="utf-8")
    found += [f"app.tcss: {m}" for m in re.findall(rf"(?:color|background):\s*{_COLOUR}\b", tcss)]
    assert not found, "\n".join(found)


async def test_a_focused_breach_figure_still_shows_its_focus(demo_ws: Workspace, tmp_path: Path) -> None:
    """The breach figure's block covers the focus colour; the underline still says where focus is."""
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        rows = screen_rows(app)
        unfocused = styles_of(rows[find_row(rows, "Breached now")], "Breached now")[0]
        screen = app.screen
        line = next(f for f in screen.query("FigureLine") if f.figure_id == "sla.breached")  # type: ignore[attr-defined]
        line.focus()
        await settle(pilot)
        rows = screen_rows(app)
        focused = styles_of(rows[find_row(rows, "Breached now")], "Breached now")[0]
        assert focused.underline and not unfocused.underline
        assert focused.bgcolor == unfocused.bgcolor  # still the breach block
