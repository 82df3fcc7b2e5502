"""The README and the documentation pages: every Python block runs as written (a block that
cannot run in CI says why on its page), the README stays a front door, its headline table is
the one ``baselines/compare.py`` writes, and every link into the site names a page."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from semgym import DOCS_URL

ROOT = Path(__file__).resolve().parents[1]
SITE = DOCS_URL
#: Put on the line before a block that CI cannot run, with the reason.
NOT_RUN = re.compile(r"<!-- not run in CI: (.+?) -->")
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _blocks() -> list[tuple[str, int, str, str | None]]:
    """(page, line, code, reason it is not run or None) of every Python block."""
    found = []
    for page in _pages():
        text = page.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip().rsplit("\n", 1)[-1]
            reason = NOT_RUN.search(before)
            found.append(
                (str(page.relative_to(ROOT)), line, match.group(1), reason and reason.group(1))
            )
    return found


BLOCKS = _blocks()
RUN = [(page, line, code) for page, line, code, reason in BLOCKS if reason is None]


def test_blocks_are_found_and_those_not_run_say_why() -> None:
    assert len(RUN) >= 10
    for page, line, _, reason in BLOCKS:
        if reason is not None:
            assert len(reason.split()) >= 3, f"{page}:{line}: say why the block cannot run"


@pytest.mark.parametrize(("page", "line", "code"), RUN, ids=[f"{p}:{n}" for p, n, _ in RUN])
def test_python_block_runs(page: str, line: int, code: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    source = textwrap.dedent(code)  # blocks inside list items are indented
    exec(compile(source, f"{page}:{line}", "exec"), {"__name__": "__docs__"})


def test_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    for paper in ("arXiv:2603.06077", "arXiv:2606.12005", "arXiv:2602.17271"):
        assert paper in readme
    assert "make demo" in readme and "make test" in readme


def test_readme_headline_table_is_the_measured_one() -> None:
    headroom = (ROOT / "baselines" / "results" / "headroom.md").read_text().strip()
    assert headroom in (ROOT / "README.md").read_text()


def test_readme_time_varying_table_is_the_measured_one() -> None:
    dynamic = (ROOT / "baselines" / "results" / "dynamic-headroom.md").read_text().strip()
    assert dynamic in (ROOT / "README.md").read_text()


def test_pricing_table_is_the_measured_one() -> None:
    pricing = (ROOT / "baselines" / "results" / "pricing.md").read_text().strip()
    assert pricing in (ROOT / "docs" / "envs" / "interference.md").read_text()


def site_page(url: str) -> Path | None:
    """The source page of a link into the site, or None."""
    if not url.startswith(SITE):
        return None
    path = url[len(SITE) :].split("#")[0].strip("/")
    candidates = [ROOT / "docs" / f"{path}.md", ROOT / "docs" / path / "index.md"]
    if not path:
        candidates = [ROOT / "README.md"]  # the home page is generated from it
    return next((c for c in candidates if c.exists()), None)


def test_every_link_into_the_site_names_a_page() -> None:
    urls = set()
    for page in [*_pages(), *sorted((ROOT / "semgym").rglob("*.py"))]:
        urls |= set(re.findall(re.escape(SITE) + r"[A-Za-z0-9_/#.-]*", page.read_text()))
    assert urls
    missing = sorted(u for u in urls if site_page(u.rstrip(".")) is None)
    assert not missing, missing
