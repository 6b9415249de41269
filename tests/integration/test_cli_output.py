"""What the command line prints for a person to read: the demo's addresses, the chronology at
80 columns, the recording audit's durations."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner, Result

from api.cli import app, serving
from api.settings import get_settings

Invoke = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, point_cli_at: Callable[[str], None]) -> Iterator[Invoke]:
    """Run the Typer app in-process against the store at `db_url`."""
    point_cli_at(db_url)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


# -- demo -----------------------------------------------------------------------------------


def test_the_demo_without_serving_prints_no_address_and_says_how_to_serve(cli: Invoke) -> None:
    """With --no-serve nothing answers at an address, so none is printed; `foresight serve` is."""
    result = cli("demo", "--no-serve", "--authority", "0")

    assert result.exit_code == 0, result.output
    assert "http://" not in result.output
    assert "/docs" not in result.output
    assert "foresight serve" in result.stdout


def test_the_demo_without_serving_names_the_address_it_was_given(cli: Invoke) -> None:
    """The `foresight serve` it suggests serves where the demo would have."""
    result = cli("demo", "--no-serve", "--authority", "0", "--port", "8123")

    assert "foresight serve --port 8123" in result.stdout


def test_the_demo_prints_the_web_page_and_the_api_docs_addresses_before_serving(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Serving, it prints the case's web page address beside the API docs address, then serves
    on the host and port it was given."""
    served: list[dict[str, object]] = []
    monkeypatch.setattr(serving, "serve", lambda **where: served.append(where))

    result = cli("demo", "--authority", "0", "--host", "127.0.0.2", "--port", "8123")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("http://127.0.0.2:8123/ui/cases/FAM-0042" in line for line in lines)
    assert any("http://127.0.0.2:8123/docs" in line for line in lines)
    assert served == [{"host": "127.0.0.2", "port": 8123, "workers": 1}]


# -- chronology at 80 columns ---------------------------------------------------------------


def body_rows(table: str) -> list[list[list[str]]]:
    """A rendered rich table's body: rows, each a list of its lines, each line its cells
    (padding kept, so a cell's length is its column's width plus two)."""
    rows: list[list[list[str]]] = []
    for line in table.splitlines():
        if not line.startswith("│"):
            continue
        cells = line.strip("│").split("│")
        if cells[2].strip():  # the type is on a row's first line only: a new row
            rows.append([])
        rows[-1].append(cells)
    return rows


def chronology_at(columns: int, *args: str) -> Result:
    """`foresight chronology FAM-0042` in a terminal `columns` wide."""
    result = CliRunner().invoke(
        app, ["chronology", "FAM-0042", *args], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def demo_case(cli: Invoke) -> list[dict[str, object]]:
    """The demo case, loaded; its entries as the JSON output gives them."""
    assert cli("demo", "--no-serve", "--authority", "0").exit_code == 0
    entries: list[dict[str, object]] = json.loads(
        cli("chronology", "FAM-0042", "--format", "json").stdout
    )
    return entries


def test_the_chronology_at_80_columns_shows_every_type_whole(
    cli: Invoke, demo_case: list[dict[str, object]]
) -> None:
    """No type is cut ("contact_recei…") or wrapped: each row's type is one of the case's."""
    table = chronology_at(80).stdout

    assert max(len(line) for line in table.splitlines()) <= 80
    shown = [row[0][2].strip() for row in body_rows(table)]
    assert shown == [entry["type"] for entry in demo_case]
    assert "…" not in table


def test_the_chronology_at_80_columns_gives_the_summary_a_few_words_a_line(
    cli: Invoke, demo_case: list[dict[str, object]]
) -> None:
    """A summary line holds a single word only when the next word would not have fitted."""
    rows = body_rows(chronology_at(80).stdout)

    summary_width = len(rows[0][0][-1]) - 2
    assert summary_width >= 20
    for row in rows:
        lines = [cells[-1].split() for cells in row]
        for words, following in itertools.pairwise(lines):
            if len(words) == 1 and following:
                assert len(words[0]) + 1 + len(following[0]) > summary_width, row


def test_the_chronology_table_shows_significance_and_flags_at_any_width(
    cli: Invoke, demo_case: list[dict[str, object]]
) -> None:
    """At 80 columns the significance joins the summary's flags; wide, it has its column. The
    flags in brackets are printed as they are (they were once taken for rich markup)."""
    narrow = " ".join(chronology_at(80).stdout.split())
    wide = chronology_at(200).stdout

    assert "[key]" in narrow
    assert "corrected]" in narrow
    assert "significance" in wide.splitlines()[2]
    assert "corrected]" in wide
