"""The desk: the one door every action goes through, with the role map and who is at the keyboard.

The console, the command line, import/export and the background jobs act through ``Desk``; the jobs' own
bookkeeping (leases, the health trend's samples) is no agent's action and needs no role."""
