"""The localstripe the tests start keeps its state to itself (not in the machine-wide
/tmp/localstripe.pickle), so concurrent test runs and benchmarks cannot mix states."""

import pickle
from pathlib import Path

import requests

from orders.localstripe import localstripe_server

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
