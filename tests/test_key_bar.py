"""The key bar at the foot of every screen: what it shows at 80 columns and wider, and that it follows the
screen in front, the focus, disabled actions and clicks."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from console.screens.queue import QueueScreen
from console.screens.ticket import TicketScreen
from console.store import Workspace
from console.widgets.key_bar import KeyBar
from tests.ui import make_app, settle


def bar_text(app: App[object]) -> str:
    return app.screen.query_one(KeyBar).render().plain


async def test_at_80_columns_help_and_the_palette_stay_in_sight(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = bar_text(app)
        assert len(line) == 80
        assert line.startswith(" ⏎ Open  / Search  f Filter ")
        assert line.rstrip().endswith("? Help  ^p palette")
        assert "…" in line and "Quit" not in line  # what does not fit gives way, whole keys only
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        line = bar_text(app)
        assert len(line) == 160 and "…" not in line
        assert " c Claim  q Quit " in line and line.rstrip().endswith("? Help  ^p palette")


async def test_it_follows_the_screen_in_front(demo_ws: Workspace, tmp_path: Path) -> None:
    app = make_app(demo_ws, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and "/ Search" in bar_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        line = bar_text(app)
        assert "/ Search" not in line and "Back" in line
        await pilot.press("escape")
        await settle(pilot)
        assert "/ Search" in bar_text(app)


class Keys(App[None]):
    """A bare app with a key bar: one key disabled, one hidden, and a text box that takes the letter keys."""

    AUTO_FOCUS = None

    BINDINGS = [
        Binding("x", "mark('x')", "Mark x"),
        Binding("y", "mark('y')", "Mark y"),
        Binding("z", "mark('z')", "Hidden", show=False),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.marked: list[str] = []
        self.y_enabled = False

    def compose(self) -> ComposeResult:
        yield Input(id="box")
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "mark" and parameters == ("y",) and not self.y_enabled:
            return None  # shown, dimmed
        return True

    def action_mark(self, what: str) -> None:
        self.marked.append(what)

    def action_help(self) -> None:
        self.marked.append("help")


async def test_disabled_keys_are_dimmed_hidden_ones_left_out_and_a_click_presses_the_key() -> None:
    app = Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        bar = app.query_one(KeyBar)
        line = bar.render()
        assert " x Mark x  y Mark y " in line.plain and "Hidden" not in line.plain

        def dim(at: int) -> bool:
            return any(span.start <= at < span.end and "dim" in str(span.style) for span in line.spans)

        assert dim(line.plain.index("Mark y")) and not dim(line.plain.index("Mark x"))
        app.y_enabled = True
        app.refresh_bindings()
        await pilot.pause()
        line = bar.render()
        assert not any("dim" in str(span.style) for span in line.spans)
        await pilot.click(KeyBar, offset=(line.plain.index("Mark x"), 0))
        await pilot.click(KeyBar, offset=(line.plain.index("Help"), 0))
        await pilot.click(KeyBar, offset=(50, 0))  # the gap before the right end: nothing
        assert app.marked == ["x", "help"]
        app.query_one(Input).focus()  # a focused text box takes the letters: the bar stops offering them
        await pilot.pause()
        line = bar.render().plain
        assert "Mark" not in line and "Help" not in line and line.rstrip().endswith("^p palette")
