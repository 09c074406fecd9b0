"""A transcript view in a window of its own, for the screenshot test: a two-speaker meeting in live mode, a
German translation read under the sentences it translates.

Run: python -m tests.qt.transcript.show_view --theme light|dark   (the window's title says which)
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication

from studio.core.transcript import Transcript
from studio.qt.theme import DARK, LIGHT, palette_for, stylesheet
from studio.qt.transcript import TranscriptView
from tests.qt.transcript.feed import partial, say, turn

TITLE = "Transcript view ({theme})"


def meeting(transcript: Transcript) -> None:
    end = turn(transcript, "Good morning everyone, thanks for joining the weekly planning call.", 0.5, "S1")
    end = turn(transcript, "Morning! Should we start with the release schedule? I have the dates from the team.",
               end + 0.6, "S2", low={"dates"})
    transcript.add_bookmark(end + 0.3, "Release dates")
    began = end + 0.6
    end = turn(transcript, "Yes. The beta ships on the twelfth, and the final build two weeks later if testing "
               "goes well.", began, "S1", low={"twelfth"})
    transcript.apply({"message": "AddTranslation", "language": "de", "results": [  # read under each sentence
        {"content": "Ja.", "start_time": began, "end_time": began + 0.3},
        {"content": "Die Beta erscheint am Zwölften, der fertige Build zwei Wochen später, wenn die Tests gut "
                    "laufen.", "start_time": began + 0.4, "end_time": end}]})
    end = turn(transcript, "That works for support.", end + 0.6, "S2")
    transcript.speakers.rename("S1", "Alice")
    results, pend = say("And the release notes are", end + 0.6, "S1")
    transcript.apply(partial(results, end, pend))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    colors = DARK if args.theme == "dark" else LIGHT
    app.setPalette(palette_for(colors))
    app.setStyleSheet(stylesheet(colors))
    transcript = Transcript()
    view = TranscriptView(transcript, lambda: colors, mode="live")
    view.setWindowTitle(TITLE.format(theme=args.theme))
    view.set_show_timestamps(True)
    view.set_low_confidence(0.6)
    view.set_translation("de")
    meeting(transcript)
    view.resize(760, 420)
    view.show()
    view.flush()
    view.show_find()
    view.search("release")
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
