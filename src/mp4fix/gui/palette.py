"""Light and dark palettes (Fusion), following the system's colour scheme unless the user picks one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from mp4fix.gui.settings import THEME_DARK, THEME_LIGHT

ACCENT = "#2B73D6"
ACCENT_DARK = "#4C8EEA"


def system_prefers_dark() -> bool:
    try:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5
        return False


def wants_dark(theme: str) -> bool:
    if theme == THEME_DARK:
        return True
    if theme == THEME_LIGHT:
        return False
    return system_prefers_dark()


def light_palette() -> QPalette:
    p = QPalette()
    c = QColor
    roles = {
        QPalette.ColorRole.Window: c("#F3F4F6"),
        QPalette.ColorRole.WindowText: c("#1F2328"),
        QPalette.ColorRole.Base: c("#FFFFFF"),
        QPalette.ColorRole.AlternateBase: c("#F6F8FA"),
        QPalette.ColorRole.ToolTipBase: c("#FFFFFF"),
        QPalette.ColorRole.ToolTipText: c("#1F2328"),
        QPalette.ColorRole.PlaceholderText: c("#6E7781"),
        QPalette.ColorRole.Text: c("#1F2328"),
        QPalette.ColorRole.Button: c("#FBFBFC"),
        QPalette.ColorRole.ButtonText: c("#1F2328"),
        QPalette.ColorRole.BrightText: c("#FFFFFF"),
        QPalette.ColorRole.Highlight: c(ACCENT),
        QPalette.ColorRole.HighlightedText: c("#FFFFFF"),
        QPalette.ColorRole.Link: c("#0B5CC2"),
        QPalette.ColorRole.Light: c("#FFFFFF"),
        QPalette.ColorRole.Midlight: c("#E6E8EB"),
        QPalette.ColorRole.Mid: c("#C9CED4"),
        QPalette.ColorRole.Dark: c("#A3AAB3"),
        QPalette.ColorRole.Shadow: c("#6E7781"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c("#8C959F"))
    return p


def dark_palette() -> QPalette:
    p = QPalette()
    c = QColor
    roles = {
        QPalette.ColorRole.Window: c("#1E2126"),
        QPalette.ColorRole.WindowText: c("#E6E8EB"),
        QPalette.ColorRole.Base: c("#15171B"),
        QPalette.ColorRole.AlternateBase: c("#1B1E22"),
        QPalette.ColorRole.ToolTipBase: c("#2A2E35"),
        QPalette.ColorRole.ToolTipText: c("#E6E8EB"),
        QPalette.ColorRole.PlaceholderText: c("#8B949E"),
        QPalette.ColorRole.Text: c("#E6E8EB"),
        QPalette.ColorRole.Button: c("#2A2E35"),
        QPalette.ColorRole.ButtonText: c("#E6E8EB"),
        QPalette.ColorRole.BrightText: c("#FFFFFF"),
        QPalette.ColorRole.Highlight: c(ACCENT_DARK),
        QPalette.ColorRole.HighlightedText: c("#FFFFFF"),
        QPalette.ColorRole.Link: c("#79B0FF"),
        QPalette.ColorRole.Light: c("#3A3F47"),
        QPalette.ColorRole.Midlight: c("#30343B"),
        QPalette.ColorRole.Mid: c("#262A30"),
        QPalette.ColorRole.Dark: c("#111316"),
        QPalette.ColorRole.Shadow: c("#000000"),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c("#6E7681"))
    return p


def palette_for(theme: str) -> QPalette:
    return dark_palette() if wants_dark(theme) else light_palette()


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128
