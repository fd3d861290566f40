"""Cells of two lines: the cell's text, and under it a smaller grey detail the model gives
in DETAIL_ROLE (the day list: the patient and, under the name, the provider; the status and
what is left to fix). Each line ends in "…" when the column is too narrow; the tooltip has
them whole."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from otdesk.ui.models.base import DETAIL_ROLE


class TwoLineDelegate(QStyledItemDelegate):
    def __init__(self, parent=None, bold: bool = False) -> None:
        super().__init__(parent)
        self._bold = bold

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        detail = index.data(DETAIL_ROLE) or ""
        rect = opt.rect.adjusted(4, 2, -4, -2)
        first = QFont(opt.font)
        first.setBold(self._bold)
        second = QFont(opt.font)
        second.setPointSizeF(max(opt.font.pointSizeF() - 1, 7.0))
        top_metrics, low_metrics = QFontMetrics(first), QFontMetrics(second)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setFont(first)
        colour = opt.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if foreground is not None and not selected:
            colour = foreground.color()
        painter.setPen(colour)
        line = QRect(rect.left(), rect.top(), rect.width(), top_metrics.height())
        painter.drawText(
            line,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            top_metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()),
        )
        if detail:
            painter.setFont(second)
            painter.setPen(
                colour
                if selected
                else opt.palette.color(QPalette.ColorRole.PlaceholderText).darker(150)
            )
            low = QRect(rect.left(), line.bottom() + 1, rect.width(), low_metrics.height())
            painter.drawText(
                low,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                low_metrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.width()),
            )
        painter.restore()

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), QFontMetrics(option.font).height() * 2 + 6)
