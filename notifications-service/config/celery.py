from cotask_common.celery import make_celery

app = make_celery("notifications")
