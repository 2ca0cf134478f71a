"""`make bench`: the product against the straightforward implementation, on the same data."""
