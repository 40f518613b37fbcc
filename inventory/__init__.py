"""The store and the domain vocabulary every other package speaks."""
