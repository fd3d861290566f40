"""The superbill preview: the PDF exactly as it will print (QPdfView from PySide6_Pdf), the
completeness check above it, Print (the native print dialog; each page is rendered onto the
printer at the printer's resolution) and Save as PDF.

Nothing is recorded while previewing. Printing or saving issues the superbill: the services
record the PDF's SHA-256 with the version, when and who. An incomplete superbill is issued
only with a reason ("Issue anyway"), which goes into the audit log.

The encounter form (the paper form filled in during a session) is shown in the same window
(PdfPreview, the part both share); printing or saving it records nothing, as it is not a
superbill.

The dialogs it opens are seams (ask_printer, ask_save_path, ask_reason) so tests replace
them; ReportLab is imported only when the first document is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMarginsF,
    QPointF,
    QRect,
    QSize,
    QStandardPaths,
    Signal,
)
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui import reason_dialog
from otdesk.ui.modal import run_modal
from otdesk.ui.style import show_note

AskPrinter = Callable[[QWidget | None, str], QPrinter | None]
AskSavePath = Callable[[QWidget | None, str], str | None]
AskReason = Callable[..., Any]  # reason_dialog.ask
PAPER_LABELS = (("letter", "Letter (8.5 × 11 in)"), ("a4", "A4"))
# Pages are rendered for the printer in bands this many pixels high (a whole letter page
# at 600 dpi would be a 134 MB image).
BAND_PIXELS = 1024


class PrintError(Exception):
    """The printer could not be used; the message says why."""


def page_size(paper: str) -> QPageSize:
    return QPageSize(QPageSize.PageSizeId.A4 if paper == "a4" else QPageSize.PageSizeId.Letter)


def ask_printer(parent: QWidget | None, paper: str = "letter") -> QPrinter | None:
    """The native print dialog; the printer chosen, or None when cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(page_size(paper))
    printer.setFullPage(True)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print superbill")
    return printer if run_modal(dialog) else None


