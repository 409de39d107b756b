from cotask_common.entrypoints import wsgi_application

application = wsgi_application()
