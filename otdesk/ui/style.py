"""The look: a readable base font and a few roles (error, note, hint, title, badge, auto)
that widgets set as a property, so colours live here and not in layout code. Every error
text everywhere is a QLabel with role "error" (one style); a done-and-saved note is "note",
never red."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

BASE_POINT_SIZE = 10

STYLE_SHEET = """
QLabel[role="error"] { color: #b00020; }
QLabel[role="note"] { color: #1b5e20; }
QLineEdit[role="auto"] { color: #4a5a78; font-style: italic; }
QLabel[role="warning"] { color: #8a5a00; }
QLabel[role="hint"] { color: #555555; }
QLabel[role="caption"] { color: #444444; font-weight: bold; }
QLabel[role="strong"] { font-weight: bold; }
QLabel[role="title"] { font-size: 13pt; font-weight: bold; }
QLabel[role="badge"] {
    border-radius: 4px; padding: 2px 8px; background: #e8e8e8; color: #333333;
}
QLabel[role="badge"][status="draft"] { background: #fff1cc; color: #6b4500; }
QLabel[role="badge"][status="finalized"] { background: #dff3e3; color: #1b5e20; }
QLabel[role="badge"][status="void"] { background: #eeeeee; color: #666666; }
QPushButton[role="primary"] {
    background: #1b6e2a; color: white; font-weight: bold; padding: 6px 12px;
    border-radius: 4px;
}
QPushButton[role="primary"]:disabled { background: #9bbfa2; }
QGroupBox { font-weight: bold; margin-top: 14px; padding-top: 2px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 3px; }
QGroupBox > QWidget { font-weight: normal; }
QFrame#findingRow { background: #fafafa; border: 1px solid #dddddd; border-radius: 4px; }
QLabel[role="severity"] { border-radius: 3px; padding: 0px 4px; font-size: 9pt; }
QLabel[role="severity"][severity="error"] { background: #b00020; color: white; }
QLabel[role="severity"][severity="warning"] { background: #f0b400; color: black; }
QLabel[role="severity"][severity="info"] { background: #1d4f91; color: white; }
QTableView { selection-background-color: #cfe3ff; selection-color: black; }
"""


def apply(app: QApplication) -> None:
    """Font and widget style; call before building widgets."""
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyle("Fusion")


def apply_sheet(app: QApplication) -> None:
    """The style sheet; call once the main window is built: set earlier, it is matched
    against every widget as it is added (many times the cost for the main window), set
    after, in one pass."""
    app.setStyleSheet(STYLE_SHEET)


def set_role(widget: QWidget, role: str | None) -> None:
    """Give a widget a style role (None: none) and restyle it now: a changed property is
    not matched again until the widget is polished anew."""
    if widget.property("role") == role:
        return
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def show_note(label: QWidget, text: str, role: str = "note") -> None:
    """Show `text` in `label` in a role's style ("note" for done and saved, "error")."""
    set_role(label, role)
    label.setText(text)  # type: ignore[attr-defined]
    label.setVisible(bool(text))
