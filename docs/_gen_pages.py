"""Pages the documentation build generates (mkdocs-gen-files): the home page from the README
(its links into the site made relative), and the learning curves that ``baselines/compare.py``
and the training commands write outside ``docs/``."""

from __future__ import annotations

from pathlib import Path

import mkdocs_gen_files

from semgym import DOCS_URL as SITE

ROOT = Path(__file__).resolve().parents[1]

readme = (ROOT / "README.md").read_text()
home = readme.replace(f"**Documentation:** <{SITE}> (built from `docs/` by\n`make docs`).", "")
for url_path in sorted(
    {part.split(")")[0] for part in home.split(f"]({SITE}")[1:]}, key=len, reverse=True
):
    page = url_path.rstrip("/")
    home = home.replace(f"]({SITE}{url_path})", f"]({page}.md)")
with mkdocs_gen_files.open("index.md", "w") as handle:
    handle.write(home)

for curve in sorted((ROOT / "baselines" / "results" / "curves").glob("*.png")):
    with mkdocs_gen_files.open(f"curves/{curve.name}", "wb") as handle:
        handle.write(curve.read_bytes())
