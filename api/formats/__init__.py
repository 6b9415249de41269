"""File formats read and written: tables, HTML, event files, chronology CSV, statutory returns."""
