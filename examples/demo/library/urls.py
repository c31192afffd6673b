"""Library routes; each view module brings its own list."""

from . import views_async, views_cbv

app_name = "library"

urlpatterns = [*views_cbv.urlpatterns, *views_async.urlpatterns]
