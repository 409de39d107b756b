from django.contrib import admin

from social.mentors.models import LearningOffer, LearningRequest, MentorProfile, Review


@admin.register(MentorProfile)
class MentorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "years_experience", "reviews_count", "average", "rank")
    readonly_fields = [f.name for f in MentorProfile._meta.fields if f.name.startswith("rating")]
    raw_id_fields = ("user", "page")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("id", "mentor", "student", "rating", "removed_at")
    raw_id_fields = ("mentor", "student", "removed_by")
    readonly_fields = ("rating",)  # the aggregate changes only through the services


@admin.register(LearningRequest)
class LearningRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "subject", "visibility", "status", "created_at")
    list_filter = ("status", "visibility")
    raw_id_fields = ("author",)
    # Status changes go through the services (offers are declined, the conversation opened).
    readonly_fields = ("status", "closed_at", "conversation_id")


@admin.register(LearningOffer)
class LearningOfferAdmin(admin.ModelAdmin):
    list_display = ("id", "request", "mentor", "status", "created_at")
    raw_id_fields = ("request", "mentor")
    readonly_fields = ("status",)
