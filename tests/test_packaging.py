"""What a user of the published package meets: its metadata, the hints of a missing extra, and
``import jobwise`` where there is no fcntl."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HATCHLING = str(Path(sys.executable).parent / "hatchling")


def python(code: str, *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_import_works_without_fcntl_and_a_state_file_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    done = python(
        "import sys; sys.modules['fcntl'] = None\n"
        "import jobwise\n"
        "from jobwise.batch.state import BatchState\n"
        "BatchState(None, 'app', 'https://api.example.test').close()  # none: no lock needed\n"
        "try:\n"
        "    BatchState('run.sqlite', 'app', 'https://api.example.test')\n"
        "except jobwise.StateFileError as exc:\n"
        "    print(exc)\n",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("state file run.sqlite: a state file needs the file locks") and (
        "fcntl" in line
    )
    assert not (tmp_path / "run.sqlite").exists()


@pytest.mark.parametrize(
    ("missing", "call", "hint"),
    [
        (
            "starlette",
            "sys.argv = ['jobwise-emulator']; sys.exit(cli.emulator_main())",
            "the emulator needs its extra: pip install 'jobwise[emulator]'",
        ),
        (
            "rich",
            "sys.exit(cli.main(['batch', 'app', 'in.txt', '--input-name', 'x']))",
            "the command line needs its extra: pip install 'jobwise[cli]'",
        ),
    ],
)
def test_a_missing_extra_is_one_line_of_hint(missing: str, call: str, hint: str) -> None:
    done = python(f"import sys; sys.modules[{missing!r}] = None\nfrom jobwise import cli\n{call}")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"jobwise: {hint}"]


def test_wheel_and_sdist_hold_the_license_and_the_wheel_classifiers_urls_and_no_tool_pins(
    tmp_path: Path,
) -> None:
    subprocess.run(
        [HATCHLING, "build", "-t", "wheel", "-t", "sdist", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (sdist,) = tmp_path.glob("jobwise-*.tar.gz")
    with tarfile.open(sdist) as archive:
        assert f"{sdist.name.removesuffix('.tar.gz')}/LICENSE" in archive.getnames()
    (wheel,) = tmp_path.glob("jobwise-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
        (license_file,) = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
        assert "Copyright (c) 2026 the jobwise authors" in archive.read(license_file).decode()
    fields = [line.split(": ", 1) for line in text.split("\n\n")[0].splitlines() if ": " in line]
    values: dict[str, list[str]] = {}
    for key, value in fields:
        values.setdefault(key, []).append(value)
    assert values["License-Expression"] == ["MIT"]
    assert {"Typing :: Typed", "Programming Language :: Python :: 3.13"} <= set(
        values["Classifier"]
    )
    assert "Source, https://github.com/jobwise/jobwise" in values["Project-URL"]
    assert values["Keywords"]
    assert sorted(values["Provides-Extra"]) == ["aiohttp", "cli", "emulator"]
    for requirement in values["Requires-Dist"]:
        assert "==" not in requirement.split(";")[0], requirement
        assert not requirement.startswith(("mypy", "ruff", "pytest", "writer-sdk")), requirement
