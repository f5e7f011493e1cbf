"""A local stand-in for Partner Center and the Azure Support API on 127.0.0.1, with switchable faults.

The test suite talks to it instead of Microsoft, and ``csp-console sandbox`` runs it over the demo data so
that a new user can try sync and escalation without credentials.
"""

from console.sandbox.server import Sandbox
from console.sandbox.state import SandboxState

__all__ = ["Sandbox", "SandboxState"]
