"""The shared kit of the CoTask services."""
