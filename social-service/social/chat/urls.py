from django.urls import path

from social.chat import apis

C = "chat/conversations/<uuid:conversation_id>/"
M = C + "messages/<uuid:message_id>/"

urlpatterns = [
    path("chat/conversations/", apis.ConversationsApi.as_view(), name="chat-conversations"),
    path("chat/direct/", apis.DirectApi.as_view(), name="chat-direct"),
    path("chat/groups/", apis.GroupsApi.as_view(), name="chat-groups"),
    path("chat/support/", apis.SupportApi.as_view(), name="chat-support"),
    path("chat/support/queue/", apis.SupportQueueApi.as_view(), name="chat-support-queue"),
    path("chat/unread/", apis.UnreadApi.as_view(), name="chat-unread"),
    path("chat/settings/", apis.SettingsApi.as_view(), name="chat-settings"),
    path("chat/search/", apis.SearchApi.as_view(), name="chat-search"),
    path(C, apis.ConversationApi.as_view(), name="chat-conversation"),
    path(C + "members/", apis.MembersApi.as_view(), name="chat-members"),
    path(C + "members/<uuid:user_id>/", apis.MemberApi.as_view(), name="chat-member"),
    path(C + "admins/<uuid:user_id>/", apis.AdminsApi.as_view(), name="chat-admin"),
    path(C + "leave/", apis.LeaveApi.as_view(), name="chat-leave"),
    path(C + "mute/", apis.MuteApi.as_view(), name="chat-mute"),
    path(C + "read/", apis.ReadApi.as_view(), name="chat-read"),
    path(C + "messages/", apis.MessagesApi.as_view(), name="chat-messages"),
    path(M, apis.MessageApi.as_view(), name="chat-message"),
    path(M + "reaction/", apis.ReactionApi.as_view(), name="chat-reaction"),
    path(M + "report/", apis.ReportApi.as_view(), name="chat-report"),
]
