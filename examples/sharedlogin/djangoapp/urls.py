from django.contrib import admin
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.html import format_html, format_html_join


def page(request):
    """Who Django thinks is logged in, and the session's cart."""
    user = request.user.get_username() if request.user.is_authenticated else "anonymous"
    cart = format_html_join("", "<li>{}</li>", ((item,) for item in request.session.get("cart", [])))
    return HttpResponse(format_html(
        """<!doctype html><title>Django</title>
<body style="font-family:sans-serif;background:#e8f4ea">
<h1>Django page</h1>
<p>Logged in as: <b id="user">{}</b></p>
<p>Cart:</p><ul id="cart">{}</ul>
<p><a href="/admin/login/?next=/django/">log in</a> ·
<a href="/admin/password_change/">change password</a> ·
<a href="/go/">the Go page</a></p>
<form method="post" action="/admin/logout/">
<input type="hidden" name="csrfmiddlewaretoken" value="{}"><button id="django-logout">log out (Django)</button></form>
""", user, cart, get_token(request)))


urlpatterns = [
    path("django/", page),
    path("admin/", admin.site.urls),
]
