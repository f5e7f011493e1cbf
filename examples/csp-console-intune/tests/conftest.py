import csp_intune
import pytest

pytest_plugins = ["console.pytest_plugin"]


@pytest.fixture
def csp_plugins() -> dict[str, object]:
    return {"intune": csp_intune}


@pytest.fixture
def csp_settings() -> dict[str, dict[str, object]]:
    return {"intune": {"teams_webhook": "", "stale_days": 45}}
