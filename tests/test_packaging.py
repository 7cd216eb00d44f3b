"""Packaging: the wheel carries the shipped model and annotations, and an installed copy works outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import fixtures
import pytest
from conftest import ROOT, SHIPPED_ANNOTATIONS, SHIPPED_MODEL

from policyscan.persist import default_model_path
from policyscan.training import DEFAULT_ANNOTATIONS


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a clean copy of the sources (an in-tree build/ could leak stale files into it)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "policyscan", src / "policyscan", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("policyscan-*.whl")
    return built


def test_shipped_data_is_read_from_the_package():
    package = Path(__import__("policyscan").__file__).parent
    assert os.environ.get("POLICYSCAN_MODEL") or default_model_path() == package / "data" / "model"
    assert DEFAULT_ANNOTATIONS == SHIPPED_ANNOTATIONS == package / "data" / "annotations"
    assert (ROOT / "models" / "default" / "model.skops").samefile(SHIPPED_MODEL / "model.skops"), "the old path is a link"
    assert (ROOT / "annotations" / "README.md").samefile(SHIPPED_ANNOTATIONS / "README.md"), "the old path is a link"


def test_wheel_holds_the_model_and_the_annotations(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = [(f"policyscan/data/model/{p.name}", p) for p in SHIPPED_MODEL.iterdir()]
        shipped += [(f"policyscan/data/annotations/{p.name}", p) for p in SHIPPED_ANNOTATIONS.iterdir()]
        assert {"model.skops", "scorer.npz", "card.json", "card.md"} <= {p.name for _, p in shipped}
        assert len([p for _, p in shipped if p.suffix == ".jsonl"]) >= 10
        for name, path in shipped:
            assert name in names, f"{name} missing from the wheel"
            assert archive.read(name) == path.read_bytes()
        assert {"policyscan/data/taxonomy.toml", "policyscan/data/municipalities.csv", "policyscan/data/example-eval.jsonl"} <= names


def _venv_with_wheel(wheel: Path, root: Path) -> Path:
    """A fresh venv with the wheel installed; its dependencies come from this environment through a .pth line."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True)
    # A plain path line: the editable install's finder in that folder is not activated, so policyscan comes from the wheel.
    Path(purelib.stdout.strip(), "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)]
    done = subprocess.run(pip, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return venv


@pytest.mark.slow
def test_installed_wheel_tags_and_scans_outside_the_repository(wheel, tmp_path):
    venv = _venv_with_wheel(wheel, tmp_path)
    elsewhere = tmp_path / "elders"
    (elsewhere / "beleid" / "Lindenhoek").mkdir(parents=True)
    fixtures.short_document(elsewhere / "beleid" / "Lindenhoek" / "brief.pdf")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POLICYSCAN_MODEL")}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=elsewhere, env=env, input=stdin, capture_output=True, text=True)

    where = run(str(venv / "bin" / "python"), "-c", "import policyscan; print(policyscan.__file__)")
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    tagged = run(str(venv / "bin" / "policyscan"), "tag", "--json", "-", stdin="Vrijwilligers bezoeken eenzame ouderen in de wijk.\n")
    assert tagged.returncode == 0, tagged.stderr
    assert "loneliness" in json.loads(tagged.stdout)["labels"]
    scanned = run(str(venv / "bin" / "policyscan"), "scan", "beleid", "-o", "results", "-q")
    assert scanned.returncode == 0, scanned.stderr
    coverage = (elsewhere / "results" / "coverage.csv").read_text(encoding="utf-8-sig")
    assert coverage.splitlines()[1].startswith("Lindenhoek,")


def test_make_test_runs_the_fast_suite_the_slow_tests_and_ruff_even_when_one_fails(tmp_path):
    """`make test` goes on after a failing pytest (ruff used to be skipped) and still exits non-zero."""
    venv, log = tmp_path / "venv", tmp_path / "calls.log"
    (venv / "bin").mkdir(parents=True)
    for tool, status in (("python", 1), ("ruff", 0)):
        script = venv / "bin" / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\nexit {status}\n', encoding="utf-8")
        script.chmod(0o755)
    (venv / ".installed").touch()  # newer than pyproject.toml: the set-up step is done
    done = subprocess.run(["make", "-s", "-C", str(ROOT), "test", f"VENV={venv}"], capture_output=True, text=True)
    assert done.returncode != 0
    assert log.read_text(encoding="utf-8").splitlines() == ["python -m pytest -q", "python -m pytest -q -m slow", "ruff check ."]


def test_default_pytest_run_leaves_the_slow_tests_out():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(Path(__file__))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert "test_installed_wheel_tags_and_scans_outside_the_repository" not in done.stdout
    assert "1 deselected" in done.stdout, done.stdout


def test_make_demo_exits_0_when_the_scan_reports_failed_inputs_as_readme_says(tmp_path):
    """The sample corpus fails two inputs on purpose: the scan exits 1, `make demo` 0 (README said 1)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for status, expected in ((1, 0), (2, 2)):
        script = venv / "bin" / "policyscan"
        script.write_text(f"#!/bin/sh\nexit {status}\n", encoding="utf-8")
        script.chmod(0o755)
        (venv / ".installed").touch()
        done = subprocess.run(["make", "-s", "-C", str(ROOT), "demo", f"VENV={venv}"], capture_output=True, text=True)
        assert done.returncode == expected, done.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`make demo` ends with exit code 0." in readme


def test_example_evaluation_file_is_shipped_fictional_and_evaluates():
    from policyscan.annotations import read_annotations
    from policyscan.cli import main
    from policyscan.fileio import package_data
    from policyscan.taxonomy import load_taxonomy

    example, tax = package_data("example-eval.jsonl"), load_taxonomy()
    items = read_annotations(example, tax)
    assert len(items) >= 40
    assert all(sum(label in a.labels for a in items) >= 2 for label in tax.ids)
    trained = {json.loads(line)["text"] for f in SHIPPED_ANNOTATIONS.glob("*.jsonl") for line in f.read_text(encoding="utf-8").splitlines()}
    assert not trained & {a.text for a in items}, "the example must be held out from the shipped annotations"
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["evaluate", str(example), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["per_label"]["sport"]["support"] == 2
    assert "policyscan/data/example-eval.jsonl" in main.commands["evaluate"].help
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "policyscan evaluate policyscan/data/example-eval.jsonl" in readme and "evaluate ../shared/dev/dev.jsonl --json" not in readme


def test_readme_names_the_extra_that_installs_pandas():
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    if "pandas" in readme:
        assert any(dep.startswith("pandas") for dep in extras["pandas"]) and "'.[pandas]'" in readme
