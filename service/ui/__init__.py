"""The web interface: home, browse, the query editor, the path explorer and the influence view."""
