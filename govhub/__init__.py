"""govhub: trustworthy-AI gates and the platform that enforces them."""

__version__ = "0.1.0"
