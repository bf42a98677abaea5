from django.urls import path

from ops import views

# Served by ops.middleware.HealthCheckMiddleware before the other middleware; the patterns make them reversible
# and keep them working if the middleware is left out.
urlpatterns = [
    path("health/live/", views.live, name="health_live"),
    path("health/ready/", views.ready, name="health_ready"),
    path("health/worker/", views.worker, name="health_worker"),
]
