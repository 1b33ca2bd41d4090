"""The diagram's colours: one palette per diff status, and the diff table's risk colours (display.py) for risks."""

from __future__ import annotations

from ..display import RISK_BACKGROUNDS, RISK_COLOURS
from .model import ADDED, CHANGED, REMOVED, SAME

# (text colour, background, header background) per status; GitHub's palette, readable on light themes.
PALETTE = {
    "plain": ("#24292f", "#ffffff", "#ddf4ff"),
    SAME: ("#6e7781", "#ffffff", "#eaeef2"),
    ADDED: ("#1a7f37", "#dafbe1", "#aceebb"),
    REMOVED: ("#cf222e", "#ffebe9", "#ffcecb"),
    CHANGED: ("#9a6700", "#fff8c5", "#fae17d"),
}
_RISK_HEADERS = {"safe": "#aceebb", "may-fail": "#fae17d", "data-loss": "#ffcecb"}
# The same text and background per risk as the diff table's badges, so a may-fail change looks alike in both.
RISK_PALETTE = {risk: (RISK_COLOURS[risk], RISK_BACKGROUNDS[risk], _RISK_HEADERS[risk]) for risk in RISK_COLOURS}
BORDERS: dict[str, str] = {ADDED: "#1a7f37", REMOVED: "#cf222e", CHANGED: "#bf8700"}
RISK_BORDERS = {"safe": "#1a7f37", "may-fail": "#bf8700", "data-loss": "#cf222e"}
FONT = "Helvetica"
DEFAULT_TEXT = PALETTE["plain"][0]


def colours(status: str, risk: str | None, diff_mode: bool) -> tuple[str, str, str]:
    """Text, background and header colours: plain outside a diff, grey when unchanged, else by risk (or status)."""
    if not diff_mode:
        return PALETTE["plain"]
    if status == SAME:
        return PALETTE[SAME]
    return RISK_PALETTE[risk] if risk in RISK_PALETTE else PALETTE[status]


def border(status: str, risk: str | None, diff_mode: bool) -> str:
    """A table's frame colour."""
    if not diff_mode:
        return "#57606a"
    if status != SAME and risk in RISK_BORDERS:
        return RISK_BORDERS[risk]
    return BORDERS.get(status, "#8c959f")
