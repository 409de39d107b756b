# CoTask: one entry point for developers and CI.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
SERVICES := auth social tasks habits media notifications

.PHONY: help install run test test-unit test-e2e lint format infra-up infra-down infra-status migrations bench bench-soak bench-habits bench-chat-delivery bench-cards bench-cards-import bench-task-reminders bench-task-analytics bench-agenda bench-video bench-concretizer bench-mentor-search bench-learning-match events-doc messages compilemessages

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install:  ## install the pinned Python dependencies of every service into .venv
	@scripts/bootstrap

run: install  ## the whole system on embedded defaults behind nginx on :8080 (Ctrl-C stops it)
	.venv/bin/python scripts/stack.py

test: install  ## start real PostgreSQL, Redis, Kafka, S3 and nginx, then run every suite
	scripts/test

test-unit: install  ## every service's suite only (expects `make infra-up`)
	scripts/test --unit

test-e2e: install  ## the end-to-end suite only (expects `make infra-up`)
	scripts/test --e2e

lint:  install ## ruff, the import contracts (.importlinter) and mypy against its baseline
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python scripts/check_imports.py
	.venv/bin/python scripts/typecheck.py

format: install  ## apply ruff's fixes and formatting
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

infra-up:  ## start the local PostgreSQL, Redis, Kafka and S3 servers
	scripts/infra up

infra-down:  ## stop them
	scripts/infra down

infra-status:  ## are they answering?
	scripts/infra status

events-doc: install  ## write docs/events.md from the event declarations (libs/cotask-common/src/cotask_common/contracts/)
	.venv/bin/python scripts/events_doc.py

messages: install  ## add the code's new texts to every catalogue (locale/<lang>/LC_MESSAGES/django.po)
	.venv/bin/python scripts/messages.py extract

compilemessages: install  ## compile every catalogue's .mo (commit it with the .po)
	.venv/bin/python scripts/messages.py compile

migrations: install  ## make migrations for every service (after model changes)
	@for s in $(SERVICES); do (cd $$s-service && ../.venv/bin/python manage.py makemigrations) || exit 1; done

bench: install  ## run the benchmarks in bench/ and print their figures
	@failed=""; for b in bench/*.py; do echo "== $$b"; .venv/bin/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "did not run:$$failed"; fi

bench-soak: install  ## the fault suite's mixed load on the real stack for MINUTES (10): errors, p50/p99 a minute, memory
	.venv/bin/python bench/soak.py --minutes $(or $(MINUTES),10)

bench-habits: install  ## habits: check-in p99 through nginx, a year's heatmap, one reminder pass
	.venv/bin/python bench/habits.py

bench-cards: install  ## cards: answer p99 through nginx at 4 clients, a 50,000-card due queue, a fit on 20,000 reviews
	.venv/bin/python bench/cards.py

bench-cards-import: install  ## habits: importing a generated 10,000-card Anki .apkg (target <= 30 s)
	.venv/bin/python bench/cards_import.py

bench-task-reminders: install  ## tasks: one deadline reminder pass over 1,000,000 tasks
	.venv/bin/python bench/task_reminders.py

bench-chat-delivery: install  ## chat through nginx, Kafka and Redis: 100 direct messages/s to sockets, a 500-member group, history at 4 clients
	.venv/bin/python bench/chat_delivery.py

bench-social-chat: install  ## social chat: history pages, the conversation list and sending over 1,000,000 messages
	.venv/bin/python bench/social_chat.py

bench-task-analytics: install  ## tasks: one analytics read over aggregates of 10k and 1M tasks
	.venv/bin/python bench/task_analytics.py

bench-video: install  ## media: converting a generated 60-second 720p video to the 720p/360p MP4s (target <= 2x its length)
	.venv/bin/python bench/video_transcode.py

bench-agenda: install  ## tasks: one person's agenda (500 open tasks, 20 habits, 5,000 cards; target p99 <= 20 ms)
	.venv/bin/python bench/agenda.py

bench-mentor-search: install  ## social: mentor search with text, subject, rating and language over 100,000 mentors (target p99 <= 30 ms at 4 clients)
	.venv/bin/python bench/mentor_search.py $(ARGS)

bench-learning-match: install  ## social: a learning request's matching mentors over 100,000 mentors (target p99 <= 30 ms at 4 clients)
	.venv/bin/python bench/social_learning_match.py $(ARGS)

bench-concretizer: install  ## tasks: the concretizer's 30-goal evaluation set (PROVIDER=llm: the configured API), scores, latency
	.venv/bin/python bench/concretizer_eval.py --provider $(or $(PROVIDER),rules)
