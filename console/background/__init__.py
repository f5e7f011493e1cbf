"""Background work: the console's periodic jobs and the leases that keep once-per-workspace jobs single.

A job's failure is reported to the log and the health board, never silent."""
