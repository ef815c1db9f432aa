"""Drop-in shapes of other libraries' streaming APIs, for migrating to instant."""
