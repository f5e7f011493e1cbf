"""CSP Triage Console: a keyboard-first terminal console for CSP partners' support desks."""

__version__ = "0.1.0"
