"""``pricebot strategies new NAME`` writes a plug-in that passes the project's own checks as written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
MYPY_CACHE = ROOT / ".cache" / "mypy-template"


def _project_copy(dest: Path) -> Path:
    for part in ("bot", "strategies", "tests/support"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    for init in (
        "tests/__init__.py",
        "tests/unit/__init__.py",
        "tests/unit/strategies/__init__.py",
    ):
        (dest / init).parent.mkdir(parents=True, exist_ok=True)
        (dest / init).touch()
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _pricebot(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "strategies", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(BIN)},
    )


def test_the_template_passes_lint_types_and_its_own_tests(tmp_path: Path) -> None:
    # A short and the longest name: ruff's formatting of the rendered lines depends on the length.
    root = _project_copy(tmp_path)
    written: list[str] = []
    for name, cls in (("mine", "Mine"), ("a_twenty_char_name_x", "ATwentyCharNameX")):
        out = _pricebot(root, "new", name)
        assert out.returncode == 0, out.stderr
        module = root / "strategies" / f"{name}.py"
        test = root / f"tests/unit/strategies/test_{name}.py"
        assert module.is_file() and test.is_file()
        assert f'{name} = "strategies.{name}:{cls}"' in (root / "pyproject.toml").read_text()
        written += [str(module), str(test)]
    env = {"PYTHONPATH": str(root), "PATH": str(BIN)}
    for cmd in (
        [str(BIN / "ruff"), "format", "--check", *written],
        [str(BIN / "ruff"), "check", *written],
        # A cache kept between runs (.cache/, like npm's and the yardsticks'): mypy re-reads
        # only what changed (it checks each module's hash), so a second run skips the ~30 s of
        # analysing bot/ and strategies/ again; a fresh clone's first run is as before.
        [
            str(BIN / "mypy"),
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(MYPY_CACHE),
            *written[::2],
        ],
        # The entry point needs `make setup` (an install); everything else runs as written.
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *written[1::2],
            "-k",
            "not entry_point",
        ],
    ):
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env)
        assert run.returncode == 0, f"{cmd[0]}: {run.stdout}{run.stderr}"


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("fixed", "already a strategy"),
        ("Bad-Name", "lowercase"),
        ("class", "lowercase"),
        ("a_name_of_21_chars_xx", "2-20"),
        ("new", "already"),
    ],
)
def test_refuses_a_bad_or_taken_name_without_writing(tmp_path: Path, name: str, rule: str) -> None:
    root = _project_copy(tmp_path)
    before = (root / "pyproject.toml").read_text()
    out = _pricebot(root, "new", name)
    assert out.returncode == 2
    assert "name" in out.stderr and rule in out.stderr and "Traceback" not in out.stderr
    assert (root / "pyproject.toml").read_text() == before
    assert not (root / "strategies" / f"{name}.py").exists() or name == "fixed"


def test_refuses_to_overwrite_a_plugin_of_that_name(tmp_path: Path) -> None:
    root = _project_copy(tmp_path)
    (root / "strategies" / "mine.py").write_text("# mine\n")
    out = _pricebot(root, "new", "mine")
    assert out.returncode == 2 and "exists already" in out.stderr
    assert (root / "strategies" / "mine.py").read_text() == "# mine\n"
