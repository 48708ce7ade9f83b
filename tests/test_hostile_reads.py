"""Hostile input files (issue 22, 2): one bounded, regular-file-only reader
(:func:`approxgen.safeload.open_file`) for specs, artifacts, the build cache and samples, so a
FIFO never hangs, ``/dev/zero`` is never read, headers cannot claim gigabytes; every refusal is one
line, exit 2 (an OS error: 1), nothing touched."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import fit_raw
from hostile import assert_refused, sentinel

from approxgen import calibrate
from approxgen.cli import main
from approxgen.errors import ApproxgenError


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (instead of hanging the suite) when the block takes longer than ``seconds``."""
    def expired(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def work(tmp_path):
    (tmp_path / "s.yaml").write_text("function: gelu\nname: g\ninput: {bits: 4}\nsegments: 2\n")
    (tmp_path / "out").mkdir()
    sentinel(tmp_path / "out" / "keep.txt")
    return tmp_path


def npy_bytes(header: str, data: bytes = b"") -> bytes:
    """A .npy file (version 1.0) with this header dict text, padded like numpy pads it."""
    text = header.encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


# --- the build cache and the files of --out ---------------------------------------------------

@pytest.mark.parametrize("check", [[], ["--check"]])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_build_never_reads_a_fifo_or_a_device_in_out(work, monkeypatch, check, kind):
    def no_work(*args, **kwargs):
        raise AssertionError("fitted before the files of --out were checked")

    monkeypatch.setattr("approxgen.fitting.fit", no_work)
    cache = work / "out" / "g.json"
    if kind == "fifo":
        os.mkfifo(cache)
    else:
        cache.symlink_to("/dev/zero")
    with deadline(20):
        assert_refused(["build", "s.yaml", "--out", "out", *check], work,
                       names=("g.json", "not a regular file"), cwd=work)


def test_cache_reader_refuses_a_fifo_without_blocking(tmp_path):
    from approxgen.build import cached_fit
    from approxgen.spec import resolve

    os.mkfifo(tmp_path / "g.json")
    with deadline(10):
        assert cached_fit(resolve({"function": "gelu", "name": "g"}), tmp_path) is None


@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: p.symlink_to("/dev/zero"), "not a regular file"),
    (lambda p: p.mkdir(), "directory"),
])
def test_specs_and_artifacts_are_regular_files(work, make, message):
    for name in ("x.yaml", "x.json"):
        make(work / name)
        with deadline(10):
            assert_refused(["emit", "c", name], work, names=(name, message), cwd=work)


def test_stdin_is_bounded(work, monkeypatch):
    from approxgen import safeload

    monkeypatch.setattr(safeload, "MAX_JSON_BYTES", 100)
    before = os.listdir(work)
    result = CliRunner().invoke(main, ["fit", "-", "-q"], input="function: gelu\n" + "#" * 200)
    assert result.exit_code == 2 and "<stdin>" in result.stderr and "larger" in result.stderr
    assert os.listdir(work) == before


# --- samples (--calibrate) ---------------------------------------------------------------------

HUGE_SHAPE = str(2**64)  # over 2^63: numpy's own reader overflows
BAD_SAMPLES = {
    "npy-10-GiB": ("s.npy", npy_bytes(f"{{'descr': '<f8', 'fortran_order': False, 'shape': "
                                      f"({10 << 27},), }}"), "more than"),
    "npy-over-2^63": ("s.npy", npy_bytes(f"{{'descr': '<f8', 'fortran_order': False, 'shape': "
                                         f"({HUGE_SHAPE}, 2), }}"), "more than"),
    "npy-cut-short": ("s.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,"),
                      "not a valid .npy"),
    "npy-data-cut-short": ("s.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, "
                                              "'shape': (3,), }", b"\0" * 9), "cut short"),
    "npy-object": ("s.npy", npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"),
                   "real numbers"),
}


@pytest.mark.parametrize("key", sorted(BAD_SAMPLES))
def test_bad_npy_headers_are_one_line(work, key):
    name, data, message = BAD_SAMPLES[key]
    (work / name).write_bytes(data)
    assert_refused(["fit", "gelu", "-q", "--calibrate", name], work, names=(name, message),
                   cwd=work)


