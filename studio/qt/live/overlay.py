"""The caption overlay: a frameless, always-on-top window with the last lines of the conversation.

It shows the newest ``lines`` lines of ``CaptionFeed`` — each turn headed by its speaker's name in their
colour, partial words lighter and italic at the end, or finals only in reading mode — in a font up to very
large, on a background of adjustable opacity. It can be click-through (``Qt.WindowTransparentForInput``);
otherwise it is dragged to move it, resized from its corner and has a context menu of its settings. Its
position and size are reported (``geometry_changed``, debounced) for the settings; ``place`` puts it back
where it was, or at the bottom of the primary screen when that place is no longer on any screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QTextCharFormat,
    QTextLayout,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import QMenu, QSizeGrip, QWidget

from studio.core.transcript import Transcript
from studio.qt.live.captions import CaptionFeed, CaptionRun
from studio.qt.theme import Colors

TITLE = "Live captions"
MIN_FONT, MAX_FONT = 12, 160  # pixels
MAX_LINES = 8
MARGIN = 14


@dataclass(frozen=True)
class OverlayStyle:
    font_size: int = 28
    lines: int = 2
    opacity: float = 0.75
    click_through: bool = False
    reading_mode: bool = False  # finals only

    def clamped(self) -> OverlayStyle:
        return OverlayStyle(min(max(self.font_size, MIN_FONT), MAX_FONT), min(max(self.lines, 1), MAX_LINES),
                            min(max(self.opacity, 0.0), 1.0), self.click_through, self.reading_mode)


ColorFor = Callable[[int], QColor]  # a speaker's colour index to its colour


class CaptionOverlay(QWidget):
    #: The user changed the overlay's style from its context menu.
    style_changed = Signal(object)
    #: Where the overlay is now (x, y, width, height), once it has stopped moving.
    geometry_changed = Signal(tuple)
    visibility_changed = Signal(bool)

    def __init__(self, transcript: Transcript, colors: Callable[[], Colors], speaker_color: ColorFor,
                 style: OverlayStyle = OverlayStyle()) -> None:
        super().__init__(None)
        self.setObjectName("CaptionOverlay")
        self.setWindowTitle(TITLE)
        self.setAccessibleName("Caption overlay")
        self.setAccessibleDescription("The last lines of the live captions")
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setMinimumSize(240, 60)
        self.feed = CaptionFeed(transcript)
        self._colors = colors
        self._speaker_color = speaker_color
        self._style = style.clamped()
        self._drag: QPoint | None = None
        self.last_paint = 0.0  # time.perf_counter() after the last paint
        self.paint_hook: Callable[[float], None] | None = None  # told last_paint after each paint (benchmarks)
        self.painted_version = -1
        self._cached: tuple[object, list[tuple[QTextLayout, CaptionRun, int, int]]] | None = None
        self._unsubscribe = transcript.changes.subscribe(lambda _change: self._changed())
        self._grip = QSizeGrip(self)
        self._grip.setAccessibleName("Resize the caption overlay")
        self._grip.resize(16, 16)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(400)
        self._settle.timeout.connect(self._report_geometry)
        self._apply_flags()

    # -- style --------------------------------------------------------------------------------------------
    @property
    def style_(self) -> OverlayStyle:
        return self._style

    def set_style(self, style: OverlayStyle) -> None:
        style = style.clamped()
        old, self._style = self._style, style
        if old.click_through != style.click_through:
            self._apply_flags()
        if old.font_size != style.font_size or old.lines != style.lines:
            self.resize(self.width(), self.fitting_height())
        self.update()

    def _apply_flags(self) -> None:
        flags = (Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                 | Qt.WindowType.WindowDoesNotAcceptFocus)
        if self._style.click_through:
            flags |= Qt.WindowType.WindowTransparentForInput
        visible = self.isVisible()
        self.setWindowFlags(flags)
        self._grip.setVisible(not self._style.click_through)
        if visible:
            self.show()

    @property
    def click_through(self) -> bool:
        return bool(self.windowFlags() & Qt.WindowType.WindowTransparentForInput)

    def caption_font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(self._style.font_size)
        font.setWeight(QFont.Weight.DemiBold)
        return font

    def fitting_height(self) -> int:
        spacing = QFontMetricsF(self.caption_font()).lineSpacing()
        return int(self._style.lines * spacing + 2 * MARGIN + 0.999)

    def restyle(self) -> None:
        self.update()

    # -- placing ------------------------------------------------------------------------------------------
    def place(self, saved: Sequence[int]) -> None:
        """At ``saved`` (x, y, width, height) if that is still on a screen, else at the bottom of the
        primary screen."""
        rect = QRect(*saved) if len(saved) == 4 and saved[2] > 0 and saved[3] > 0 else QRect()
        if rect.isValid() and _on_a_screen(rect):
            self.setGeometry(rect)
            return
        screen = QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)
        width = max(self.minimumWidth(), min(area.width() - 40, int(area.width() * 0.6)))
        height = self.fitting_height()
        self.setGeometry(area.x() + (area.width() - width) // 2, area.bottom() - height - 48, width, height)

    def _report_geometry(self) -> None:
        geometry = self.geometry()
        self.geometry_changed.emit((geometry.x(), geometry.y(), geometry.width(), geometry.height()))

    def moveEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        if self.isVisible():
            self._settle.start()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self._grip.move(self.width() - self._grip.width(), self.height() - self._grip.height())
        if self.isVisible():
            self._settle.start()

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.visibility_changed.emit(True)

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        if self._settle.isActive():
            self._settle.stop()
            self._report_geometry()
        self.visibility_changed.emit(False)

    def close_for_good(self) -> None:
        self._unsubscribe()
        self.feed.close()
        self.close()
        self.deleteLater()

    # -- moving with the mouse ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.globalPosition().toPoint() - self.frameGeometry().topLeft()
            handle = self.windowHandle()
            if handle is not None and handle.startSystemMove():
                self._drag = None  # the window manager moves it
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag)
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._drag = None

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        menu = self.context_menu()
        menu.exec(event.globalPos())

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setAccessibleName("Caption overlay settings")
        style = self._style

        def change(**fields: object) -> Callable[[], None]:
            return lambda: self._user_style(replace(self._style, **fields))  # type: ignore[arg-type]

        menu.addAction("Larger text", change(font_size=round(style.font_size * 1.25)))
        menu.addAction("Smaller text", change(font_size=round(style.font_size / 1.25)))
        menu.addAction("One more line", change(lines=style.lines + 1))
        menu.addAction("One line fewer", change(lines=style.lines - 1))
        reading = menu.addAction("Reading mode (finals only)", change(reading_mode=not style.reading_mode))
        reading.setCheckable(True)
        reading.setChecked(style.reading_mode)
        menu.addAction("Click-through (mouse passes to the window below)", change(click_through=True))
        menu.addSeparator()
        menu.addAction("Hide the overlay", self.hide)
        return menu

    def _user_style(self, style: OverlayStyle) -> None:
        self.set_style(style)
        self.style_changed.emit(self._style)

    # -- drawing ------------------------------------------------------------------------------------------
    def _changed(self) -> None:
        if self.isVisible():
            self.update()

    def visible_lines(self) -> list[list[tuple[str, str]]]:
        """The lines shown now, each as (kind, text) pieces, kind "name", "final" or "partial" (for tests
        and for screen readers)."""
        return [[(kind, text) for kind, text, _line in pieces] for pieces in self._lines(self._layouts())]

    def caption_text(self) -> str:
        return "\n".join("".join(text for _kind, text in line) for line in self.visible_lines())

    def _layouts(self) -> list[tuple[QTextLayout, CaptionRun, int, int]]:
        """The text layouts of the newest turns, enough to fill the lines (made again only when the captions,
        the size, the style or the theme changed: a paint that changes nothing costs no layout)."""
        key = (self.feed.version, self.width(), self._style, self._colors())
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        layouts = self._make_layouts()
        self._cached = (key, layouts)
        return layouts

    def _make_layouts(self) -> list[tuple[QTextLayout, CaptionRun, int, int]]:
        """Newest turn first, as many lines as the style shows. A turn that does not fit whole is cut at a
        word so that its speaker's name still starts the top line ("Name: … the words that fit"): who is
        speaking is never scrolled away."""
        width = max(40.0, self.width() - 2.0 * MARGIN)
        per_line = max(10, int(width / (self._style.font_size * 0.4)))
        runs = self.feed.runs(partials=not self._style.reading_mode, budget=per_line * (self._style.lines + 1))
        layouts = []
        room = self._style.lines
        for run in reversed(runs):
            if not (run.final or run.partial):
                continue
            made = self._layout(run, width)
            if made[0].lineCount() > room:
                made = self._fitted(run, width, room, made[0])
            layouts.append(made)
            room -= made[0].lineCount()
            if room <= 0:
                break
        layouts.reverse()
        return layouts

    def _fitted(self, run: CaptionRun, width: float, room: int,
                whole: QTextLayout | None = None) -> tuple[QTextLayout, CaptionRun, int, int]:
        """``run`` cut from the front, at the earliest word that lets it fit in ``room`` lines: from where its
        last ``room`` lines start when laid out whole, a word further at a time while the name and the
        ellipsis push it over (one or two more layouts, seldom more)."""
        body = run.final + (" " if run.final and run.partial else "") + run.partial
        starts = [0] + [i + 1 for i, c in enumerate(body) if c == " " and i + 1 < len(body)]
        if whole is None:
            whole = self._layout(run, width)[0]
        head = len(f"{run.name}: ") if run.show_name else 0
        line = whole.lineAt(max(0, whole.lineCount() - room))
        at = max(0, line.textStart() - head)
        index = next((i for i, start in enumerate(starts) if start >= at), len(starts) - 1)
        made = self._layout(run, width, skip=starts[index])
        while made[0].lineCount() > room and index < len(starts) - 1:
            index += 1
            made = self._layout(run, width, skip=starts[index])
        return made

    def _layout(self, run: CaptionRun, width: float, skip: int = 0) -> tuple[QTextLayout, CaptionRun, int, int]:
        """The layout of "Name: final partial", without the first ``skip`` characters of the words (then an
        ellipsis says that the turn began earlier)."""
        name = f"{run.name}: " if run.show_name else ""
        final = run.final + (" " if run.final and run.partial else "")
        partial = run.partial
        lead = ""
        if skip:
            lead = "… "
            cut = min(skip, len(final))
            final, partial = final[cut:], partial[skip - cut:] if skip > len(final) else partial
        head = name + lead
        layout = QTextLayout(head + final + partial, self.caption_font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        layout.setTextOption(option)
        formats = []
        if name:
            bold = QTextCharFormat()
            bold.setForeground(self._speaker_color(run.colour))
            bold.setFontWeight(QFont.Weight.Bold)
            formats.append(_range(0, len(name), bold))
        if lead:
            muted = QTextCharFormat()
            muted.setForeground(QColor(self._colors().muted))
            formats.append(_range(len(name), len(lead), muted))
        if partial:
            light = QTextCharFormat()
            light.setForeground(QColor(self._colors().muted))
            light.setFontItalic(True)
            light.setFontWeight(QFont.Weight.Normal)
            formats.append(_range(len(head) + len(final), len(partial), light))
        layout.setFormats(formats)
        layout.beginLayout()
        y = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0.0, y))
            y += line.height()
        layout.endLayout()
        return layout, run, len(head), len(head) + len(final)

    def _lines(self, layouts: list[tuple[QTextLayout, CaptionRun, int, int]]
               ) -> list[list[tuple[str, str, QTextLine]]]:
        out: list[list[tuple[str, str, QTextLine]]] = []
        for layout, _run, name_end, partial_start in layouts:
            text = layout.text()
            for index in range(layout.lineCount()):
                line = layout.lineAt(index)
                start, end = line.textStart(), line.textStart() + line.textLength()
                pieces = []
                for kind, lo, hi in (("name", 0, name_end), ("final", name_end, partial_start),
                                     ("partial", partial_start, len(text))):
                    a, b = max(lo, start), min(hi, end)
                    if a < b:
                        pieces.append((kind, text[a:b], line))
                out.append(pieces)
        return out[-self._style.lines:]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        colors = self._colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        background = QColor(colors.base)
        background.setAlphaF(self._style.opacity)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(self.rect()), 12, 12)
        layouts = self._layouts()
        if not any(layout.lineCount() for layout, *_ in layouts):
            painter.setPen(QColor(colors.muted))
            font = self.caption_font()
            painter.setFont(font)
            painter.drawText(self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, "Captions appear here")
        else:
            self._draw(painter, layouts, colors)
        painter.end()
        self.painted_version = self.feed.version
        self.last_paint = time.perf_counter()
        if self.paint_hook is not None:
            self.paint_hook(self.last_paint)

    def _draw(self, painter: QPainter, layouts: list[tuple[QTextLayout, CaptionRun, int, int]],
              colors: Colors) -> None:
        # The newest line sits at the bottom; older lines above it, as many as the style asks for.
        shown = [(layout, index) for layout, *_ in layouts for index in range(layout.lineCount())]
        shown = shown[-self._style.lines:]
        height = sum(layout.lineAt(index).height() for layout, index in shown)
        top = max(float(MARGIN), self.height() - MARGIN - height)
        y = top
        for layout, index in shown:
            line = layout.lineAt(index)
            # Each line is drawn on its own at its new place: QTextLine.draw takes the line's own position.
            painter.save()
            painter.setPen(QColor(colors.text))
            line.draw(painter, QPointF(MARGIN, y - line.y()))
            painter.restore()
            y += line.height()


def _range(start: int, length: int, fmt: QTextCharFormat) -> QTextLayout.FormatRange:
    item = QTextLayout.FormatRange()
    item.start = start
    item.length = length
    item.format = fmt
    return item


def _on_a_screen(rect: QRect, *, enough: int = 48) -> bool:
    """Whether at least an ``enough``-pixel square of ``rect`` is on some screen."""
    for screen in QGuiApplication.screens():
        overlap = screen.availableGeometry().intersected(rect)
        if overlap.width() >= enough and overlap.height() >= enough:
            return True
    return False
