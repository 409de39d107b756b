"""habits-service's Django apps live in this package (`habits/<app>/`)."""
