"""social-service's Django apps live in this package (`social/<app>/`)."""
