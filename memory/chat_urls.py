from django.urls import path

from memory import chat_views

urlpatterns = [
    path("", chat_views.chat, name="chat"),
    path("<int:conversation_id>/", chat_views.chat_conversation, name="chat-conversation"),
    path("<int:conversation_id>/send/", chat_views.chat_send, name="chat-send"),
    path("<int:conversation_id>/rename/", chat_views.chat_rename, name="chat-rename"),
    path("<int:conversation_id>/delete/", chat_views.chat_delete, name="chat-delete"),
]
