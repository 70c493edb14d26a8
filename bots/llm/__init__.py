"""Chat models: the cloud providers, the offline intent model, and the order they are tried in."""
