"""Annex A as files: one XLSX workbook with a sheet per list, or one CSV per list.

Reproducible: the same lists give the same bytes. Rows are already in a fixed order; the
workbook's created and modified times and every zip entry's time are set to the as-known-at
time instead of the clock.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from api.formats.tables import frame_bytes, workbook_bytes
from events.timepoints import format_instant
from replay.annex_a import ALLOCATION_NOTE, BLANK_COLUMNS, LISTS, AnnexA

NOTES_SHEET = "Notes"
NOTES_STEM = "notes"
SOURCE_NOTE = (
    "Ofsted, inspecting local authority children's services (ILACS), Annex A lists 1-8, "
    "columns and drop-down values as encoded by Social Finance's liia-tools "
    "(liiatools/annex_a_pipeline/spec/Annex_A_schema.yml)"
)
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def annex_a_frames(annex: AnnexA) -> dict[str, pd.DataFrame]:
    """Each list as a table named by its sheet, then the notes."""
    frames = {
        spec.sheet: pd.DataFrame(annex.rows[spec.number], columns=list(spec.columns), dtype=object)
        for spec in LISTS
    }
    frames[NOTES_SHEET] = notes_frame(annex)
    return frames


def notes_frame(annex: AnnexA) -> pd.DataFrame:
    """What the lists answer for, the columns always left blank, and facts no row could use."""
    notes = [
        (
            "period",
            (
                f"{annex.period_from.isoformat()} to {annex.period_to.isoformat()}, "
                "both days included (local dates of when things happened)"
            ),
        ),
        ("as known at", format_instant(annex.as_known_at)),
        ("viewed as", annex.viewed_as or "the whole record"),
        ("columns", SOURCE_NOTE),
        ("read from the record", ALLOCATION_NOTE),
    ]
    notes += [(f"blank: {column}", reason) for column, reason in BLANK_COLUMNS.items()]
    notes += [
        (f"left out: {item.case_id} {item.type} {item.event_id}", item.reason)
        for item in annex.left_out
    ]
    return pd.DataFrame(notes, columns=["item", "note"], dtype=object)


def annex_a_xlsx(annex: AnnexA) -> bytes:
    """The workbook: a sheet per list (named 'List 1 Contacts' …) and a Notes sheet."""
    return reproducible_zip(workbook_bytes(annex_a_frames(annex)), annex.as_known_at)


def annex_a_csv_files(annex: AnnexA) -> dict[str, bytes]:
    """One CSV per list ('list_1_contacts.csv' …) and 'notes.csv'."""
    stems = {spec.sheet: spec.stem for spec in LISTS} | {NOTES_SHEET: NOTES_STEM}
    return {
        f"{stems[sheet]}.csv": frame_bytes(frame, "csv")
        for sheet, frame in annex_a_frames(annex).items()
    }


def annex_a_csv_zip(annex: AnnexA) -> bytes:
    """The CSV files in one zip archive (for a single HTTP response)."""
    return files_zip(annex_a_csv_files(annex), annex.as_known_at)


def files_zip(files: dict[str, bytes], when: datetime) -> bytes:
    """Files in one zip archive, every entry dated `when`: the same files and time give the
    same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(_entry(name, when), data)
    return buffer.getvalue()


def write_annex_a(annex: AnnexA, output: Path, output_format: str) -> list[Path]:
    """Write the workbook to `output`, or the CSV files into the directory `output`."""
    if output_format == "xlsx":
        output.write_bytes(annex_a_xlsx(annex))
        return [output]
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in annex_a_csv_files(annex).items():
        (output / name).write_bytes(data)
        written.append(output / name)
    return written


def reproducible_zip(data: bytes, when: datetime) -> bytes:
    """An XLSX (a zip) rewritten with `when` as its document times and every entry's time."""
    stamp = when.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    text = stamp.isoformat().encode() + b"Z"
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(
                    lambda match: match.group(1) + text + match.group(3), content
                )
            target.writestr(_entry(item.filename, when), content)
    return buffer.getvalue()


def _entry(name: str, when: datetime) -> zipfile.ZipInfo:
    stamp = when.astimezone(UTC)
    # A zip entry's time holds only the years 1980 to 2107; the document's own times are exact.
    year = min(max(stamp.year, 1980), 2107)
    info = zipfile.ZipInfo(
        name, date_time=(year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    )
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info
