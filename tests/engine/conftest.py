from .builders import make_context

__all__ = ["make_context"]
