"""The example third-party plugin installs, loads through the entry point and contributes findings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "csp-console-windows365"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # pip builds in the source tree (build/, *.egg-info): from a copy, so that parallel workers each building
    # their own never share those directories.
    source = tmp_path_factory.mktemp("example") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return target


def run(site: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args], capture_output=True, text=True, env=env, check=False, cwd=ROOT
    )


def test_example_shows_in_plugins(site: Path, tmp_path: Path) -> None:
    proc = run(site, tmp_path, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    w365 = plugins["windows365"]
    assert w365["version"] == "1.1.0" and w365["module"] == "csp_windows365"
    assert w365["services"] == ["windows365"] and w365["errors"] == []
    assert "windows365.business_cap" in w365["checks"]
    assert {"azure", "office365", "dynamics365", "common"} <= set(plugins)


def test_example_contributes_findings(site: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    cid = "c-1"
    (tmp_path / "customers.jsonl").write_text(
        json.dumps({"id": cid, "domain": "d.example", "companyName": "Cloud PC Co"}) + "\n"
    )
    (tmp_path / "subscriptions.jsonl").write_text(
        json.dumps(
            {
                "id": "s-1",
                "customerId": cid,
                "service": "windows365",
                "offerId": "W365",
                "offerName": "Windows 365 Business",
                "quantity": 320,
                "status": "active",
                "creationDate": "2025-01-01T00:00:00Z",
            }
        )
        + "\n"
    )
    (tmp_path / "tickets.jsonl").write_text(
        json.dumps(
            {
                "id": "CSP-000001",
                "customerId": cid,
                "channel": "email",
                "service": "windows365",
                "category": "subscription",
                "createdDate": "2026-11-20T00:00:00Z",
                "title": "Add 20 Cloud PCs",
            }
        )
        + "\n"
    )
    files = [str(tmp_path / f) for f in ("customers.jsonl", "subscriptions.jsonl", "tickets.jsonl")]
    proc = run(site, tmp_path, "import", "--db", str(db), *files)
    assert proc.returncode == 0, proc.stderr  # the plugin's service is accepted by the import
    proc = run(site, tmp_path, "triage", "--db", str(db), "--ticket", "CSP-000001", "--json")
    assert proc.returncode == 0, proc.stderr
    checks = [json.loads(line)["checkId"] for line in proc.stdout.splitlines()]
    assert "windows365.business_cap" in checks


def test_example_own_tests_pass(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=EXAMPLE,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "9 passed" in proc.stdout
