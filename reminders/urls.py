from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("history/", views.log_list, name="log-list"),
    path("consultations/<slug:slug>/watch/", views.watch, name="watch"),
    path("calendar/", views.calendar_settings, name="calendar-settings"),
    path("calendar/regenerate/", views.calendar_regenerate, name="calendar-regenerate"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
