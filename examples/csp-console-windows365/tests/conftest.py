import csp_windows365
import pytest

pytest_plugins = ["console.pytest_plugin"]


@pytest.fixture
def csp_plugins() -> dict[str, object]:
    return {"windows365": csp_windows365}
