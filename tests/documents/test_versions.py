"""Filing a paper: each build is the next numbered version of its three files, earlier
versions are never touched, two writers at once never share a number, and bad names are
refused before anything is written."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from qaframework.documents import DocumentError, WrittenDocument, latest_version, write_versions
from tests.documents.conftest import TITLE, pdf_text, sample, word


def _texts(document: WrittenDocument) -> tuple[str, list[str], list[str]]:
    return (
        document.html.read_text(encoding="utf-8"),
        pdf_text(document.pdf.read_bytes()),
        [p.text for p in word(document.docx.read_bytes()).paragraphs],
    )


def test_writing_twice_files_version_one_and_two_and_keeps_the_first(tmp_path: Path, sample_html: str) -> None:
    folder = tmp_path / "papers" / "body" / "2027-07-07"
    first = write_versions(folder, "pack", sample_html)
    first_bytes = {path: path.read_bytes() for path in (first.html, first.pdf, first.docx)}
    second = write_versions(folder, "pack", sample_html)
    assert first == WrittenDocument(1, folder / "pack-v1.html", folder / "pack-v1.pdf", folder / "pack-v1.docx")
    assert second == WrittenDocument(2, folder / "pack-v2.html", folder / "pack-v2.pdf", folder / "pack-v2.docx")
    assert sorted(os.listdir(folder)) == [
        "pack-v1.docx", "pack-v1.html", "pack-v1.pdf", "pack-v2.docx", "pack-v2.html", "pack-v2.pdf"]
    assert {path: path.read_bytes() for path in first_bytes} == first_bytes
    assert _texts(first) == _texts(second)
    html, pages, paragraphs = _texts(second)
    assert html == sample_html and TITLE in pages[0].replace("\n", " ") and paragraphs[0] == TITLE
    assert latest_version(folder, "pack") == second


def test_an_unchanged_paper_can_be_filed_once(tmp_path: Path, sample_html: str) -> None:
    first = write_versions(tmp_path, "report", sample_html, reuse_unchanged=True)
    again = write_versions(tmp_path, "report", sample_html, reuse_unchanged=True)
    changed = write_versions(tmp_path, "report", sample(paper_no="QP-2027-04"), reuse_unchanged=True)
    assert (first.version, again.version, changed.version) == (1, 1, 2)
    assert len(os.listdir(tmp_path)) == 6


def test_versions_of_other_papers_and_stale_claims_are_respected(tmp_path: Path, sample_html: str) -> None:
    (tmp_path / "pack-v3.pdf").write_bytes(b"an orphan from an interrupted run")
    (tmp_path / ".pack-v4.claim").write_bytes(b"")
    (tmp_path / "pack-extra-v9.html").write_text("another paper's version", encoding="utf-8")
    written = write_versions(tmp_path, "pack", sample_html)
    assert written.version == 5
    assert (tmp_path / "pack-v3.pdf").read_bytes() == b"an orphan from an interrupted run"
    assert latest_version(tmp_path, "pack") == written
    assert latest_version(tmp_path, "pack-extra") is None  # only its HTML: not a complete version


def test_concurrent_writers_take_different_versions_and_lose_nothing(tmp_path: Path) -> None:
    writers = 4
    htmls = [sample(paper_no=f"QP-2027-{number:02d}") for number in range(writers)]
    results: list[WrittenDocument] = []
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(html: str) -> None:
        start.wait()
        try:
            results.append(write_versions(tmp_path, "pack", html))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(html,)) for html in htmls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(result.version for result in results) == list(range(1, writers + 1))
    assert sorted(name for name in os.listdir(tmp_path)) == sorted(
        f"pack-v{n}.{ext}" for n in range(1, writers + 1) for ext in ("docx", "html", "pdf"))
    filed = sorted(result.html.read_text(encoding="utf-8") for result in results)
    assert filed == sorted(htmls)
    for result in results:  # each version's three files are of the same paper
        html, pages, paragraphs = _texts(result)
        paper_no = html.split("<dt>Paper no</dt>\n<dd>")[1].split("</dd>")[0]
        assert f"Paper no {paper_no}" in pages[0] and f"Paper no: {paper_no}" in paragraphs


@pytest.mark.parametrize("stem", ["", "../escape", "a/b", ".hidden", "pack.", "x" * 200, "pack\n"])
def test_a_name_that_is_not_a_plain_file_name_is_refused_and_nothing_is_written(tmp_path: Path, stem: str, sample_html: str) -> None:
    folder = tmp_path / "not-created"
    with pytest.raises(DocumentError, match=r"^document name .* is not a plain file name: use letters, digits"):
        write_versions(folder, stem, sample_html)
    assert not folder.exists()


def test_a_paper_that_cannot_be_printed_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="has no <title>"):
        write_versions(tmp_path / "pack", "pack", "<html><body><p>untitled</p></body></html>")
    assert not (tmp_path / "pack").exists()


def test_claims_made_at_the_same_moment_get_different_numbers(tmp_path: Path) -> None:
    """The step two writers race on, without the rendering that usually spreads them out."""
    from qaframework.documents.versions import _claim

    writers = 8
    start = threading.Barrier(writers)
    claimed: list[int] = []

    def claim() -> None:
        start.wait()
        claimed.append(_claim(tmp_path, "pack")[0])

    threads = [threading.Thread(target=claim) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(claimed) == list(range(1, writers + 1))
    assert sorted(os.listdir(tmp_path)) == sorted(f".pack-v{n}.claim" for n in range(1, writers + 1))