def test_an_npz_that_inflates_to_gigabytes_is_refused_before_inflating(work):
    header = npy_bytes(f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({1 << 30},), }}")
    with zipfile.ZipFile(work / "s.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("a.npy", "w", force_zip64=True) as member:
            member.write(header)
            for _ in range(4):  # 4 MiB of zeros: a few KiB compressed
                member.write(bytes(1 << 20))
    with deadline(10):
        assert_refused(["fit", "gelu", "-q", "--calibrate", "s.npz"], work,
                       names=("s.npz", "more than"), cwd=work)


def test_an_npz_member_that_is_not_npy_is_refused(work):
    with zipfile.ZipFile(work / "s.npz", "w") as archive:
        archive.writestr("a.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, "
                                            "'shape': (1,), }", bytes(8)))
        archive.writestr("notes.txt", "hello")
    assert_refused(["fit", "gelu", "-q", "--calibrate", "s.npz"], work,
                   names=("s.npz", "notes.txt", "not a .npy"), cwd=work)


def test_npz_reads_like_numpy(tmp_path):
    a, b = np.arange(6.0).reshape(2, 3), np.asfortranarray(np.arange(6).reshape(3, 2))
    np.savez(tmp_path / "s.npz", b=b, a=a)
    np.save(tmp_path / "f.npy", b)
    assert calibrate.load_samples(tmp_path / "s.npz").tolist() == \
        a.reshape(-1).tolist() + b.reshape(-1).tolist()
    assert calibrate.load_samples(tmp_path / "f.npy").tolist() == b.reshape(-1).tolist()


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_samples_file_that_is_no_file_is_refused(work, target):
    if target == "fifo":
        os.mkfifo(work / "fifo")
    (work / "s.txt").symlink_to(target)
    with deadline(10):
        assert_refused(["fit", "gelu", "-q", "--calibrate", "s.txt"], work,
                       names=("s.txt", "not a regular file"), cwd=work)


def test_too_many_samples_are_refused(monkeypatch):
    monkeypatch.setattr(calibrate, "MAX_SAMPLES", 10)
    with pytest.raises(ApproxgenError, match="more than 10"):
        calibrate.load_samples(np.zeros(11))


def test_memory_errors_are_one_line_exit_1(work, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(calibrate, "load_samples", exhausted)
    (work / "s.txt").write_text("1 2 3")
    assert_refused(["fit", "gelu", "-q", "--calibrate", "s.txt"], work, status=1,
                   names=("out of memory",), cwd=work)


EVALUATE_UNDER_A_LIMIT = """
import resource, sys
import numpy as np
import approxgen
from approxgen.errors import ApproxgenError
fit = approxgen.fit("gelu", bits=8, segments=2)
codes = np.zeros(10**8, dtype=np.int8)
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (used + (400 << 20), hard))
try:
    fit.evaluate(codes)
except ApproxgenError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc")
def test_evaluate_under_a_memory_limit_is_an_approxgen_error():
    result = subprocess.run([sys.executable, "-c", EVALUATE_UNDER_A_LIMIT], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("codes: not enough memory for 100000000 codes")


def test_evaluate_in_parts_equals_the_model(monkeypatch):
    from approxgen import artifact

    fit = fit_raw(function="gelu", input={"bits": 8}, segments=4)
    codes = np.arange(-128, 128).reshape(16, 16)
    whole = fit.model.evaluate(codes.reshape(-1)).reshape(16, 16)
    monkeypatch.setattr(artifact, "_CHUNK", 7)
    assert np.array_equal(fit.evaluate(codes), whole)


# --- one line for the rest ----------------------------------------------------------------------

def test_a_nul_byte_in_a_spec_is_one_line(work):
    (work / "n.yaml").write_bytes(b"function: gelu\nname: \0x\n")
    assert_refused(["fit", "n.yaml", "-q"], work, names=("n.yaml:2", "U+0000"), cwd=work)


def test_emit_to_a_closed_stdout_is_one_line_exit_1(tmp_path):
    fit_raw(function="gelu", input={"bits": 4}, segments=2).save(str(tmp_path / "g.json"))
    result = subprocess.run(f"exec {sys.executable} -m approxgen emit c g.json >&-", shell=True,
                            cwd=tmp_path, capture_output=False, stderr=subprocess.PIPE,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == "approxgen: error: <stdout>: cannot write: stdout is closed\n"
