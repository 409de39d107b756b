"""tasks-service's Django apps live in this package (`tasks/<app>/`)."""
