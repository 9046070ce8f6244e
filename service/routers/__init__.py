"""One router per feature; ``service.app.create_app`` includes them all."""