def documents_folder() -> str:
    """Where save dialogs open: the user's Documents folder (their home without one)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return found if found and Path(found).is_dir() else str(Path.home())


def ask_save_path(parent: QWidget | None, suggested: str) -> str | None:
    """A PDF file to write, the dialog opening in Documents with the suggested name."""
    start = str(Path(documents_folder()) / suggested)
    path, _ = QFileDialog.getSaveFileName(parent, "Save as PDF", start, "PDF files (*.pdf)")
    if not path:
        return None
    return path if path.lower().endswith(".pdf") else f"{path}.pdf"


def load_pdf(data: bytes, parent: Any = None) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument of PDF bytes (keep the buffer alive as long as the document)."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready:
        raise PrintError("The PDF could not be read back for printing.")
    return document, buffer


def print_pdf(data: bytes, printer: QPrinter) -> int:
    """Print PDF bytes: each page rendered at the printer's resolution (in bands) and drawn
    centred on the paper. Honours a page range chosen in the dialog. Returns pages printed."""
    document, buffer = load_pdf(data)
    count = document.pageCount()
    first, last = 1, count
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first = max(1, printer.fromPage())
        last = min(count, printer.toPage() or count)
    printer.setFullPage(True)
    printer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("The printer could not be started (is it connected and ready?).")
    printed = 0
    try:
        for number in range(first, last + 1):
            if printed:
                printer.newPage()
            _draw_page(painter, document, number - 1)
            printed += 1
    finally:
        painter.end()
        document.close()
        buffer.close()
    return printed


def _draw_page(painter: QPainter, document: QPdfDocument, page: int) -> None:
    target = painter.viewport()  # the whole sheet, in device pixels
    points = document.pagePointSize(page)
    scale = min(target.width() / points.width(), target.height() / points.height())
    width = max(1, round(points.width() * scale))
    height = max(1, round(points.height() * scale))
    left = target.x() + (target.width() - width) / 2
    top = target.y() + (target.height() - height) / 2
    options = QPdfDocumentRenderOptions()
    options.setScaledSize(QSize(width, height))
    for band in range(0, height, BAND_PIXELS):
        rows = min(BAND_PIXELS, height - band)
        options.setScaledClipRect(QRect(0, band, width, rows))
        image = document.render(page, QSize(width, rows), options)
        painter.drawImage(QPointF(left, top + band), image)


class PdfPreview(QDialog):
    """A document exactly as it will print, the paper to print it on, Print and Save as PDF.
    Subclasses say what the document is (render, suggested_file_name) and what printing or
    saving it means (before_output, printed, save_to)."""

    def __init__(
        self,
        window_title: str,
        heading: str,
        paper: str,
        parent: QWidget | None = None,
        *,
        ask_printer: AskPrinter = ask_printer,
        ask_save_path: AskSavePath = ask_save_path,
    ) -> None:
        super().__init__(parent)
        self._ask_printer = ask_printer
        self._ask_save_path = ask_save_path
        self.pdf_bytes = b""
        self.paper = paper
        self._document: QPdfDocument | None = None
        self._buffer: QBuffer | None = None
        self.setWindowTitle(window_title)
        self.setAccessibleName(window_title)
        self.resize(900, 760)

        layout = QVBoxLayout(self)
        self.title = QLabel(heading)
        self.title.setAccessibleName("Document of")
        layout.addWidget(self.title)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setAccessibleName("Completeness check")
        self.problems.setProperty("role", "error")
        self.problems.hide()
        layout.addWidget(self.problems)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Paper:"))
        self.paper_box = QComboBox()
        self.paper_box.setAccessibleName("Paper size")
        for key, label in PAPER_LABELS:
            self.paper_box.addItem(label, key)
        self.paper_box.setCurrentIndex(0 if paper == "letter" else 1)
        self.paper_box.currentIndexChanged.connect(self._paper_changed)
        bar.addWidget(self.paper_box)
        bar.addStretch(1)
        self.page_note = QLabel()
        self.page_note.setAccessibleName("Pages")
        bar.addWidget(self.page_note)
        layout.addLayout(bar)

        self.view = QPdfView(self)
        self.view.setAccessibleName("Document pages")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        layout.addWidget(self.view, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Preview message")
        layout.addWidget(self.message)

        buttons = QHBoxLayout()
        self.print_button = QPushButton("&Print…")
        self.print_button.setAccessibleName("Print")
        self.print_button.clicked.connect(self.print_document)
        self.save_button = QPushButton("&Save as PDF…")
        self.save_button.setAccessibleName("Save as PDF")
        self.save_button.clicked.connect(self.save_pdf)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addStretch(1)
        for button in (self.print_button, self.save_button, close):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.print_button.setDefault(True)

    # --- what the document is (subclasses) --------------------------------------------------

    def render(self, paper: str) -> bytes:
        raise NotImplementedError

    def suggested_file_name(self) -> str:
        raise NotImplementedError

    def before_output(self) -> tuple[bool, str | None]:
        """(go on, reason) before printing or saving; asked once per Print or Save."""
        return True, None

    def printed(self, pages: int, reason: str | None) -> bool:
        show_note(self.message, f"Printed {pages} page{'s' if pages != 1 else ''}.")
        return True

    def save_to(self, path: str, reason: str | None) -> bool:
        """Write the document shown to `path` (whole or not at all)."""
        from otdesk.export import ExportError, write_file_atomic

        try:
            written = write_file_atomic(path, self.pdf_bytes)
        except ExportError as error:
            show_note(self.message, str(error), "error")
            return False
        show_note(self.message, f"Saved {written.name}.")
        return True

    # --- showing ----------------------------------------------------------------------------

    def _render(self) -> None:
        self.pdf_bytes = self.render(self.paper)
        old = (self._document, self._buffer)
        self._document, self._buffer = load_pdf(self.pdf_bytes, self)
        self.view.setDocument(self._document)
        for item in old:
            if item is not None:
                item.deleteLater()
        pages = self._document.pageCount()
        self.page_note.setText(f"{pages} page{'s' if pages != 1 else ''}")

    def page_count(self) -> int:
        return self._document.pageCount() if self._document is not None else 0

    def _paper_changed(self) -> None:
        self.paper = self.paper_box.currentData()
        self._render()

    # --- printing and saving ----------------------------------------------------------------

    def print_document(self) -> bool:
        go, reason = self.before_output()
        if not go:
            return False
        printer = self._ask_printer(self, self.paper)
        if printer is None:
            return False
        try:
            pages = print_pdf(self.pdf_bytes, printer)
        except PrintError as error:
            show_note(self.message, str(error), "error")
            return False
        return self.printed(pages, reason)

    def save_pdf(self) -> bool:
        go, reason = self.before_output()
        if not go:
            return False
        path = self._ask_save_path(self, self.suggested_file_name())
        if not path:
            return False
        return self.save_to(path, reason)


class SuperbillPreview(PdfPreview):
    """Preview one visit's superbill; Print or Save as PDF issues it."""

    issued = Signal(object)  # IssuedSuperbill

    def __init__(
        self,
        service: Any,  # otdesk.services.superbills.SuperbillService
        visit_id: int,
        parent: QWidget | None = None,
        *,
        ask_printer: AskPrinter = ask_printer,
        ask_save_path: AskSavePath = ask_save_path,
        ask_reason: AskReason = reason_dialog.ask,
    ) -> None:
        prepared = service.prepare(visit_id)
        data = prepared.data
        super().__init__(
            "Superbill preview",
            f"<b>{_html(data.patient.name)}</b> · date of service "
            f"{data.date_of_service:%m/%d/%Y} · visit {data.visit_id}, version {data.version}"
            f" · {data.status}",
            service.settings().paper,
            parent,
            ask_printer=ask_printer,
            ask_save_path=ask_save_path,
        )
        self.service = service
        self.visit_id = visit_id
        self.prepared = prepared
        self.issued_anyway: str | None = None  # the reason, once it goes out with open items
        self._ask_reason = ask_reason
        self.title.setAccessibleName("Superbill of")
        self.view.setAccessibleName("Superbill pages")
        self.message.setAccessibleName("Superbill message")
        self._show_check()
        self._render()

    def render(self, paper: str) -> bytes:
        from otdesk.export import render_superbill
        from otdesk.services.superbills import with_open_items

        shown = with_open_items(self.prepared, self.issued_anyway)
        return render_superbill(shown.data, paper)

    def suggested_file_name(self) -> str:
        from otdesk.services.superbills import superbill_file_name

        return superbill_file_name(self.prepared.data)

    def _show_check(self) -> None:
        check = self.prepared.completeness
        if check.refused:
            self.problems.setText(f"This superbill cannot be issued: {check.refused}")
        elif check.problems:
            listed = "".join(f"<li>{_html(p)}</li>" for p in check.problems)
            self.problems.setText(
                "Before handing this superbill out, check what is missing:"
                f"<ul style='margin:0'>{listed}</ul>"
                "Printing or saving it anyway asks for a reason (kept in the audit log)."
            )
        else:
            self.problems.setText("")
        self.problems.setVisible(bool(check.refused or check.problems))
        self.print_button.setEnabled(check.refused is None)
        self.save_button.setEnabled(check.refused is None)

    # --- issuing ----------------------------------------------------------------------------

    def before_output(self) -> tuple[bool, str | None]:
        """(go on, reason): asks for a reason when the check found problems."""
        problems = self.prepared.completeness.problems
        if not problems:
            return True, None
        answer = self._ask_reason(
            self,
            "Issue anyway?",
            "This superbill is incomplete. Give the reason it must go out as it is; the "
            "reason is kept in the audit log.",
            "Issue anyway",
            details=list(problems),
        )
        if answer is None:
            return False, None
        # what goes out says it went out with open items, and why: shown before it does
        self.issued_anyway = answer.reason
        self._render()
        return True, answer.reason

    def print_superbill(self) -> bool:
        return self.print_document()

    def printed(self, pages: int, reason: str | None) -> bool:
        return self._issue(reason, how="print", done=f"Printed {pages} page(s)")

    def save_to(self, path: str, reason: str | None) -> bool:
        return self._issue(reason, how="file", out=path, done=f"Saved {Path(path).name}")

    def _issue(self, reason: str | None, *, how: str, done: str, out: str | None = None) -> bool:
        from otdesk.export import ExportError
        from otdesk.services import ServiceError

        try:
            issued, _ = self.service.issue(
                self.visit_id, out=out, reason=reason, pdf=self.pdf_bytes, how=how
            )
        except (ServiceError, ExportError) as error:
            show_note(self.message, str(error), "error")
            return False
        show_note(self.message, f"{done}; recorded as issued (SHA-256 {issued.sha256[:12]}…).")
        self.issued.emit(issued)
        return True


