"""Shared fixtures: Meta's reference data beside the checkout (../shared/reference), which the
compatibility tests read by path. Without it they skip, and under CI=true they fail."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("VIGIL_REFERENCE", REPO.parent / "shared" / "reference"))


def need(condition: bool, what: str) -> None:
    """Skips the test (fails it under CI=true) when ``condition`` does not hold."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: nothing may skip)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def reference() -> Path:
    need(REFERENCE.is_dir(), f"reference data not found at {REFERENCE}")
    return REFERENCE


def read_csv(path: Path):
    """Rows of a reference CSV (``hash,...,quality,path``), skipping a header."""
    rows = []
    for line in path.read_text().splitlines():
        if not line or line.startswith("hash"):
            continue
        rows.append(line.split(","))
    return rows
