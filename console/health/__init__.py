"""Queue health for team leads: the board's figures and the queue filter each one jumps to.

Computed from small covering indexes and rollups in the store."""
