"""The bottom layer of social-service (see `.importlinter`): what every app shares and no app
owns. It imports no app of social-service."""
