"""First run: no practice yet. Offers to set one up or to explore a demo clinic (kept in its
own data folder, so it never mixes with real data)."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from otdesk.ui.modal import run_modal


class WelcomeChoice(StrEnum):
    SET_UP = "set-up"
    DEMO = "demo"


class WelcomeDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to otdesk")
        self.setMinimumWidth(480)
        self.choice: WelcomeChoice | None = None
        title = QLabel("<h2>Welcome to otdesk</h2>")
        text = QLabel(
            "otdesk records the charges of each therapy visit, counts the units, checks the "
            "modifiers and prints superbills.<br><br>"
            "To start, set up your practice (its name, a first provider and your payers), "
            "or look around a made-up demo clinic first. The demo keeps its data in a "
            "folder of its own."
        )
        text.setWordWrap(True)
        self.set_up = QPushButton("Set up my practice")
        self.set_up.setAccessibleName("Set up my practice")
        self.set_up.setDefault(True)
        self.set_up.clicked.connect(lambda: self._choose(WelcomeChoice.SET_UP))
        self.demo = QPushButton("Explore with a demo clinic")
        self.demo.setAccessibleName("Explore with a demo clinic")
        self.demo.clicked.connect(lambda: self._choose(WelcomeChoice.DEMO))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addSpacing(8)
        layout.addWidget(self.set_up)
        layout.addWidget(self.demo)

    def _choose(self, choice: WelcomeChoice) -> None:
        self.choice = choice
        self.accept()


def ask(parent: QWidget | None = None) -> WelcomeChoice | None:
    dialog = WelcomeDialog(parent)
    run_modal(dialog)
    return dialog.choice
