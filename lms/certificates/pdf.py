"""The certificate as a PDF: A4 landscape, a double border, centred text, a signature line and a
QR code of the verification URL. fpdf2 (pure Python) with DejaVu Serif, shipped in ./fonts with
its licence, because the built-in PDF fonts have no Cyrillic."""

from __future__ import annotations

from pathlib import Path

import segno
from flask_babel import force_locale, format_date, format_decimal, ngettext
from flask_babel import gettext as _
from fpdf import FPDF

from lms.certificates.models import Certificate
from lms.progress.rollups import school_today

FONTS = Path(__file__).resolve().parent / "fonts"
INK = (40, 30, 25)
ACCENT = (128, 24, 24)
GOLD = (176, 141, 61)
# Lines of scores printed at most; a long course keeps its page.
MAX_SCORE_LINES = 8


def certificate_pdf(certificate: Certificate, verify_url: str, *, locale: str = "ru") -> bytes:
    """The PDF of an issued certificate, from what was fixed when it was issued."""
    with force_locale(locale):
        return _draw(certificate, verify_url)


def _draw(certificate: Certificate, verify_url: str) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(_("Certificate") + f" {certificate.code}")
    pdf.set_author(_("Higher Party School"))
    pdf.add_font("Serif", "", str(FONTS / "DejaVuSerif.ttf"))
    pdf.add_font("Serif", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
    pdf.add_font("Serif", "I", str(FONTS / "DejaVuSerif-Italic.ttf"))
    pdf.add_page()
    width, height = pdf.w, pdf.h

    # The frame: a heavy outer line and a thin inner one.
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.4)
    pdf.rect(9, 9, width - 18, height - 18)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.rect(13, 13, width - 26, height - 26)

    def centred(text: str, size: float, style: str = "", color=INK, gap: float = 2) -> None:
        pdf.set_font("Serif", style, size)
        pdf.set_text_color(*color)
        pdf.set_x(30)
        pdf.multi_cell(width - 60, size * 0.45, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(22)
    centred(_("Higher Party School").upper(), 13, "B", ACCENT, gap=5)
    centred(_("Certificate").upper(), 38, "B", ACCENT, gap=1)
    # A short double rule under the title.
    middle = width / 2
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.6)
    pdf.line(middle - 40, pdf.get_y(), middle + 40, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.line(middle - 28, pdf.get_y() + 1.5, middle + 28, pdf.get_y() + 1.5)
    pdf.ln(6)
    centred(_("This is to certify that"), 13, "I", gap=3)
    centred(certificate.full_name, 24, "B", gap=3)
    centred(_("has completed the course"), 13, "I", gap=3)
    centred(f"«{certificate.course_title}»", 17, "B", gap=4)

    facts = [_("Completed on %(date)s", date=format_date(school_today(certificate.completed_on), "long"))]
    if certificate.hours:
        hours = format_decimal(certificate.hours, format="#,##0.#")
        # A fraction takes the form of 2 in both languages ("1,5 часа", "1.5 hours").
        whole = int(certificate.hours) if float(certificate.hours).is_integer() else 2
        facts.append(
            ngettext(
                "Course length: %(hours)s hour",
                "Course length: %(hours)s hours",
                whole,
                hours=hours,
            )
        )
    centred(" · ".join(facts), 12, gap=3)

    scores = certificate.scores or []
    if scores:
        centred(_("Competency scores"), 11, "B", gap=1)
        lines = [
            _("%(label)s: %(score)s of %(best)s", label=row["label"], score=row["score"], best=row["best"])
            for row in scores[:MAX_SCORE_LINES]
        ]
        centred("\n".join(lines), 10, gap=1)

    # Signature line, bottom left.
    base = height - 38
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(30, base, 110, base)
    pdf.set_font("Serif", "", 10)
    pdf.set_text_color(*INK)
    pdf.set_xy(30, base + 1.5)
    pdf.cell(80, 5, _("Rector of the Higher Party School"), align="C")
    pdf.set_xy(30, base + 6.5)
    pdf.cell(80, 5, _("signature"), align="C")

    # QR code of the verification URL, bottom right, drawn as squares (sharp at any zoom).
    size = 30.0
    left, top = width - 30 - size, base - size + 6
    _draw_qr(pdf, verify_url, left, top, size)
    pdf.set_font("Serif", "", 8.5)
    pdf.set_xy(width - 140, top + size + 1)
    pdf.cell(110, 4, _("Verification code: %(code)s", code=certificate.code), align="R")
    pdf.set_xy(width - 140, top + size + 5)
    pdf.cell(110, 4, verify_url, align="R", link=verify_url)
    return bytes(pdf.output())


def _draw_qr(pdf: FPDF, data: str, left: float, top: float, size: float) -> None:
    qr = segno.make(data, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                pdf.rect(left + start * module, top + y * module, (x - start) * module, module, style="F")
            else:
                x += 1
