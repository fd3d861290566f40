"""Superbill settings: the paper, the out-of-network statement and its wording, the practice
logo and each provider's signature image. Images are checked by the services as they are
chosen (a refusal is shown beside the image); everything is saved together by Save, in one
transaction, and Cancel changes nothing.

The favourite codes (printed on the encounter form, and the code picker's buttons) have
their own dialog (otdesk.ui.favourites_dialog); this one shows them and links to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.modal import run_modal
from otdesk.ui.superbill_preview import PAPER_LABELS

AskImageFile = Callable[[QWidget | None, str], str | None]
EditFavourites = Callable[[QWidget], None]  # opens the favourite codes dialog over `parent`
THUMBNAIL = (160, 48)


def ask_image_file(parent: QWidget | None, title: str) -> str | None:
    """The native file chooser for a PNG or JPEG image; the path, or None when cancelled."""
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getOpenFileName(
        parent, title, "", "Images (*.png *.jpg *.jpeg);;All files (*)"
    )
    return path or None


# --- what is being changed (no Qt) -----------------------------------------------------------


@dataclass
class ImageChoice:
    """One image (the logo, a signature): what the clinic has stored, and what was chosen
    in this dialog (a new image with its file's name, or removed)."""

    stored: bytes | None
    new: bytes | None = None
    name: str = ""
    removed: bool = False

    @property
    def current(self) -> bytes | None:
        if self.new is not None:
            return self.new
        return None if self.removed else self.stored

    @property
    def changed(self) -> bool:
        return self.new is not None or (self.removed and self.stored is not None)

    def choose(self, data: bytes, name: str) -> None:
        self.new, self.name, self.removed = data, name, False

    def remove(self) -> None:
        self.new, self.name, self.removed = None, "", True

    def describe(self, noun: str) -> str:
        if self.new is not None:
            return f"{self.name} (saved when you press Save)"
        if self.removed and self.stored is not None:
            return f"No {noun} (removed when you press Save)"
        if self.stored is not None:
            return f"A {noun} is set."
        return f"No {noun}."


class SettingsEdit:
    """The settings as the dialog edits them: images checked by the service when chosen,
    and only what changed handed to the service's save_all (one transaction)."""

    def __init__(self, service: Any, providers: list[Any]) -> None:
        self.service = service
        self.settings = service.settings()
        self.logo = ImageChoice(service.logo())
        self.providers = providers
        self.signatures = {p.id: ImageChoice(service.signature(p.id)) for p in providers}

    def choose(self, choice: ImageChoice, path: str, what: str) -> str | None:
        """Take the image in `path` if the service accepts it; its refusal otherwise."""
        from otdesk.services.errors import ValidationError

        try:
            data = self.service.check_image(path, what)
        except ValidationError as error:
            # The file's name says which file; a whole path would not fit beside the image.
            return str(error).replace(str(Path(path)), Path(path).name)
        choice.choose(data, Path(path).name)
        return None

    def changes(self, paper: str, out_of_network: bool, text: str) -> dict[str, Any]:
        wanted = {
            "paper": paper,
            "out_of_network": out_of_network,
            "out_of_network_text": text.strip(),
        }
        current = self.settings.to_json()
        return {key: value for key, value in wanted.items() if value != current[key]}

    def save(self, paper: str, out_of_network: bool, text: str) -> Any:
        """Save what changed; returns the settings now stored (SuperbillSettings)."""
        from otdesk.services.superbills import KEEP

        changes = self.changes(paper, out_of_network, text)
        signatures = {pid: c.current for pid, c in self.signatures.items() if c.changed}
        logo = self.logo.current if self.logo.changed else KEEP
        if not changes and not signatures and logo is KEEP:
            return self.settings
        return self.service.save_all(changes, logo=logo, signatures=signatures)


# --- the dialog --------------------------------------------------------------------------------


class ImageRow(QWidget):
    """A thumbnail of the image, what it is (file name, set, none), Choose image… and
    Remove, and the service's refusal under them."""

    def __init__(self, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.noun = noun
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(*THUMBNAIL)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setStyleSheet("border: 1px solid #cccccc; background: white;")
        self.thumbnail.setAccessibleName(f"{noun.capitalize()} image")
        self.name = QLabel()
        self.name.setWordWrap(True)
        self.name.setAccessibleName(f"{noun.capitalize()} file")
        self.choose_button = QPushButton("Choose image…")
        self.choose_button.setAccessibleName(f"Choose {noun} image")
        self.choose_button.setAutoDefault(False)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName(f"Remove {noun}")
        self.remove_button.setAutoDefault(False)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(f"{noun.capitalize()} message")
        self.error.hide()
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.name)
        column.addLayout(buttons)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def show_choice(self, choice: ImageChoice) -> None:
        self.name.setText(choice.describe(self.noun))
        self.remove_button.setEnabled(choice.current is not None)
        pixmap = QPixmap()
        if choice.current is not None and pixmap.loadFromData(choice.current):
            self.thumbnail.setPixmap(
                pixmap.scaled(
                    THUMBNAIL[0] - 4,
                    THUMBNAIL[1] - 4,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.thumbnail.clear()
            self.thumbnail.setText("none")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


class SuperbillSettingsDialog(QDialog):
    def __init__(
        self,
        service: Any,  # otdesk.services.superbills.SuperbillService
        parent: QWidget | None = None,
        *,
        ask_image: AskImageFile = ask_image_file,
        edit_favourites: EditFavourites | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._ask_image = ask_image
        self._edit_favourites = edit_favourites
        self.saved: Any = None  # the settings stored by Save
        providers = service.providers.list(active_only=False)
        providers.sort(key=lambda p: (not p.active, p.display_name.lower()))
        self.edit = SettingsEdit(service, providers)
        settings = self.edit.settings
        self.setWindowTitle("Superbill settings")
        self.setAccessibleName("Superbill settings")
        self.setMinimumWidth(560)
        self.resize(620, 0)  # as tall as the contents need (_fit)

        self.paper = QComboBox()
        self.paper.setAccessibleName("Paper size")
        for key, label in PAPER_LABELS:
            self.paper.addItem(label, key)
        self.paper.setCurrentIndex(max(0, self.paper.findData(settings.paper)))
        paper_box = QGroupBox("Paper")
        paper_form = QFormLayout(paper_box)
        paper_form.addRow("&Superbills and forms on", self.paper)

        self.out_of_network = QCheckBox("&Print the out-of-network statement on superbills")
        self.out_of_network.setAccessibleName("Print the out-of-network statement")
        self.out_of_network.setChecked(settings.out_of_network)
        self.statement = QPlainTextEdit(settings.out_of_network_text)
        self.statement.setAccessibleName("Out-of-network statement wording")
        self.statement.setTabChangesFocus(True)
        self.statement.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self.standard_wording = QPushButton("Standard &wording")
        self.standard_wording.setAccessibleName("Use the standard wording")
        self.standard_wording.setAutoDefault(False)
        self.standard_wording.clicked.connect(self._standard_wording)
        wording_hint = QLabel("For patients who pay in full and claim from their insurer.")
        wording_hint.setProperty("role", "hint")
        wording_hint.setWordWrap(True)
        statement_box = QGroupBox("Out-of-network statement")
        statement_layout = QVBoxLayout(statement_box)
        statement_layout.addWidget(self.out_of_network)
        statement_layout.addWidget(self.statement)
        hint_row = QHBoxLayout()
        hint_row.addWidget(wording_hint, 1)
        hint_row.addWidget(self.standard_wording)
        statement_layout.addLayout(hint_row)

        self.logo = ImageRow("logo")
        self.logo.choose_button.clicked.connect(self.choose_logo)
        self.logo.remove_button.clicked.connect(self.remove_logo)
        logo_box = QGroupBox("Practice logo (top of every superbill and form)")
        QVBoxLayout(logo_box).addWidget(self.logo)

        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        for provider in providers:
            suffix = "" if provider.active else " (inactive)"
            self.provider.addItem(f"{provider.display_name}{suffix}", provider.id)
        self.provider.currentIndexChanged.connect(self._show_signature)
        self.signature = ImageRow("signature")
        self.signature.choose_button.clicked.connect(self.choose_signature)
        self.signature.remove_button.clicked.connect(self.remove_signature)
        signature_box = QGroupBox("Signatures (on finalized superbills, instead of a line)")
        signature_layout = QFormLayout(signature_box)
        signature_layout.addRow("P&rovider", self.provider)
        signature_layout.addRow(self.signature)
        if not providers:
            self.provider.setEnabled(False)
            self.signature.setEnabled(False)
            self.signature.name.setText("Add a provider first (Clinic > Providers).")

        self.favourites = QLabel()
        self.favourites.setWordWrap(True)
        self.favourites.setAccessibleName("Favourite codes")
        self.favourites_button = QPushButton("Fa&vourite codes…")
        self.favourites_button.setAccessibleName("Edit favourite codes")
        self.favourites_button.setAutoDefault(False)
        self.favourites_button.clicked.connect(self.open_favourites)
        self.favourites_button.setVisible(edit_favourites is not None)
        favourites_box = QGroupBox("Encounter form")
        favourites_row = QHBoxLayout(favourites_box)
        favourites_row.addWidget(self.favourites, 1)
        favourites_row.addWidget(self.favourites_button, 0, Qt.AlignmentFlag.AlignTop)

        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Settings message")
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        for box in (paper_box, statement_box, logo_box, signature_box, favourites_box):
            layout.addWidget(box)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.logo.show_choice(self.edit.logo)
        self._show_signature()
        self._show_favourites()

    # --- size -------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a message or file name came or went
            self._fit()
        return handled

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Never shorter than the contents at this width. Qt sizes a window by its layout's
        minimum, which leaves out the height wrapped labels need at the actual width; the
        boxes above them would be squeezed until they overlap."""
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            self.setMinimumHeight(layout.totalHeightForWidth(self.width()))

    # --- the statement ----------------------------------------------------------------------

    def _standard_wording(self) -> None:
        from otdesk.export.model import DEFAULT_OUT_OF_NETWORK_TEXT

        self.statement.setPlainText(DEFAULT_OUT_OF_NETWORK_TEXT)

    # --- images -----------------------------------------------------------------------------

    def choose_logo(self) -> bool:
        return self._choose(self.edit.logo, self.logo, "logo", "Choose the practice logo")

    def remove_logo(self) -> None:
        self.edit.logo.remove()
        self.logo.show_error("")
        self.logo.show_choice(self.edit.logo)

    def current_provider(self) -> int | None:
        data = self.provider.currentData()
        return int(data) if data is not None else None

    def _signature_choice(self) -> ImageChoice | None:
        provider_id = self.current_provider()
        return self.edit.signatures[provider_id] if provider_id is not None else None

    def choose_signature(self) -> bool:
        choice = self._signature_choice()
        if choice is None:
            return False
        title = f"Choose the signature of {self.provider.currentText()}"
        return self._choose(choice, self.signature, "signature", title)

    def remove_signature(self) -> None:
        choice = self._signature_choice()
        if choice is not None:
            choice.remove()
            self._show_signature()

    def _show_signature(self) -> None:
        choice = self._signature_choice()
        self.signature.show_error("")
        if choice is not None:
            self.signature.show_choice(choice)

    def _choose(self, choice: ImageChoice, row: ImageRow, what: str, title: str) -> bool:
        path = self._ask_image(self, title)
        if not path:
            return False
        refusal = self.edit.choose(choice, path, what)
        row.show_error(refusal or "")
        row.show_choice(choice)
        return refusal is None

    # --- favourite codes --------------------------------------------------------------------

    def _show_favourites(self) -> None:
        codes = self.service.settings().favourite_codes
        listed = ", ".join(codes) if codes else "none yet"
        self.favourites.setText(
            f"The form lists the clinic's favourite codes (the code picker's buttons too), "
            f"{len(codes)} now: {listed}."
        )

    def open_favourites(self) -> None:
        if self._edit_favourites is not None:
            self._edit_favourites(self)
            self._show_favourites()

    # --- saving -----------------------------------------------------------------------------

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        try:
            self.saved = self.edit.save(
                self.paper.currentData(),
                self.out_of_network.isChecked(),
                self.statement.toPlainText(),
            )
        except ServiceError as error:
            self.message.setText(str(error))
            self.message.show()
            return
        super().accept()


def ask(
    parent: QWidget | None,
    service: Any,
    *,
    ask_image: AskImageFile = ask_image_file,
    edit_favourites: EditFavourites | None = None,
) -> Any:
    """The settings saved (SuperbillSettings), or None when cancelled."""
    dialog = SuperbillSettingsDialog(
        service, parent, ask_image=ask_image, edit_favourites=edit_favourites
    )
    return dialog.saved if run_modal(dialog) else None
