/* The docs page's login: one form signs the reader in to all six documents at once.
 *
 * Every service's document names its bearer scheme `jwtAuth`, so the access token handed to
 * Swagger UI (`preauthorizeApiKey`) is sent by "Try it out" in whichever document is open, and
 * `persistAuthorization` keeps it across a reload. Only the access token is kept (by Swagger UI,
 * in this browser's storage); the refresh token is dropped, so the sign-in ends when the access
 * token does (`expires_in`). The same file runs in the page and under Node (e2e/test_gateway.py
 * drives it against the real gateway).
 */
(function (root) {
  "use strict";

  /* POST /api/auth/login/ → {ok: true, access, expiresIn} or {ok: false, message, fields}:
   * the message is the server's own (in the browser's language) when it gave one. */
  async function logIn(login, password, options) {
    var opts = options || {};
    var fetchImpl = opts.fetch || root.fetch.bind(root);
    var response;
    try {
      response = await fetchImpl((opts.base || "") + "/api/auth/login/", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ login: login, password: password })
      });
    } catch (error) {
      return { ok: false, message: "The gateway could not be reached: " + error, fields: {} };
    }
    var body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = {};
    }
    if (!response.ok || typeof body.access !== "string") {
      return {
        ok: false,
        message: body.message || "Login failed (HTTP " + response.status + ").",
        fields: body.fields || {}
      };
    }
    return { ok: true, access: body.access, expiresIn: body.expires_in };
  }

  /* Wires the form with id `cotask-login` to the Swagger UI instance `ui`. */
  function attach(ui, doc) {
    var form = doc.getElementById("cotask-login");
    var status = doc.getElementById("cotask-login-status");
    var logout = doc.getElementById("cotask-logout");
    var current = null; // the access token of the session this form opened
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      status.textContent = "Signing in…";
      var result = await logIn(form.elements.login.value, form.elements.password.value);
      form.elements.password.value = "";
      if (!result.ok) {
        status.textContent = result.message;
        return;
      }
      current = result.access;
      ui.preauthorizeApiKey("jwtAuth", result.access);
      var until = new Date(Date.now() + (result.expiresIn || 0) * 1000);
      status.textContent = "Signed in as " + form.elements.login.value + " in every document, " +
        "until " + until.toLocaleTimeString() + ".";
      logout.hidden = false;
    });
    logout.addEventListener("click", function () {
      if (current) {
        // End the session the form opened, not only the page's copy of its token.
        root.fetch("/api/auth/logout/", {
          method: "POST",
          headers: { Authorization: "Bearer " + current }
        }).catch(function () {});
        current = null;
      }
      ui.authActions.logout(["jwtAuth"]);
      status.textContent = "Signed out.";
      logout.hidden = true;
    });
  }

  var api = { logIn: logIn, attach: attach };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.CotaskDocsLogin = api;
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
