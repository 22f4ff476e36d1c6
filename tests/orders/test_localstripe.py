"""The localstripe the tests start keeps its state to itself (not in the machine-wide
/tmp/localstripe.pickle), so concurrent test runs and benchmarks cannot mix states."""

import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from config.localstripe import localstripe_server

SHARED_FILE = Path("/tmp/localstripe.pickle")  # noqa: S108 (the path localstripe hard-codes)


def _stat(path: Path) -> tuple[int, int] | None:
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


def _customer_create(base: str, email: str) -> str:
    response = requests.post(
        f"{base}/v1/customers", data={"email": email}, auth=("sk_test_state", ""), timeout=5
    )
    response.raise_for_status()
    return response.json()["id"]


def test_each_localstripe_writes_its_own_state_file(tmp_path):
    shared_before = _stat(SHARED_FILE)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()

    with (
        localstripe_server(state_dir=tmp_path / "one") as one,
        localstripe_server(state_dir=tmp_path / "two") as two,
    ):
        customer_one = _customer_create(one, "one@example.com")
        customer_two = _customer_create(two, "two@example.com")

    state_one = pickle.loads((tmp_path / "one" / "localstripe.pickle").read_bytes())  # noqa: S301
    state_two = pickle.loads((tmp_path / "two" / "localstripe.pickle").read_bytes())  # noqa: S301
    assert f"customer:{customer_one}" in state_one
    assert f"customer:{customer_one}" not in state_two
    assert f"customer:{customer_two}" in state_two
    assert _stat(SHARED_FILE) == shared_before  # the shared file was not touched


LAUNCHER = """
import sys, time
from pathlib import Path
from config.localstripe import localstripe_server
with localstripe_server(state_dir=Path(sys.argv[1])) as base:
    print(base, flush=True)
    time.sleep(600)
"""


def _children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


def _is_running(pid: int) -> bool:
    # a zombie (dead, not yet reaped by its new parent) counts as gone
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
@pytest.mark.parametrize("thread", ["main", "helper"])
def test_localstripe_dies_with_a_parent_killed_with_sigkill(tmp_path, thread):
    # given: a process that started localstripe (from its main thread: the kernel's
    # parent-death signal; from a helper thread: the launcher's own watchdog)
    # (the helper's script imports the launcher first: an import inside a thread that
    # outlives the main thread runs during interpreter shutdown, where the Celery app
    # that config/ loads can no longer register its atexit hooks)
    script = (
        LAUNCHER
        if thread == "main"
        else (
            "import threading\nimport config.localstripe\n"
            + "def run():\n"
            + textwrap.indent(LAUNCHER, "    ")
            + "\nthreading.Thread(target=run).start()\n"
        )
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    localstripe_pid = None
    try:
        base = parent.stdout.readline().strip()
        (localstripe_pid,) = _children(parent.pid)
        assert requests.get(f"{base}/js.stripe.com/v3/", timeout=5).ok

        # when: it is killed with SIGKILL (no finally, no atexit)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)

        # then: localstripe is gone within a few seconds (the watchdog looks twice a
        # second and exits outright 5 s after its SIGTERM: 5.5 s at worst, on a loaded
        # machine later still, so a 5 s deadline could fail while the launcher worked)
        deadline = time.monotonic() + 15
        while _is_running(localstripe_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _is_running(localstripe_pid)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{base}/js.stripe.com/v3/", timeout=2)
    finally:  # a failure leaves nothing running behind
        for pid in [*_children(parent.pid), parent.pid] if parent.poll() is None else []:
            os.kill(pid, signal.SIGKILL)
        parent.wait(timeout=5)
        if localstripe_pid is not None and _is_running(localstripe_pid):
            os.kill(localstripe_pid, signal.SIGKILL)


def _listening_addresses(port: int) -> set[str]:
    """The local addresses listening on ``port`` (IPv4 and IPv6), from /proc/net."""
    found = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                packed = bytes.fromhex(address)
                # /proc/net writes each 32-bit word in host (little-endian) order
                words = [packed[i : i + 4][::-1] for i in range(0, len(packed), 4)]
                family = socket.AF_INET if table == "tcp" else socket.AF_INET6
                found.add(socket.inet_ntop(family, b"".join(words)))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads sockets from /proc")
def test_localstripe_listens_on_loopback_only(tmp_path):
    with localstripe_server(state_dir=tmp_path) as base:
        port = int(base.rsplit(":", 1)[1])
        assert _customer_create(base, "loop@example.com")

        assert _listening_addresses(port) == {"127.0.0.1"}
