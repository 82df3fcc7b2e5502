"""A wheel built from the repository and installed outside the source tree: it imports, makes
every registered id, loads every shipped policy, and every link it prints or documents names
a page of the documentation site (no docstring or model card points at a file of the
repository that the wheel does not have)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_docs import ROOT, site_page

#: Run inside the installed wheel's process: prints the links found as JSON on the last line.
PROBE = r"""
import importlib, inspect, json, pkgutil, re, subprocess, sys
from pathlib import Path

import gymnasium as gym
import semgym
from semgym.envs.registration import GYM_IDS
from semgym.policies import Learned

assert Path(semgym.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), semgym.__file__
for env_id in GYM_IDS:
    gym.make(env_id).reset(seed=0)
names = Learned.available()
assert len(names) >= 31, names
cards = [Learned.load(name).card for name in names]

texts = []
for module_info in pkgutil.walk_packages(semgym.__path__, "semgym."):
    if module_info.name.endswith("__main__"):  # running it is the command line's job
        continue
    module = importlib.import_module(module_info.name)
    texts.append(module.__doc__ or "")
    for _, member in inspect.getmembers(module):
        if getattr(member, "__module__", None) == module.__name__:
            texts.append(inspect.getdoc(member) or "")
            for _, attribute in inspect.getmembers(member):
                texts.append(getattr(attribute, "__doc__", None) or "")
for card in cards:
    texts.append(json.dumps({k: v for k, v in card.items() if k != "command"}))
text = "\n".join(texts)
repository = r"(?:docs|baselines|examples|benchmarks)/[\w/-]+\.(?:md|py)"
repository_files = sorted(set(re.findall(repository, text)))
assert not repository_files, repository_files
# the commands' help (its default output folders are paths the command writes, not links)
for verb in ([], ["demo"], ["latents", "build"], ["latents", "ceilings"], ["figures"]):
    text += subprocess.run(
        [sys.executable, "-m", "semgym", *verb, "--help"], capture_output=True, text=True,
        check=True,
    ).stdout
print(json.dumps(sorted(set(re.findall(r"https?://[^\s)`'\"<>,]+", text)))))
"""


def test_wheel_installed_outside_the_source_tree(tmp_path: Path) -> None:
    dist, target = tmp_path / "dist", tmp_path / "site-packages"
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(
        [*pip, "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(dist)],
        check=True,
    )
    (wheel,) = dist.glob("semgym-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    links = json.loads(result.stdout.strip().splitlines()[-1])
    ours = [link.rstrip(".;:") for link in links if "semgym.readthedocs.io" in link]
    assert ours, links
    broken = [link for link in ours if site_page(link) is None]
    assert not broken, broken
