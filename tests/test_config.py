"""Configs: one place for defaults, the same checks and the same values from the API and the CLI."""

import dataclasses
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dsdcompile import config as C
from dsdcompile import constructions
from dsdcompile.cli import main
from dsdcompile.cli.compile import run_config
from dsdcompile.errors import InputError

CRN = "@input x X\n@output y Y\nX -> Y\n"


def _summary_config(tmp_path, *args):
    (tmp_path / "a.crn").write_text(CRN)
    out = tmp_path / "d"
    res = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--out", str(out), "-q", *map(str, args)])
    assert res.exit_code == 0, res.output
    return json.loads((out / "summary.json").read_text())["config"]


def _as_json(config: C.RunConfig) -> dict:
    return json.loads(json.dumps(config.to_dict()))


def test_cli_defaults_are_the_api_defaults(tmp_path):
    """The command without options records exactly RunConfig() (quiet aside): no second set of defaults."""
    assert _summary_config(tmp_path) == _as_json(dataclasses.replace(C.RunConfig(), quiet=True))


def test_cli_options_map_to_the_same_config_as_the_api(tmp_path):
    got = _summary_config(tmp_path, "--module-timeout", 7, "--workers", 1, "--executor", "serial", "--unit-nM", 3,
                          "--rate-unit-nM", 2, "--volume-uL", 50, "--leak", 1.5, "--ode-examples", 4,
                          "--no-verify-whole", "--annihilation")
    api = C.RunConfig(
        compile=C.CompileConfig(annihilation=True),
        agreement=C.AgreementConfig(ode_examples=4),
        execution=C.ExecutionConfig(executor="serial", workers=1, module_timeout=7.0),
        kinetics=C.KineticsConfig(unit_nM=3.0, leak=1.5),
        rate_fuel=C.RateFuelConfig(unit_nM=2.0),
        lab=C.LabConfig(volume_uL=50.0),
        verify_whole=False,
        quiet=True,
    )
    assert got == _as_json(api)
    # the module time limit governs enumeration and verification alike: one value, one place
    assert got["execution"]["module_timeout"] == 7.0
    assert "module_timeout" not in got["verification"] and "module_timeout" not in got["enumeration"]
    assert run_config(module_timeout=7.0, executor="serial", workers=1, unit_nm=3.0, rate_unit_nm=2.0, volume_ul=50.0,
                      leak=1.5, ode_examples=4, verify_whole=False, annihilation=True, quiet=True) == api


def test_run_config_takes_the_compile_options_with_their_defaults():
    """One table makes both: every option of `compile` but --out, --force and --inputs is a run_config keyword with
    the option's default, and run_config refuses a keyword that is no option."""
    import inspect

    import click

    command = main.commands["compile"]
    options = {p.name: p.default for p in command.params
               if isinstance(p, click.Option) and p.name not in ("out_dir", "force", "inputs", "help")}
    keywords = inspect.signature(run_config).parameters
    assert len(options) == 43 and {name: p.default for name, p in keywords.items()} == options
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in keywords.values())
    with pytest.raises(TypeError, match="unit_nM"):
        run_config(unit_nM=3.0)


@pytest.mark.parametrize("make, field", [
    (lambda: C.SimulationConfig(rate=0.0), "SimulationConfig.rate"),
    (lambda: C.SimulationConfig(t_max=float("inf")), "SimulationConfig.t_max"),
    (lambda: C.KineticsConfig(unit_nM=-1.0), "KineticsConfig.unit_nM"),
    (lambda: C.KineticsConfig(rate_draws=0), "KineticsConfig.rate_draws"),
    (lambda: C.KineticsConfig(rate_min=10.0, rate_max=1.0), "rate_min"),
    (lambda: C.LabConfig(input_volume_fraction=1.5), "LabConfig.input_volume_fraction"),
    (lambda: C.RateFuelConfig(fuel_safety=float("nan")), "RateFuelConfig.fuel_safety"),
    (lambda: C.ExecutionConfig(executor="dask"), "scheduler"),
    (lambda: C.ExecutionConfig(executor="mpi"), "ExecutionConfig.executor"),
    (lambda: C.ExecutionConfig(workers=0), "ExecutionConfig.workers"),
    (lambda: C.DSDConfig(max_products=0), "DSDConfig.max_products"),
    (lambda: C.VerificationConfig(method="guess"), "VerificationConfig.method"),
    (lambda: C.CompileConfig(epsilon=-0.1), "CompileConfig.epsilon"),
    (lambda: C.CompileConfig(construction="lotka"), "unknown construction"),
    (lambda: C.AgreementConfig(ode_crn="both"), "AgreementConfig.ode_crn"),
    (lambda: C.RunConfig(dsd_crn="neither"), "RunConfig.dsd_crn"),
])
def test_configs_check_their_own_values(make, field):
    """The API gets the checks the CLI used to do alone, each naming the field."""
    with pytest.raises(InputError, match=field):
        make()


def test_bad_option_values_exit_2_with_one_line(tmp_path):
    (tmp_path / "a.crn").write_text(CRN)
    for args in (["--rate", "0"], ["--executor", "dask"], ["--unit-nM", "-3"], ["--max-products", "0"]):
        res = CliRunner().invoke(main, [str(tmp_path / "a.crn"), "--out", str(tmp_path / "d"), *args])
        assert res.exit_code == 2, (args, res.output)
        errors = [line for line in res.output.splitlines() if line.startswith("dsdcompile: error:")]
        assert len(errors) == 1 and "Traceback" not in res.output, res.output
        assert not (tmp_path / "d").exists()


def test_construction_names_live_in_the_registry_only():
    """No stage compares a construction's name: every question goes to the registry's object."""
    import pathlib
    import re

    root = pathlib.Path(constructions.__file__).parent
    pattern = re.compile(r"""(==|!=|\bin\b)\s*\(?\s*["'](vasic2020|anderson2021)["']""")
    offenders = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py") if p.name != "constructions.py"
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_help_imports_no_heavy_library():
    """`dsdcompile --help` loads click and the configs only: numpy, torch, peppercorn and ViennaRNA wait."""
    code = ("import sys; import dsdcompile.cli; "
            "print(sorted(m for m in ('numpy', 'torch', 'scipy', 'matplotlib', 'peppercornenumerator', 'RNA', "
            "'crnverifier') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
