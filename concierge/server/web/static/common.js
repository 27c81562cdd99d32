/* Shared by the console and the operator pages: the key kept in sessionStorage, API calls, small DOM helpers. */
(function () {
  "use strict";
  var KEY = "concierge-key";
  var AGENT = "concierge-agent";
  var listeners = [];

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function key() {
    return sessionStorage.getItem(KEY) || "";
  }
  function agent() {
    return sessionStorage.getItem(AGENT) || "";
  }

  function showError(message) {
    var box = document.getElementById("error");
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  /* A call to this server with the signed-in key; JSON in and out. Errors carry the server's `detail`. */
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { "X-Api-Key": key() };
    if (agent()) headers["X-Agent-Id"] = agent();
    var init = { method: method, headers: headers };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      if (r.status === 204) return null;
      return r.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = { detail: text };
        }
        if (!r.ok) {
          var err = new Error((data && data.detail) || r.statusText || String(r.status));
          err.status = r.status;
          if (r.status === 401 && !opts.quiet) signOut("That key was refused: " + err.message);
          throw err;
        }
        return data;
      });
    });
  }

  function signedIn() {
    var form = document.getElementById("signin");
    var bar = document.getElementById("signedin");
    var on = !!key();
    if (form) form.hidden = on;
    if (bar) bar.hidden = !on;
    var who = document.getElementById("whoami");
    if (who && on) who.textContent = "Signed in" + (agent() ? " as " + agent() : "") + " with key " + key().slice(0, 12) + "…";
    document.querySelectorAll("[data-needs-key]").forEach(function (e) {
      e.hidden = !on;
    });
    if (on) listeners.forEach(function (f) { f(); });
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(AGENT);
    signedIn();
    showError(message || "");
  }

  function fmtDuration(s) {
    if (s === null || s === undefined || isNaN(s)) return "–";
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function fmtNumber(v, digits) {
    if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) return "–";
    return typeof v === "number" ? v.toLocaleString("en", { maximumFractionDigits: digits === undefined ? 3 : digits }) : String(v);
  }

  /* A table from rows and [header, cell function] columns, with a caption (screen readers need one). */
  function table(caption, columns, rows) {
    return el("table", {}, [
      el("caption", { text: caption }),
      el("thead", {}, [el("tr", {}, columns.map(function (c) { return el("th", { scope: "col", text: c[0] }); }))]),
      el("tbody", {}, rows.map(function (r) {
        return el("tr", {}, columns.map(function (c) {
          var v = c[1](r);
          return el("td", {}, [v instanceof Node ? v : String(v === null || v === undefined ? "–" : v)]);
        }));
      })),
    ]);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("signin");
    if (form)
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var k = form.elements.key.value.trim();
        if (!k) return;
        sessionStorage.setItem(KEY, k);
        if (form.elements.agent) {
          var a = form.elements.agent.value.trim();
          if (a) sessionStorage.setItem(AGENT, a);
          else sessionStorage.removeItem(AGENT);
        }
        form.reset();
        showError("");
        signedIn();
      });
    var out = document.getElementById("signout");
    if (out) out.addEventListener("click", function () { signOut(""); });
    setTimeout(signedIn, 0);
  });

  window.Concierge = {
    el: el,
    api: api,
    key: key,
    agent: agent,
    showError: showError,
    fmtDuration: fmtDuration,
    fmtNumber: fmtNumber,
    table: table,
    onSignIn: function (f) { listeners.push(f); },
  };
})();
