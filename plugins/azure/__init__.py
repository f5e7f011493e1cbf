"""The azure service plugin: its billing, subscription-management and technical checks and escalation handlers."""
