"""A progress bar inside a table cell."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar

from mp4fix.gui.queue_model import ProgressRole


class ProgressBarDelegate(QStyledItemDelegate):
    """Draws the row's ``ProgressRole`` (0..1) as a native progress bar; nothing when it is negative."""

    def paint(self, painter, option, index):
        value = index.data(ProgressRole)
        if value is None or value < 0:
            super().paint(painter, option, index)
            return
        # the selection background first, so a selected row stays one band
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget is not None else QApplication.style()
        option.text = ""
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        bar = QStyleOptionProgressBar()
        r = option.rect
        h = min(r.height() - 8, 18)
        bar.rect = QRect(r.x() + 6, r.y() + (r.height() - h) // 2, r.width() - 12, h)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(round(max(0.0, min(1.0, float(value))) * 1000))
        bar.text = f"{int(value * 100)} %"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)

    def sizeHint(self, option, index):  # noqa: N802
        hint = super().sizeHint(option, index)
        hint.setWidth(max(hint.width(), 110))
        return hint
