"""The diagnosis search's drop-down: up to ten results under the search box, each with its
code, its description (the whole of it in the tooltip when it is longer than the row) and
whether it can be billed, drawn over the window (not a window of its own, so the search box
keeps the keyboard: the arrows, Enter and Escape are the box's). Rows are one line each: a
wrapped row would be measured again at every keystroke."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt
from PySide6.QtWidgets import QFrame, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from otdesk.ui.models.diagnoses import DX_COL_BILLABLE, DX_COL_CODE, DX_COL_DESCRIPTION
from otdesk.ui.search_results import list_of_rows

ROWS_SHOWN = 10
MIN_WIDTH = 620


class DxDropDown(QFrame):
    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dxDropDown")
        self.setFrameShape(QFrame.Shape.Box)
        # drawn over other widgets: nothing of them may show through the caption
        self.setAutoFillBackground(True)
        self.setAccessibleName("Diagnosis search results")
        self.caption = QLabel()
        self.caption.setAccessibleName("Diagnosis results caption")
        self.caption.setProperty("role", "caption")
        self.caption.setWordWrap(True)
        self.caption.hide()
        self.view = QTableView()
        self.view.setModel(model)
        self.view.setAccessibleName("Diagnosis search results")
        list_of_rows(self.view, alternating=True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the search box keeps the keys
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        metrics = self.view.fontMetrics()
        for column, sample in ((DX_COL_CODE, "S72.001AMM"), (DX_COL_BILLABLE, "category ›MM")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, metrics.horizontalAdvance(sample))
        header.setSectionResizeMode(DX_COL_DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setDefaultSectionSize(metrics.height() + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(self.view)
        self._anchor: QWidget | None = None
        self._open = False
        self.hide()

    def is_open(self) -> bool:
        return self._open and self.isVisible()

    def close_list(self) -> None:
        """Put the drop-down away. It stays a shown widget of no size: showing a widget
        again makes its whole window lay itself out (several milliseconds a keystroke)."""
        self._open = False
        if self.isVisible():
            self.setGeometry(QRect(0, 0, 0, 0))

    def show_under(self, anchor: QWidget, caption: str = "") -> None:
        """Show (or move) the drop-down under `anchor`, over everything else in its
        window, sized to its rows (at most ROWS_SHOWN before it scrolls)."""
        host = anchor.window()
        if self.parentWidget() is not host:
            if self.parentWidget() is not None:
                self.parentWidget().removeEventFilter(self)
            self.setParent(host)
            host.installEventFilter(self)
        self._anchor = anchor
        self.caption.setText(caption)
        self.caption.setVisible(bool(caption))
        width = min(max(anchor.width(), MIN_WIDTH), host.width() - 16)
        rows = self.view.model().rowCount()
        shown = min(rows, ROWS_SHOWN)
        height = shown * self.view.verticalHeader().defaultSectionSize()
        height += self.view.horizontalHeader().height() + 2 * self.view.frameWidth() + 4
        if caption:
            self.caption.setFixedWidth(width - 4)
            height += self.caption.sizeHint().height()
        below = anchor.mapTo(host, QPoint(0, anchor.height()))
        x = max(8, min(below.x(), host.width() - width - 8))
        room_below = host.height() - below.y() - 8
        top = below.y()
        if height > room_below:  # not enough room under the box: above it
            above = anchor.mapTo(host, QPoint(0, 0)).y()
            if above > room_below:
                height = min(height, above - 8)
                top = above - height
            else:
                height = room_below
        if self.geometry() != QRect(x, top, width, height):
            self.setGeometry(x, top, width, height)
        if not self.isVisible():
            self.show()
        if not self._open:
            self.raise_()
        self._open = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # The window moved its parts: the drop-down would hang where the box was.
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.close_list()
        return super().eventFilter(watched, event)
