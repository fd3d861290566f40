"""Visit > Print CMS-1500: the visit's paper claim shown as it will print, the whole form
(plain paper) or the data only (pre-printed red forms), with Print and Save as PDF; the
claim's problems are listed above and printing it anyway asks for a reason. Data-only prints
use the chosen printer's calibration, set in the Printer calibration dialog (alignment test
page, offsets, scale), kept per printer for every desk."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui import reason_dialog
from otdesk.ui.modal import run_modal
from otdesk.ui.superbill_preview import (
    AskPrinter,
    AskSavePath,
    PdfPreview,
    PrintError,
    ask_printer,
    ask_save_path,
    print_pdf,
)

MODE_LABELS = (("Whole form, plain paper", "form"), ("Data only, red CMS-1500 forms", "data"))


def printer_names() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo

    return list(QPrinterInfo.availablePrinterNames())


class Cms1500Preview(PdfPreview):
    def __init__(
        self,
        service: Any,
        visit_id: int,
        parent: QWidget | None = None,
        *,
        ask_printer: AskPrinter = ask_printer,
        ask_save_path: AskSavePath = ask_save_path,
        ask_reason: Any = None,
    ) -> None:
        self.service = service
        self.visit_id = visit_id
        self.mode = "form"
        self._ask_reason = ask_reason or _ask_reason
        self.pending = service.claims.claim_for(visit_id)  # raises when not claimable
        kind = {"1": "", "7": " (replacement)", "8": " (void)"}[self.pending.frequency_code]
        super().__init__(
            "CMS-1500 claim form",
            f"CMS-1500 of visit {visit_id}, {self.pending.payer_name}{kind}",
            "letter",
            parent,
            ask_printer=ask_printer,
            ask_save_path=ask_save_path,
        )
        self.paper_box.setEnabled(False)  # the form is letter size only
        self.mode_box = QComboBox()
        self.mode_box.setAccessibleName("Form or data only")
        for label, key in MODE_LABELS:
            self.mode_box.addItem(label, key)
        self.mode_box.currentIndexChanged.connect(self._mode_changed)
        self.calibrate_button = QPushButton("Printer &calibration…")
        self.calibrate_button.clicked.connect(self.calibrate)
        row = QHBoxLayout()
        row.addWidget(QLabel("Print:"))
        row.addWidget(self.mode_box)
        row.addWidget(self.calibrate_button)
        row.addStretch(1)
        self.layout().insertLayout(2, row)  # type: ignore[union-attr]
        if self.pending.problems:
            listed = "\n".join(f"• {p}" for p in self.pending.problems)
            self.problems.setText(f"This claim is held back:\n{listed}")
            self.problems.show()
        self._render()

    def render(self, paper: str) -> bytes:
        # the preview is never recorded; the reason is asked for when it leaves the app
        return self.service.forms([self.visit_id], mode=self.mode, reason="preview").pdf

    def suggested_file_name(self) -> str:
        d = self.pending.date_of_service
        return f"cms1500-{d:%Y-%m-%d}-{self.pending.account_number}-visit{self.visit_id}.pdf"

    def _mode_changed(self) -> None:
        self.mode = self.mode_box.currentData()
        self._render()

    def before_output(self) -> tuple[bool, str | None]:
        if not self.pending.problems:
            return True, None
        reason = self._ask_reason(self, list(self.pending.problems))
        return (reason is not None), reason

    def print_document(self) -> bool:
        go, reason = self.before_output()
        if not go:
            return False
        printer = self._ask_printer(self, "letter")
        if printer is None:
            return False
        name = printer.printerName()
        paper = self.service.forms(
            [self.visit_id], mode=self.mode, printer=name or None, reason=reason or "none"
        )
        try:
            pages = print_pdf(paper.pdf, printer)
        except PrintError as error:
            self.message.setText(str(error))
            return False
        self.service.record(paper, how="print", reason=reason, mode=self.mode, printer=name)
        self.message.setText(
            f"Printed {pages} form{'s' if pages != 1 else ''}"
            + (f" with the calibration of {name}." if self.mode == "data" and name else ".")
        )
        return True

    def save_to(self, path: str, reason: str | None) -> bool:
        from otdesk.services.cms1500 import PaperClaims

        if not super().save_to(path, reason):
            return False
        saved = PaperClaims(self.pdf_bytes, (self.pending,))
        self.service.record(saved, how="file", file_name=path, reason=reason, mode=self.mode)
        return True

    def calibrate(self) -> None:
        CalibrationDialog(self.service, self, ask_printer=self._ask_printer).exec()


def _ask_reason(parent: QWidget | None, problems: list[str]) -> str | None:
    found = reason_dialog.ask(
        parent,
        "Print anyway",
        "This claim has problems a payer may reject it for. Why print it anyway?",
        "Print anyway",
        problems,
    )
    return found.reason if found is not None else None


class CalibrationDialog(QDialog):
    """One printer's offsets and scale for data-only prints, and its alignment test page."""

    def __init__(
        self,
        service: Any,
        parent: QWidget | None = None,
        *,
        ask_printer: AskPrinter = ask_printer,
        printers: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._ask_printer = ask_printer
        self.setWindowTitle("CMS-1500 printer calibration")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Print the alignment test page on a red CMS-1500 form and measure how far the Xs "
            "are from their boxes. If they print 0.10 in left of the boxes, move right 0.10; "
            "if they print too low, move down a negative amount. Save, and every data-only "
            "print on this printer moves by that much."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.printer = QComboBox()
        self.printer.setEditable(True)
        self.printer.setAccessibleName("Printer")
        self.printer.addItems(printers if printers is not None else printer_names())
        self.printer.currentTextChanged.connect(self._load)
        self.right = self._inches("Move right (inches; negative: left)")
        self.down = self._inches("Move down (inches; negative: up)")
        self.scale = QSpinBox()
        self.scale.setRange(90, 110)
        self.scale.setSuffix(" %")
        self.scale.setValue(100)
        self.scale.setAccessibleName("Scale")
        form.addRow("&Printer", self.printer)
        form.addRow("Move &right", self.right)
        form.addRow("Move &down", self.down)
        form.addRow("&Scale", self.scale)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Calibration message")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.test_button = buttons.addButton(
            "Print &alignment page…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.test_button.clicked.connect(self.print_alignment)
        self.save_button = buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.save_button.clicked.connect(self.save)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        layout.addWidget(buttons)
        self._load(self.printer.currentText())

    def _inches(self, name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-1.0, 1.0)
        box.setDecimals(2)
        box.setSingleStep(0.01)
        box.setSuffix(" in")
        box.setAccessibleName(name)
        return box

    def _load(self, printer: str) -> None:
        if not printer.strip():
            return
        stored = self.service.calibration(printer)
        self.right.setValue(stored.right / 100)
        self.down.setValue(stored.down / 100)
        self.scale.setValue(stored.scale_percent)

    def save(self) -> bool:
        from otdesk.services.errors import ServiceError

        try:
            saved = self.service.save_calibration(
                self.printer.currentText(),
                right=round(self.right.value() * 100),
                down=round(self.down.value() * 100),
                scale_percent=self.scale.value(),
            )
        except ServiceError as error:
            self.message.setText(str(error))
            return False
        self.message.setText(
            f"Saved for {saved.printer}: {saved.right / 100:+.2f} in right, "
            f"{saved.down / 100:+.2f} in down, {saved.scale_percent}%."
        )
        return True

    def print_alignment(self) -> bool:
        printer = self._ask_printer(self, "letter")
        if printer is None:
            return False
        name = printer.printerName() or self.printer.currentText()
        try:
            print_pdf(self.service.alignment_page(name or None), printer)
        except PrintError as error:
            self.message.setText(str(error))
            return False
        self.message.setText(f"Alignment page sent to {name or 'the printer'}.")
        return True


def show_for(window: Any, visit_id: int) -> None:
    from otdesk.services.errors import ServiceError

    try:
        dialog = Cms1500Preview(window.clinic.paper_claims, visit_id, window)
    except ServiceError as error:
        window.show_status(f"No CMS-1500 for this visit: {error}")
        return
    run_modal(dialog)
