"""Issue 26 at the command line: user files read only through the guarded reader (a FIFO or /dev/zero refused at
once), values that overflow the preprocessing refused naming file and row without numpy warnings, joins too large
to verify refused up front, scheme plugins run in a worker whose death is one line (exit 1), and the report's title.

Every command runs as the user runs it, `python -m dsdcompile`, with a time limit that only guards against a hang.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsdcompile.errors import InputError
from dsdcompile.runtime.resources import open_text, read_text

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_inputs", ROOT / "scripts" / "fuzz_inputs.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz_inputs", fuzz)
_spec.loader.exec_module(fuzz)

HANG_GUARD = 120  # seconds: a run still going then is a hang, whatever the machine's load


def dsdcompile(*args, cwd: Path) -> tuple[int, str]:
    if args[0] in ("compile", "mix", "report", "sequences") and "-q" not in args:
        args = (*args, "-q")  # no progress lines: stderr holds the error alone
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-m", "dsdcompile", *map(str, args)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=HANG_GUARD, stdin=subprocess.DEVNULL)
    assert "Traceback" not in res.stdout + res.stderr and "Warning" not in res.stderr, res.stderr
    return res.returncode, res.stderr  # errors, warnings and nothing else go to stderr


def one_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dsdcompile: error:"), output
    return lines[0]


def staging(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def files(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    (tmp_path / "design").mkdir()
    return tmp_path


# -- the guarded reader ---------------------------------------------------------------------------------------
def test_the_guarded_reader_refuses_what_is_no_regular_file_or_too_large(files):
    for name, message in (("pipe.csv", "named pipe (FIFO)"), ("zero.csv", "a device"), ("design", "a directory"),
                          ("missing.csv", "no such file")):
        with pytest.raises(InputError, match=re.escape(message)):
            open_text(files / name, "samples CSV")  # noqa: SIM115 - it raises
    (files / "big.csv").write_text("x" * 2000)
    with pytest.raises(InputError, match="above the limit"):
        read_text(files / "big.csv", "dye table", max_bytes=1000)
    assert read_text(files / "big.csv", max_bytes=2000) == "x" * 2000
    (files / "latin.csv").write_bytes(b"caf\xe9\n")
    with pytest.raises(InputError, match="not utf-8 text"):
        read_text(files / "latin.csv")


@pytest.mark.parametrize("name", ["pipe.csv", "zero.csv"])
def test_mix_refuses_a_fifo_or_a_device_at_once(files, name):
    code, out = dsdcompile("mix", "design", "--inputs", name, "--out", "mixed", cwd=files)
    assert code == 2 and name in one_error(out) and "not a regular samples CSV" in out
    assert not (files / "mixed").exists()


@pytest.mark.parametrize("args", [
    ("train", "--csv", "pipe.csv", "--label-column", "y", "--out", "m.pt"),
    ("train", "--csv", "zero.csv", "--label-column", "y", "--out", "m.pt"),
    ("compile", "model.pt", "--dyes", "pipe.csv", "--out", "o"),
])
def test_other_user_files_refuse_a_fifo_or_a_device(files, args):
    torch = pytest.importorskip("torch")
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": fuzz.GOOD_META}, files / "model.pt")
    code, out = dsdcompile(*args, cwd=files)
    bad = next(a for a in args if a.endswith(".csv"))
    assert code == 2 and bad in one_error(out)


@pytest.fixture(scope="module")
def crn_design(tmp_path_factory):
    """A small design folder (CRN stages only) to spoil."""
    d = tmp_path_factory.mktemp("crn")
    (d / "r.crn").write_text("@input x A\n@output y B\nA + A -> B\n")
    code, out = dsdcompile("compile", "r.crn", "--out", "design", "-q", cwd=d)
    assert code == 0, out
    return d / "design"


def test_report_and_sequences_do_not_wait_on_a_fifo_in_the_design(crn_design, tmp_path):
    import shutil

    design = tmp_path / "design"
    shutil.copytree(crn_design, design)
    (design / "summary.json").unlink()
    (design / "summary.json").symlink_to("/dev/zero")
    os.mkfifo(design / "formal.crn.tmp")
    os.mkfifo(design / "strands.csv")
    code, out = dsdcompile("report", "design", "-q", cwd=tmp_path)
    assert code == 0, out
    code, out = dsdcompile("sequences", "design", "-q", cwd=tmp_path)
    assert code == 2 and "design" in one_error(out)


@pytest.mark.parametrize("plan, message", [
    ("[" * 100_000, "nested too deeply"), ("[]", "not a dsdcompile lab plan"),
    ('{"format": "dsdcompile-lab-plan"}', "invalid lab plan"), ('{"format": 5}', "not a dsdcompile lab plan"),
])
def test_mix_refuses_a_spoiled_lab_plan_naming_it(files, plan, message):
    from dsdcompile.lab.mix import FORMAT

    (files / "design" / "lab_plan.json").write_text(plan.replace("dsdcompile-lab-plan", FORMAT))
    (files / "s.csv").write_text("5.1,3.5,1.4,0.2\n")
    code, out = dsdcompile("mix", "design", "--inputs", "s.csv", "--out", "mixed", cwd=files)
    line = one_error(out)
    assert code == 2 and "lab_plan.json" in line and message in line


def test_sequences_refuses_a_design_folder_holding_a_fifo_before_any_work(files):
    os.mkfifo(files / "design" / "strands.csv.bak")
    (files / "design" / "summary.json").write_text("{}")
    code, out = dsdcompile("sequences", "design", cwd=files)
    line = one_error(out)
    assert code == 2 and "strands.csv.bak" in line and "named pipe" in line


# -- values that overflow the preprocessing ------------------------------------------------------------------
@pytest.fixture
def model(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": fuzz.GOOD_META}, tmp_path / "iris.pt")
    huge = dict(fuzz.GOOD_META, preprocessing=[{"op": "affine", "scale": [1e300] * 4, "offset": [0.0] * 4}])
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": huge}, tmp_path / "huge.pt")
    (tmp_path / "ok.csv").write_text("5.1,3.5,1.4,0.2\n")
    return tmp_path


@pytest.mark.parametrize("row", ["1e308,3.5,1.4,0.2", "5.1,-1e308,1.4,0.2", "1e200,3.5,1.4,0.2"])
def test_a_value_that_overflows_the_preprocessing_names_file_and_row(model, row):
    (model / "big.csv").write_text(f"5.1,3.5,1.4,0.2\n{row}\n")
    code, out = dsdcompile("compile", "iris.pt", "--inputs", "big.csv", "--out", "o", cwd=model)
    line = one_error(out)  # no RuntimeWarning lines before it
    assert code == 2 and "big.csv:2:" in line and "after the model's preprocessing" in line
    assert not (model / "o").exists() and staging(model) == []


def test_a_model_whose_preprocessing_overflows_is_refused_naming_the_inputs_row(model):
    code, out = dsdcompile("compile", "huge.pt", "--inputs", "ok.csv", "--out", "o", cwd=model)
    line = one_error(out)
    assert code == 2 and "ok.csv:1:" in line and "affine" in line


# -- joins too large to verify --------------------------------------------------------------------------------
@pytest.mark.parametrize("reaction", ["10 A -> B", "7 A -> B", "4 A + 3 C -> B"])
def test_a_join_of_more_than_six_reactants_is_refused_up_front(tmp_path, reaction):
    (tmp_path / "big.crn").write_text(f"@input x A\n@input z C\n@output y B\n{reaction}\n")
    code, out = dsdcompile("compile", "big.crn", "--scheme", "soloveichik2010", "--out", "o", cwd=tmp_path)
    line = one_error(out)
    assert code == 2 and "big.crn" in line and "at most 6" in line
    assert not (tmp_path / "o").exists() and staging(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("reaction", ["6 A -> B", "A -> 10 B", "6 A -> 10 B"])
def test_the_largest_joins_and_fans_are_compiled_and_verified(tmp_path, reaction):
    (tmp_path / "r.crn").write_text(f"@input x A\n@output y B\n{reaction}\n")
    code, out = dsdcompile("compile", "r.crn", "--scheme", "soloveichik2010", "--out", "o", "-q", cwd=tmp_path)
    assert code == 0, out
    assert (tmp_path / "o" / "summary.json").is_file()


# -- scheme plugins in a worker process -----------------------------------------------------------------------
PLUGIN_TAILS = {
    "exits_in_translate.py": ("_translate = translate\ndef translate(r, p, nd):\n    import os\n    os._exit(0)\n",
                              1, "ended its worker process (exit code 0) while translating"),
    "exits_on_import.py": ("import os\nos._exit(0)\n", 1,
                           "ended its worker process (exit code 0) while being imported"),
    "crashes.py": ("def translate(r, p, nd):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n",
                   1, "was killed by signal 9"),
    "raises.py": ("def translate(r, p, nd):\n    raise TypeError('no such shape')\n", 2, "TypeError: no such shape"),
    "bad_result.py": ("def translate(r, p, nd):\n    return 5\n", 2, "not iterable"),
}


@pytest.fixture(scope="module")
def crn_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("plugins")
    (d / "r.crn").write_text("@input x A\n@output y B\nA + A -> B\n")
    return d


@pytest.mark.parametrize("name", sorted(PLUGIN_TAILS))
def test_a_plugin_that_dies_or_fails_is_one_line_naming_it(crn_file, tmp_path, name):
    tail, exit_code, message = PLUGIN_TAILS[name]
    base = "" if name == "exits_on_import.py" else (ROOT / "translation_schemes" / "soloveichik2010.py").read_text()
    (tmp_path / name).write_text(base + "\n" + tail)
    (tmp_path / "r.crn").write_text((crn_file / "r.crn").read_text())
    code, out = dsdcompile("compile", "r.crn", "--scheme", name, "--out", "o", cwd=tmp_path)
    line = one_error(out)
    assert code == exit_code and message in line, line
    assert name in line  # the plugin's file, whether it died (exit 1) or failed (exit 2)
    assert not (tmp_path / "o").exists() and staging(tmp_path) == []


def test_a_plugin_that_works_and_prints_still_compiles(crn_file, tmp_path):
    base = (ROOT / "translation_schemes" / "soloveichik2010.py").read_text()
    (tmp_path / "chatty.py").write_text(base + "\n_t = translate\ndef translate(r, p, nd):\n    print('hi')\n"
                                        "    return _t(r, p, nd)\n")
    (tmp_path / "r.crn").write_text((crn_file / "r.crn").read_text())
    code, out = dsdcompile("compile", "r.crn", "--scheme", "chatty.py", "--out", "o", "-q", cwd=tmp_path)
    assert code == 0, out
    assert (tmp_path / "o" / "summary.json").is_file() and staging(tmp_path) == []


# -- the report's title ---------------------------------------------------------------------------------------
def test_the_report_title_is_the_data_set_else_the_folder(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": dict(fuzz.GOOD_META, dataset="iris")},
               tmp_path / "model.pt")
    torch.save({"state_dict": fuzz._ternary_sd(torch), "meta": fuzz.GOOD_META}, tmp_path / "plain.pt")
    assert dsdcompile("compile", "model.pt", "--out", "a", "-q", cwd=tmp_path)[0] == 0
    assert dsdcompile("compile", "plain.pt", "--out", "my.design", "-q", cwd=tmp_path)[0] == 0
    assert "<title>iris — dsdcompile design</title>" in (tmp_path / "a" / "index.html").read_text()
    page = (tmp_path / "my.design" / "index.html").read_text()
    assert "<title>my.design — dsdcompile design</title>" in page and "model plain.pt" in page
