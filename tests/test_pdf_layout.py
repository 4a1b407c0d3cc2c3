"""The child processes that lay pack.pdf out: results per part, errors as errors, no child outliving a build."""

import os
import signal

import pypdf
import pytest

from exports.builders import pack_pdf
from exports.builders.pdf_layout import LayoutError, LayoutPool
from exports.models import ExportFormat, ExportStatus
from exports.services import JobProgress, export_job_build, export_job_cancel
from tests.test_export_jobs import data, new_job, stored_files, workspace  # noqa: F401  (fixtures)

PAGE = '<p style="break-after: page">{text}</p>'


def part_html(pages: int, anchor: str) -> str:
    body = "".join(PAGE.format(text=f"page {index}") for index in range(pages))
    return f'<html><body><p id="{anchor}">start</p>{body}</body></html>'


def test_parts_laid_out_side_by_side_come_back_each_with_its_pages_and_anchors(tmp_path):
    results = []
    with LayoutPool(2) as pool:
        for key, pages in enumerate([3, 1, 2, 4]):
            html = part_html(pages, f"a{key}")
            results += pool.submit(key, html, tmp_path / f"{key}.html", tmp_path / f"{key}.pdf")
            assert pool.busy <= 2
        results += pool.drain()
        children = [child.process for child in pool.children]
    assert sorted(result.key for result in results) == [0, 1, 2, 3]
    for result in results:
        assert result.pages == len(pypdf.PdfReader(tmp_path / f"{result.key}.pdf").pages)
        assert result.anchors[f"a{result.key}"] == 0
    assert {result.key: result.pages for result in results} == {0: 3, 1: 1, 2: 2, 3: 4}
    # The HTML was the children's to delete; the pool stopped them on leaving.
    assert not list(tmp_path.glob("*.html"))
    assert children and all(process.poll() is not None for process in children)


def test_a_child_that_dies_mid_part_is_an_error_and_no_child_is_left(tmp_path):
    with pytest.raises(LayoutError, match="stopped"), LayoutPool(1) as pool:
        pool.submit("big", part_html(400, "a"), tmp_path / "big.html", tmp_path / "big.pdf")
        child = pool.children[0].process
        os.kill(child.pid, signal.SIGKILL)
        list(pool.drain())
    assert child.poll() is not None


def test_html_weasyprint_cannot_read_is_an_error_naming_the_cause(tmp_path):
    with LayoutPool(1) as pool:
        pool.submit("missing", "<p>x</p>", tmp_path / "x.html", tmp_path / "no-such-folder" / "x.pdf")
        with pytest.raises(LayoutError, match="FileNotFoundError"):
            list(pool.drain())


@pytest.mark.django_db
def test_cancelling_a_pdf_build_stops_its_layout_processes_and_keeps_nothing(
    data,  # noqa: F811
    admin_user,
    workspace,  # noqa: F811
    monkeypatch,
):
    """Cancelled while parts are being laid out: the children are stopped, no file is kept."""
    monkeypatch.setattr(pack_pdf, "PART_TEXT_BUDGET", 1)
    job = new_job(data, admin_user, fmt=ExportFormat.PDF)
    pools: list[LayoutPool] = []
    original_enter, original_checkpoint = LayoutPool.__enter__, JobProgress.checkpoint

    def keep(pool):
        pools.append(pool)
        return original_enter(pool)

    def cancel_then_checkpoint(self):
        if self.done >= 1:
            export_job_cancel(job=job)
        original_checkpoint(self)

    monkeypatch.setattr(LayoutPool, "__enter__", keep)
    monkeypatch.setattr(JobProgress, "checkpoint", cancel_then_checkpoint)
    children = []
    original_submit = LayoutPool.submit

    def submit(pool, *args):
        finished = original_submit(pool, *args)
        children.extend(child.process for child in pool.children if child.process not in children)
        return finished

    monkeypatch.setattr(LayoutPool, "submit", submit)

    export_job_build(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED
    assert pools and children
    assert all(process.poll() is not None for process in children)
    assert stored_files(workspace) == []
    assert list(workspace["temp"].iterdir()) == []
