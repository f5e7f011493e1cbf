"""The console's screens (Textual only; they ask the core in workers and never run SQL)."""
