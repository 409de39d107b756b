// The client developer's journey through nginx with a TypeScript client generated from the
// documents (openapi-typescript types, openapi-fetch calls): register, log in, refresh, create a
// page, upload an image, follow, post, read the feed, like, read notifications.
//
// `tsc` checks every call against the generated types (a path, parameter or field the document
// no longer has does not compile); the checks below hold the answers to the behaviour.
// Usage: node dist/journey.js <gateway URL>

import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";

import type { paths as AuthPaths } from "./generated/auth.js";
import type { paths as MediaPaths } from "./generated/media.js";
import type { paths as NotificationsPaths } from "./generated/notifications.js";
import type { paths as SocialPaths } from "./generated/social.js";

const gateway = process.argv[2];
if (!gateway) {
  throw new Error("usage: node dist/journey.js <gateway URL>");
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) {
    throw new Error(`journey: ${what}`);
  }
}

function bearer(token: string): { headers: { Authorization: string } } {
  return { headers: { Authorization: `Bearer ${token}` } };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) {
      return found;
    }
    check(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const auth = createClient<AuthPaths>({ baseUrl: gateway });

interface Person {
  id: string;
  token: string;
}

async function person(): Promise<Person> {
  const username = `ts_${randomUUID().slice(0, 10).replace("-", "")}`;
  const password = `Pw-${randomUUID()}`;
  const registered = await auth.POST("/api/auth/register/", {
    body: { username, email: `${username}@example.com`, password },
  });
  check(registered.response.status === 201 && registered.data, "register answers 201");
  const login = await auth.POST("/api/auth/login/", { body: { login: username, password } });
  check(login.data?.refresh, "login gives a token pair");
  const renewed = await auth.POST("/api/auth/token/refresh/", {
    body: { refresh: login.data.refresh },
  });
  check(renewed.data, "refresh gives a new pair");
  check(renewed.data.access !== login.data.access, "refresh gives a new access token");
  check(renewed.data.session_id === login.data.session_id, "refresh keeps the session");
  return { id: registered.data.id, token: renewed.data.access };
}

const social = createClient<SocialPaths>({ baseUrl: gateway });
const media = createClient<MediaPaths>({ baseUrl: gateway });
const notifications = createClient<NotificationsPaths>({ baseUrl: gateway });

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC",
  "base64",
);

async function main(): Promise<void> {
  const ada = await person();
  const reader = await person();

  const handle = `ts_${randomUUID().slice(0, 8)}`;
  const page = await social.POST("/api/social/pages/", {
    body: { handle, name: "TypeScript club" },
    ...bearer(ada.token),
  });
  check(page.response.status === 201 && page.data?.handle === handle, "a page is created");

  const uploaded = await media.POST("/api/media/files/", {
    body: { file: "chart.png", purpose: "post_image" },
    // The document types the file as a string (binary); the request sends the bytes.
    bodySerializer: (body) => {
      const form = new FormData();
      form.append("purpose", body.purpose);
      form.append("file", new Blob([PNG], { type: "image/png" }), body.file);
      return form;
    },
    ...bearer(ada.token),
  });
  check(uploaded.response.status === 201 && uploaded.data, "the image is uploaded");
  check(uploaded.data.status === "ready", "an image is ready at once");
  check(uploaded.data.owner_id === ada.id, "the image is Ada's");
  const imageId = uploaded.data.id;

  const follow = await social.POST("/api/social/pages/{ref}/follow/", {
    params: { path: { ref: handle } },
    ...bearer(reader.token),
  });
  check(follow.data?.status === "approved", "a public page is followed at once");

  // social learns of the image from media's event (Kafka): until then it is unknown there.
  const post = await waitFor("the image known to social", async () => {
    const answer = await social.POST("/api/social/pages/{ref}/posts/", {
      params: { path: { ref: handle } },
      body: { text: "made with a TypeScript client", media_ids: [imageId] },
      ...bearer(ada.token),
    });
    if (answer.error?.code === "media_not_found") {
      return undefined;
    }
    check(answer.response.status === 201 && answer.data, `the post is created (${answer.response.status})`);
    return answer.data;
  });

  const feed = await social.GET("/api/social/feed/", {
    params: { query: { page_size: 5 } },
    ...bearer(reader.token),
  });
  check(feed.data, "the feed is read");
  check(
    feed.data.results.length === 1 && feed.data.results[0]?.id === post.id,
    "the feed shows the post",
  );

  const liked = await social.POST("/api/social/posts/{post_id}/like/", {
    params: { path: { post_id: post.id } },
    ...bearer(reader.token),
  });
  check(liked.response.ok, "the like is taken");
  const seen = await social.GET("/api/social/posts/{post_id}/", {
    params: { path: { post_id: post.id } },
    ...bearer(reader.token),
  });
  check(seen.data?.like_count === 1 && seen.data.liked === true, "the post counts the like");

  const like = await waitFor("the like notification", async () => {
    const listed = await notifications.GET("/api/notifications/", bearer(ada.token));
    check(listed.data, "the notifications are read");
    return listed.data.results.find((n) => n.type === "like");
  });
  check(like.actor?.id === reader.id && like.read === false, "the like notification names the reader");
  const unread = await notifications.GET("/api/notifications/unread-count/", bearer(ada.token));
  check(unread.data && unread.data.unread >= 1, "the unread count includes it");

  const refused = await social.GET("/api/social/feed/", bearer("not-a-token"));
  check(refused.response.status === 401 && refused.error?.code, "a bad token is a 401 with a code");

  console.log(JSON.stringify({ journey: "ok", post: post.id, notification: like.id }));
}

await main();
