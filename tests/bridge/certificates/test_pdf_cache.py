"""The certificate PDF cache is bounded on disk: past its bound the least recently used PDFs go, the worker's
renders ahead of any visitor stop short of it, and a PDF removed while someone asks for it is drawn again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bridge.certificates.pdf import PdfCache
from tests.bridge.certificates.conftest import Issued


def on_disk(cache: PdfCache) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in cache.directory.rglob("*.pdf")}


def url(ob3: Issued, n: int) -> str:
    return f"{ob3.url}?copy={n}"  # another verification URL: another PDF of about the same size


@pytest.fixture
def size(tmp_path: Path, ob3: Issued) -> int:
    """The size of one certificate PDF of this credential."""
    return len(PdfCache(tmp_path / "probe").get_or_render(ob3.json_bytes, verify_url=url(ob3, 0), lang="en"))


def test_the_cache_stays_within_its_bound_and_keeps_what_was_used_last(
        tmp_path: Path, ob3: Issued, size: int) -> None:
    bound = int(5.5 * size)  # room for five
    cache = PdfCache(tmp_path / "cache", max_bytes=bound)
    favourite = cache.key(ob3.json_bytes, url(ob3, 0), "en")
    cache.get_or_render(ob3.json_bytes, verify_url=url(ob3, 0), lang="en")
    for n in range(1, 13):
        time.sleep(0.01)  # distinct modification times on any file system this runs on
        cache.get_or_render(ob3.json_bytes, verify_url=url(ob3, n), lang="en")
        time.sleep(0.01)
        cache.get_or_render(ob3.json_bytes, verify_url=url(ob3, 0), lang="en")  # downloaded again and again
        assert sum(on_disk(cache).values()) <= bound + size  # at most the one just written beyond, until measured
    kept = on_disk(cache)
    assert sum(kept.values()) <= bound
    assert f"{favourite}.pdf" in kept  # the one fetched all along stays
    newest = cache.key(ob3.json_bytes, url(ob3, 12), "en")
    assert f"{newest}.pdf" in kept
    oldest = [cache.key(ob3.json_bytes, url(ob3, n), "en") for n in (1, 2, 3)]
    assert not any(f"{k}.pdf" in kept for k in oldest)  # least recently used: gone
    again = cache.get_or_render(ob3.json_bytes, verify_url=url(ob3, 1), lang="en")
    assert again.startswith(b"%PDF")  # a pruned PDF is drawn again when asked for


def test_renders_ahead_of_visitors_fill_only_part_of_it_and_push_nothing_out(
        tmp_path: Path, ob3: Issued, size: int) -> None:
    cache = PdfCache(tmp_path / "cache", max_bytes=int(4.5 * size))  # renders ahead stop past 0.8 of it: 3.6 PDFs
    assert all(cache.prerender(ob3.json_bytes, verify_url=url(ob3, n), lang="en") for n in range(4))
    assert not cache.prerender(ob3.json_bytes, verify_url=url(ob3, 4), lang="en")  # no room to spare
    assert len(on_disk(cache)) == 4
    assert cache.prerender(ob3.json_bytes, verify_url=url(ob3, 2), lang="en")  # one already there: there it is
    visitor = cache.key(ob3.json_bytes, url(ob3, 5), "en")
    assert cache.get_or_render(ob3.json_bytes, verify_url=url(ob3, 5), lang="en").startswith(b"%PDF")  # always drawn
    kept = on_disk(cache)
    assert f"{visitor}.pdf" in kept and sum(kept.values()) <= 4.5 * size  # renders ahead went first

    fetched = PdfCache(tmp_path / "fetched", max_bytes=int(4.5 * size))
    for n in range(4):  # four PDFs visitors asked for
        fetched.get_or_render(ob3.json_bytes, verify_url=url(ob3, n), lang="en")
    before = on_disk(fetched)
    assert not fetched.prerender(ob3.json_bytes, verify_url=url(ob3, 9), lang="en")
    assert on_disk(fetched) == before  # none of theirs made way for a render ahead


def test_the_processes_sharing_the_directory_keep_it_within_the_bound_together(
        tmp_path: Path, ob3: Issued, size: int) -> None:
    bound = 5 * size
    web, worker = PdfCache(tmp_path / "cache", max_bytes=bound), PdfCache(tmp_path / "cache", max_bytes=bound)
    for n in range(14):
        (web if n % 2 else worker).get_or_render(ob3.json_bytes, verify_url=url(ob3, n), lang="en")
        assert sum(on_disk(web).values()) <= bound + 2 * max(size, bound // PdfCache.PRUNE_EVERY)


def test_a_pdf_removed_while_it_is_asked_for_is_drawn_again(
        tmp_path: Path, ob3: Issued, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PdfCache(tmp_path / "cache")
    first = cache.get_or_render(ob3.json_bytes, verify_url=ob3.url, lang="en")
    path = cache.path(cache.key(ob3.json_bytes, ob3.url, "en"))
    read = Path.read_bytes

    def pruned_by_another_process_first(self: Path) -> bytes:
        if self == path and self.exists():
            os.unlink(self)  # between the look and the read
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", pruned_by_another_process_first)
    assert cache.get_or_render(ob3.json_bytes, verify_url=ob3.url, lang="en") == first


def test_half_written_files_of_a_process_that_died_are_removed(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path / "cache")
    (tmp_path / "cache" / "ab").mkdir(parents=True)
    old, fresh = tmp_path / "cache" / "ab" / "x.part", tmp_path / "cache" / "ab" / "y.part"
    old.write_bytes(b"half"), fresh.write_bytes(b"being written")
    long_ago = time.time() - 2 * PdfCache.STALE_PART_SECONDS
    os.utime(old, (long_ago, long_ago))
    assert cache.prune() == 0
    assert not old.exists() and fresh.exists()
    assert PdfCache(tmp_path / "nothing yet").prune() == 0  # no directory: nothing held
