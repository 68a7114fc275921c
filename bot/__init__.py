"""deskbot: book a coworking desk near home by one chat message."""

__version__ = "0.1.0"
