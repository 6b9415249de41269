"""What the command line prints for a person to read: the demo's addresses, the chronology at
80 columns, the recording audit's durations."""

from __future__ import annotations

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
