"""Services as data: schema-validated models rendered by per-platform Jinja2 templates into
the configuration each service owns on each device."""
