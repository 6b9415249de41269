"""`foresight rekey`: re-encrypt every record under the current key after a key rotation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import bootstrap, store_cipher
from api.settings import get_settings
from projections.keyring import KeyRingCipher
from projections.rekey import BATCH_SIZE, RekeyRefused, rekey_store, rekey_targets

out = Console()
err = Console(stderr=True)


def rekey(
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Records per transaction")
    ] = BATCH_SIZE,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only count the records not yet under the current key (exit 1 if any)",
        ),
    ] = False,
) -> None:
    """Re-encrypt every record (events, snapshots, documents' bytes, read models) under
    FORESIGHT_CIPHER_KEY, from the keys in FORESIGHT_CIPHER_OLD_KEYS. Resumable: run it
    again after a stop."""
    settings = get_settings()
    cipher = store_cipher(settings)
    if cipher is None:
        err.print("No FORESIGHT_CIPHER_KEY: this store is not encrypted, nothing to rekey.")
        raise typer.Exit(1)
    foresight = bootstrap(settings)
    try:
        targets = rekey_targets(
            foresight.service.recorder,  # type: ignore[arg-type]
            foresight.queries.engine,
            cipher,
            foresight.service.name,
            batch_size,
            foresight.blobs,
        )
    except RekeyRefused as refused:
        err.print(f"[red]Rekey refused:[/red] {refused}", highlight=False)
        raise typer.Exit(1) from None
    _say_keys(cipher)
    counts = {target.label: target.count() for target in targets}
    if check:
        for label, left in counts.items():
            out.print(f"{label}: {left} record(s) not under the current key")
        raise typer.Exit(1 if any(counts.values()) else 0)
    with Progress(console=err) as progress:
        tasks = {
            target.label: progress.add_task(f"Rekeying {target.label}", total=counts[target.label])
            for target in targets
        }
        done = rekey_store(
            foresight.service.recorder,  # type: ignore[arg-type]
            cipher,
            targets,
            lambda target, count: progress.advance(tasks[target.label], count),
        )
    out.print(
        f"Rekeyed {done} record(s): every record is under key id {cipher.current_id.hex()}. "
        "The old keys can be removed from FORESIGHT_CIPHER_OLD_KEYS."
    )


def _say_keys(cipher: KeyRingCipher) -> None:
    current, *old = cipher.key_ids
    err.print(f"Current key id {current}; old key id(s) read: {', '.join(old) or 'none'}")
