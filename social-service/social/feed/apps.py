from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "social.feed"
    label = "social_feed"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from social.core.feed_writes import register
        from social.feed import cards
        from social.feed.writes import TimelineWrites
        from social.pages.models import Page
        from social.posts.models import Post

        # Posts and pages (below the feed) tell it about their writes through this interface.
        register(TimelineWrites())

        # Every save of a post or page drops its rendered card (after commit). No post_delete
        # receiver for posts: it would turn a page's cascade delete into one signal per post,
        # and a post whose page is gone is hidden by the page's card anyway.
        post_save.connect(
            lambda instance, **_: cards.forget_posts([instance.pk]),
            sender=Post,
            weak=False,
            dispatch_uid="feed-card-post-saved",
        )
        for signal in (post_save, post_delete):
            signal.connect(
                lambda instance, **_: cards.forget_pages([instance.pk]),
                sender=Page,
                weak=False,
                dispatch_uid=f"feed-card-page-{signal is post_save}",
            )
