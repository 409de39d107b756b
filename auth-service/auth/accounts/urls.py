from django.urls import path

from auth.accounts import apis

urlpatterns = [
    path("register/", apis.RegisterApi.as_view(), name="register"),
    path("login/", apis.LoginApi.as_view(), name="login"),
    path(".well-known/jwks.json", apis.jwks_view, name="jwks"),
]
