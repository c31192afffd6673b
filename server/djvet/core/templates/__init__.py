"""Django- and Jinja2-template tokenizing with exact spans."""
