"""media-service's Django apps live in this package (`media/<app>/`)."""