class EncounterFormPreview(PdfPreview):
    """Preview a patient's encounter form (the paper filled in during the session) with
    Print and Save as PDF. The form is not a superbill: nothing is recorded as issued, but
    each form printed or saved is in the audit log (services.encounter_forms)."""

    def __init__(
        self,
        service: Any,  # otdesk.services.superbills.SuperbillService
        patient_id: int,
        day: date,
        parent: QWidget | None = None,
        *,
        provider_id: int | None = None,
        place_of_service: str = "11",
        ask_printer: AskPrinter = ask_printer,
        ask_save_path: AskSavePath = ask_save_path,
    ) -> None:
        patient = service.patients.get(patient_id)
        super().__init__(
            "Encounter form preview",
            f"<b>Encounter form</b> · {_html(patient.display_name)} · date of service "
            f"{day:%m/%d/%Y}",
            service.settings().paper,
            parent,
            ask_printer=ask_printer,
            ask_save_path=ask_save_path,
        )
        self.service = service
        self.patient_id = patient_id
        self.account_number = patient.account_number
        self.day = day
        self.provider_id = provider_id
        self.place_of_service = place_of_service
        self.title.setAccessibleName("Encounter form of")
        self.view.setAccessibleName("Encounter form pages")
        self._render()

    def render(self, paper: str) -> bytes:
        return self.service.encounter_form(
            self.patient_id,
            self.day,
            provider_id=self.provider_id,
            place_of_service=self.place_of_service,
            paper=paper,
        )

    def suggested_file_name(self) -> str:
        from otdesk.services.superbills import encounter_form_file_name

        return encounter_form_file_name(self.account_number, self.day)

    def printed(self, pages: int, reason: str | None) -> bool:
        self._record("print")
        return super().printed(pages, reason)

    def save_to(self, path: str, reason: str | None) -> bool:
        saved = super().save_to(path, reason)
        if saved:
            self._record("file", path)
        return saved

    def _record(self, how: str, path: str | None = None) -> None:
        """The form left otdesk with the patient's name on it: in the audit log."""
        self.service.record_encounter_form(
            self.patient_id, self.day, self.pdf_bytes, how=how, file_name=path
        )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
