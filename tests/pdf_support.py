"""Reading printed evidence back in tests (this module holds no tests): a PDF's text, the fonts
it embeds, and the QR codes in its images."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """The text of every page, in order (what a reader would copy out)."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    """Text without any whitespace: a table cell wraps its words at the cell's width, not at theirs."""
    return "".join(text.split())


def pdf_fonts(content: bytes) -> set[str]:
    """The base names of the fonts each page uses: extraction alone does not prove the Chinese was
    drawn in a font that has it, the embedded font does."""
    fonts: set[str] = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        for font in resources.get_object().get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def qr_codes(content: bytes) -> list[str]:
    """What the QR codes among the PDF's images say (each image once: pages may share resources)."""
    import zxingcpp

    images = {image.name: image for page in PdfReader(io.BytesIO(content)).pages for image in page.images}
    return [result.text for image in images.values() for result in zxingcpp.read_barcodes(image.image)]
