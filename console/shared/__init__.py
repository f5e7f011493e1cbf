"""What every package uses: the data model, the clock, money, errors a person can act on, safe text.

Nothing here imports another package of the console."""
