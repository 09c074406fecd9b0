"""A Word document (python-docx): the title, then one paragraph per speaker turn (the plain-text
paragraphs), each starting with its ``[hh:mm:ss]`` time in grey and the speaker's name in bold; bookmarks
are grey italic lines of their own.

python-docx adds a paragraph in about a millisecond, too slow for a day-long meeting (9,000 turns in 8
hours), so the paragraphs are written as WordprocessingML in one string, parsed once and appended to the
body of python-docx's default document. Right-to-left transcripts get right-to-left paragraphs
(``w:bidi``) and runs (``w:rtl``).
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from studio.core.exporters import DocxOptions
from studio.core.exporters.txt import bookmark_line, headed, paragraphs, with_bookmarks
from studio.core.transcript import Transcript
from studio.core.transcript.changes import Bookmark

TIME_COLOUR = "767676"
# Characters XML 1.0 cannot hold (C0 controls but tab and newlines, surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def export(transcript: Transcript, options: DocxOptions) -> bytes:
    from docx import Document
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls

    document = Document()
    title = _NOT_XML.sub("", options.title)
    document.core_properties.title = title
    heading = document.add_heading(title, 0)
    rtl = transcript.rtl
    if rtl:
        heading._p.get_or_add_pPr().append(OxmlElement("w:bidi"))

    paragraph_start = "<w:p><w:pPr><w:bidi/></w:pPr>" if rtl else "<w:p>"
    direction = "<w:rtl/>" if rtl else ""
    text_run = f"<w:r><w:rPr>{direction}</w:rPr>" if rtl else "<w:r>"
    parts = [f"<w:body {nsdecls('w')}>"]
    for entry in with_bookmarks(transcript, headed(transcript, options, paragraphs(transcript, options))):
        if isinstance(entry, Bookmark):
            parts.append(f'{paragraph_start}<w:r><w:rPr><w:i/><w:color w:val="{TIME_COLOUR}"/>{direction}</w:rPr>'
                         f'<w:t xml:space="preserve">{_text(bookmark_line(entry))}</w:t></w:r></w:p>')
            continue
        time, name, item = entry
        parts.append(paragraph_start)
        if time:
            parts.append(f'<w:r><w:rPr><w:color w:val="{TIME_COLOUR}"/></w:rPr>'
                         f'<w:t xml:space="preserve">[{time}] </w:t></w:r>')
        if name:
            parts.append(f"<w:r><w:rPr><w:b/><w:bCs/>{direction}</w:rPr><w:t>{_text(name)}</w:t></w:r>"
                         f'{text_run}<w:t xml:space="preserve">: </w:t></w:r>')
        parts.append(f'{text_run}<w:t xml:space="preserve">{_text(item.text)}</w:t></w:r></w:p>')
    parts.append("</w:body>")
    body = document.element.body
    body.extend(list(parse_xml("".join(parts))))
    section = body.sectPr
    if section is not None:
        body.append(section)  # moves it back to the end, where the schema wants it
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
