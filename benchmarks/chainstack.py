"""A local chain for the chain benchmarks: anvil from npm, the contracts deployed with
chain/deploy.py, and a registered catalog, driven by the same worker passes Celery runs."""

import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen
from typing import Any

from benchmarks.harness import spawn
from core.localprocs import anvil_command, wait_for_http


def start_anvil(tmp: Path, port: int) -> "Popen[bytes]":
    proc = spawn(anvil_command(port=port), log=tmp / "anvil.log")
    wait_for_http(f"http://127.0.0.1:{port}", proc=proc, json_rpc=True)
    return proc


def passes_until(done: Callable[[], bool], *, timeout: float = 60.0) -> int:
    """Runs the local chain's worker pass, as beat does, until `done()`."""
    from chain.fulfiller import local_chain_process_once

    deadline = time.monotonic() + timeout
    rounds = 0
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the chain passes did not finish in time")
        local_chain_process_once()
        rounds += 1
    return rounds


def deploy_with_catalog(*, songs: int = 8, supply: int = 10_000) -> Any:
    """Deploys the contracts and registers `songs` songs and one batch on chain."""
    from chain.client import reset_clients
    from chain.deploy import deploy_local
    from trackpacks.models import Batch, ChainStatus, Rarity
    from trackpacks.services import PoolItem, batch_create, song_create

    reset_clients()
    deploy_local()
    rarities = [Rarity.COMMON, Rarity.RARE, Rarity.EPIC, Rarity.LEGENDARY]
    created = [
        song_create(
            token_id=i + 1,
            title=f"Bench Track {i + 1}",
            artist="The Benchmarks",
            rarity=rarities[i % 4],
            image_url=f"https://cdn.example.com/{i + 1}.png",
            audio_url=f"https://cdn.example.com/{i + 1}.mp3",
        )
        for i in range(songs)
    ]
    from trackpacks.models import Song

    passes_until(lambda: not Song.objects.exclude(chain_status=ChainStatus.REGISTERED).exists())
    batch = batch_create(
        name="Bench Drop",
        price_cents=500,
        price_wei=10**16,
        supply=supply,
        pool=[PoolItem(song=song) for song in created],
    )
    passes_until(lambda: Batch.objects.get(pk=batch.pk).chain_status == ChainStatus.REGISTERED)
    batch.refresh_from_db()
    return batch
