"""Django knowledge over the project index: views and handlers, models and managers, URL names."""
