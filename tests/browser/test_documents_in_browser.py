"""Documents in the browser: a drawing uploaded with the file picker and shown in the page, a
new version dropped on the form, the version history, and an upload refused in words."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

from tests.browser.axe import serious_violations
from tests.browser.conftest import ARTIFACTS, sign_in


def tiny_png(red: int) -> bytes:
    """A 1×1 PNG of one colour: the page shows it as an image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, 0, 0]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = tiny_png(200)
DOCUMENTS = "/cases/FAM-0042/documents"


def test_a_drawing_is_uploaded_shown_and_given_a_new_version(page, demo):
    """As the social worker: the file picker uploads Ava's drawing, its timeline entry shows a
    thumbnail, Show puts it in the page, a second file dropped on the form becomes version 2,
    and the history lists both."""
    sign_in(page, demo, "sw-jones")
    documents = page.locator("#documents")
    documents.get_by_role("heading", name="Documents").wait_for()
    documents.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "my-house.png", "mimeType": "image/png", "buffer": PNG}]
    )
    documents.get_by_label("What it is (optional)").fill("Ava's drawing of her home")
    documents.get_by_role("button", name="Upload").click()
    documents.get_by_role("status").filter(has_text="my-house.png uploaded as version 1").wait_for()
    [stored] = demo.api("sw-jones", DOCUMENTS)
    assert stored["versions"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()

    # Its entry on the timeline carries a thumbnail of the drawing.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#timeline .documents-thumbnail')]"
        ".some((picture) => picture.complete && picture.naturalWidth === 1)"
    )

    documents.get_by_role("button", name="Show my-house.png, version 1").click()
    picture = documents.get_by_role("img", name="my-house.png: Ava's drawing of her home")
    picture.wait_for()
    assert page.evaluate("() => document.querySelector('.documents-picture').naturalWidth") == 1

    # A second drawing dropped on the form, as a new version of the first.
    page.evaluate(
        """([bytes]) => {
            const transfer = new DataTransfer();
            const file = new File([new Uint8Array(bytes)], "my-house-2.png", { type: "image/png" });
            transfer.items.add(file);
            document.querySelector(".documents-drop").dispatchEvent(
                new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [list(tiny_png(20))],
    )
    documents.get_by_text("Chosen: my-house-2.png").wait_for()
    documents.get_by_label("Is it").select_option(label="my-house.png (a new version)")
    documents.get_by_role("button", name="Upload").click()
    documents.get_by_role("status").filter(has_text="uploaded as version 2").wait_for()
    history = documents.get_by_role("table", name="Versions of my-house-2.png")
    history.wait_for()
    assert history.get_by_role("rowheader").all_inner_texts() == ["Version 2 (latest)", "Version 1"]
    assert serious_violations(page, "#documents") == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "documents.png"), full_page=True)


def test_a_refused_upload_is_said_beside_the_field(page, demo):
    """A web page (not an accepted type) is refused: the error summary and the field say why,
    and nothing is stored; on a 390 px phone the section fits the screen."""
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, demo, "sw-jones")
    documents = page.locator("#documents")
    documents.get_by_role("heading", name="Documents").wait_for()
    before = demo.api("sw-jones", DOCUMENTS)
    documents.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "page.html", "mimeType": "text/html", "buffer": b"<p>hello</p>"}]
    )
    documents.get_by_role("button", name="Upload").click()
    summary = documents.get_by_role("alert").filter(has_text="There is a problem")
    summary.wait_for()
    assert "text/html is not accepted here" in summary.inner_text()
    assert documents.locator("#documents-file-group .govuk-error-message").is_visible()
    assert demo.api("sw-jones", DOCUMENTS) == before
    assert serious_violations(page, "#documents") == []
    fits = "() => document.querySelector('#documents').scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)


# A one-page PDF (blank, 200 points square): enough for Chromium's viewer to open it.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_a_pdf_is_shown_in_the_page_with_a_download_link(page, demo):
    """On a 390 px phone, as the social worker: a letter uploaded as a PDF is shown in a titled
    frame from a blob: URL (the page's policy lets it load: no violation), with a Download link
    of that URL giving exactly the uploaded bytes; the keyboard reaches Download and
    Close, and Close gives focus back to Show. A browser without a PDF viewer is told so and
    keeps the Download link, and Escape closes the viewer."""
    page.set_viewport_size({"width": 390, "height": 800})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    sign_in(page, demo, "sw-jones")
    documents = page.locator("#documents")
    documents.get_by_role("heading", name="Documents").wait_for()
    documents.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    documents.get_by_role("button", name="Upload").click()
    documents.get_by_role("status").filter(has_text="letter.pdf uploaded as version 1").wait_for()

    show = documents.get_by_role("button", name="Show letter.pdf, version 1")
    show.click()
    frame = documents.get_by_title("letter.pdf, version 1 (PDF)")
    frame.wait_for()
    assert frame.evaluate("(node) => node.tagName") == "IFRAME"
    source = frame.get_attribute("src")
    assert source.startswith("blob:" + demo.base)
    # The frame loaded its blob: document (a frame the policy blocks shows an error page).
    page.wait_for_function(
        "(src) => document.querySelector('.documents-pdf').contentDocument?.URL === src", arg=source
    )
    assert frame.element_handle().content_frame().url == source
    assert [text for text in console if "Content Security Policy" in text] == []

    viewer = documents.get_by_role("region", name="letter.pdf, version 1")
    assert viewer.evaluate("(node) => node === document.activeElement")
    download_link = viewer.get_by_role("link", name="Download letter.pdf, version 1")
    # The link is the frame's own blob: URL (the policy's connect-src keeps fetch() off blob:,
    # so its bytes are read back by downloading them): both hold exactly the uploaded PDF.
    assert download_link.get_attribute("href") == source
    with page.expect_download() as downloading:
        download_link.click()
    assert downloading.value.suggested_filename == "letter.pdf"
    assert Path(downloading.value.path()).read_bytes() == PDF

    assert serious_violations(page, "#documents") == []
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    ARTIFACTS.mkdir(exist_ok=True)
    viewer.screenshot(path=str(ARTIFACTS / "documents-pdf.png"))

    viewer.focus()
    page.keyboard.press("Tab")
    assert download_link.evaluate("(node) => node === document.activeElement")
    page.keyboard.press("Tab")
    close = viewer.get_by_role("button", name="Close letter.pdf, version 1")
    assert close.evaluate("(node) => node === document.activeElement")
    page.keyboard.press("Enter")
    viewer.wait_for(state="hidden")
    assert show.evaluate("(node) => node === document.activeElement")

    # A browser with no PDF viewer (Chrome on Android): words instead of the frame, and Download.
    page.evaluate("() => Object.defineProperty(navigator, 'pdfViewerEnabled', { value: false })")
    page.keyboard.press("Enter")
    viewer.get_by_text("This browser cannot show a PDF in the page.").wait_for()
    assert documents.locator("iframe").count() == 0
    assert viewer.get_by_role("link", name="Download letter.pdf, version 1").is_visible()
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
