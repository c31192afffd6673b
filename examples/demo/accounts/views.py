"""Account views: one logs users out on GET (DJV103), one accepts POST only (DJV101 on links)."""

from django.contrib.auth import logout
from django.shortcuts import redirect
from django.views.decorators.http import require_POST


def quick_logout(request):
    """Logs out on GET: any page on the web can log your users out with an <img> (DJV103)."""
    logout(request)
    return redirect("/")


@require_POST
def sign_out(request):
    """POST only: a plain link to it gets 405 Method Not Allowed (DJV101 on the link)."""
    logout(request)
    return redirect("/")
