"""newsgrab: keep the web sources of a local document collection alive."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/newsgrab/newsgrab"
USER_AGENT = f"newsgrab/{__version__} (+{PROJECT_URL})"

__all__ = ["PROJECT_URL", "USER_AGENT", "__version__"]
