"""``--executor dask``: sweeps and builds on a dask.distributed cluster equal the local run."""

import json

import pytest

from approxgen import parallel
from approxgen.errors import ApproxgenError, OSFailure
from conftest import require_module, run_cli as run

SWEEP = ["sweep", "gelu", "--bits", "6", "--segments", "2,3,4", "--search", "uniform,exact",
         "--no-yosys", "--form", "pwl,table,quadratic", "--json"]
SPECS = {"a.yaml": "name: act_a\nfunction: gelu\ninput: {bits: 6, signed: true, scale: 0.125}\n"
                   "output: {bits: 6, signed: true, scale: 0.0625}\nsegments: 4\n",
         "b.yaml": "name: act_b\nexpr: x * tanh(x)\ninput: {bits: 7, signed: true, scale: 0.0625}\n"
                   "output: {bits: 7, signed: true, scale: 0.0625}\nform: quadratic\n"
                   "segments: 3\n"}


@pytest.fixture(scope="module")
def scheduler():
    """The address of a local dask cluster of two worker processes."""
    distributed = require_module("distributed", "approxgen[dask]")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def rows(result):
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # quiet when all is well: no dask logs
    out = json.loads(result.stdout)
    for row in out:
        row.pop("fit_seconds")  # wall clock
    return out


@pytest.mark.parametrize("per_task", [None, "1"])
def test_a_dask_sweep_gives_the_local_rows_in_order(scheduler, per_task):
    extra = ["--per-task", per_task] if per_task else []
    local = rows(run(*SWEEP))
    remote = rows(run(*SWEEP, "--executor", "dask", "--scheduler", scheduler, *extra))
    assert len(local) == 13 and remote == local


def test_a_dask_build_writes_the_local_files(scheduler, tmp_path):
    for name, text in SPECS.items():
        (tmp_path / name).write_text(text)
    assert run("build", ".", "-o", "local", "-q", cwd=tmp_path).returncode == 0
    result = run("build", ".", "-o", "remote", "-q", "--executor", "dask", "--scheduler",
                 scheduler, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    local = {p.name: p.read_bytes() for p in (tmp_path / "local").iterdir()}
    remote = {p.name: p.read_bytes() for p in (tmp_path / "remote").iterdir()}
    assert len(local) >= 10 and remote == local


@pytest.mark.parametrize("args, message", [
    (["--executor", "dask"], "--scheduler: --executor dask needs the scheduler's address"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler: only with --executor dask"),
    (["--per-task", "2"], "--per-task: only with --executor dask"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "-j", "2"],
     "--jobs: is for --executor local"),
    (["--executor", "dask", "--scheduler", "nonsense"], "--scheduler: not a scheduler address"),
    (["--executor", "dask", "--scheduler", "tcp://h:port"], "not a scheduler address"),
    (["--executor", "ray"], "--executor: 'ray' is not one of"),
])
def test_bad_executor_flags_exit_2_with_one_line(tmp_path, args, message):
    require_module("distributed", "approxgen[dask]")
    for command in (["sweep", "gelu", "--bits", "4", "--no-yosys"], ["build", ".", "-o", "g"]):
        result = run(*command, *args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and len(result.stderr.strip().splitlines()) <= 3
        assert list(tmp_path.iterdir()) == []


def test_an_unreachable_scheduler_is_one_os_failure(monkeypatch):
    require_module("distributed", "approxgen[dask]")
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 0.5)
    executor = parallel.make("dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(OSFailure, match="cannot connect to the dask scheduler"):
        list(executor.map(print, [(1,)]))


def test_a_worker_of_another_version_is_refused():
    with pytest.raises(ApproxgenError, match="install the same version on every worker"):
        parallel._run_chunk(print, [(1,)], "0.0.0-other")


def test_local_is_the_default_and_keeps_the_order():
    executor = parallel.make()
    assert isinstance(executor, parallel.Local) and executor.serial and executor.here
    assert list(parallel.make("local", jobs=2).map(pow, [(2, k) for k in range(6)])) == \
        [1, 2, 4, 8, 16, 32]
