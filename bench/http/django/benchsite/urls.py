"""The endpoint: the Go servers in bench/http do the same work."""
from django.http import HttpResponse, JsonResponse
from django.urls import path


def bench(request):
    # request.user is get_user(): the user id from the session, the row from
    # auth_user, the session auth hash checked against the password field.
    user = request.user
    if not user.is_authenticated:
        return HttpResponse("anonymous", status=403)
    hits = request.session.get("hits", 0) + 1
    request.session["hits"] = hits  # SessionMiddleware saves it
    return JsonResponse({"user": str(user.pk), "hits": hits})


urlpatterns = [path("bench/", bench)]
