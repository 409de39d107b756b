from django.urls import path

from tasks.rooms import apis

urlpatterns = [
    path("rooms/", apis.RoomListApi.as_view(), name="rooms"),
    path("rooms/join/", apis.JoinApi.as_view(), name="room-join"),
    path("personal/", apis.PersonalSpaceApi.as_view(), name="personal-space"),
    path("rooms/<str:room_id>/", apis.RoomDetailApi.as_view(), name="room"),
    path("rooms/<str:room_id>/join-code/", apis.JoinCodeApi.as_view(), name="room-join-code"),
    path("rooms/<str:room_id>/leave/", apis.LeaveApi.as_view(), name="room-leave"),
    path("rooms/<str:room_id>/members/", apis.MemberListApi.as_view(), name="room-members"),
    path(
        "rooms/<str:room_id>/members/<str:user_id>/",
        apis.MemberDetailApi.as_view(),
        name="room-member",
    ),
    path(
        "rooms/<str:room_id>/transfer-ownership/",
        apis.TransferOwnershipApi.as_view(),
        name="room-transfer-ownership",
    ),
    path("rooms/<str:room_id>/labels/", apis.LabelListApi.as_view(), name="room-labels"),
    path(
        "rooms/<str:room_id>/labels/<str:label_id>/",
        apis.LabelDetailApi.as_view(),
        name="room-label",
    ),
    path("rooms/<str:room_id>/history/", apis.HistoryApi.as_view(), name="room-history"),
]
