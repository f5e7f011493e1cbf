"""The desk: the one door every action goes through, with the role map and who is at the keyboard.

The console, the command line, import/export and background jobs all act through ``Desk``."""
