"""Package data, not code: shipped inside the runtime as ``govhub.templates`` (see ``govhub.resources``)."""
