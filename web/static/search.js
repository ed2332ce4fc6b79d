/* mikke search: live results for the mikke page and for the embed on a blog. The server renders the
 * results (GET /api/results, the page's own template), so this script only keeps the state in the URL,
 * fetches and shows. It inserts that HTML as is: it comes from the mikke server's API, autoescaped. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;
  var SUGGEST_MS = 80;
  var listboxes = 0; // listbox ids stay unique with several search boxes on a page
  var statuses = 0; // and status ids
  // Results the reader has looked at this long without typing more are a settled search: the server
  // counts it when it keeps search statistics (MIKKE_STATS_DIR); results shown in between never count.
  var SETTLE_MS = 1500;
  // Parameters that choose results: a blog page opened with any of them draws them at once.
  var STATE_PARAMS = ["q", "tag", "category", "from", "to"];
  var script = document.currentScript;
  var NOT_BUILT = "検索インデックスがまだ作られていません。しばらくしてからもう一度お試しください。";
  var RETRY = "検索できませんでした。時間をおいてもう一度お試しください。";
  var UNAVAILABLE = "このページでは現在、検索を利用できません。";
  var FAILED_TITLE = "検索できませんでした - 記事検索"; // the page's <title> when a search failed
  // Pages served from these hosts are the blog's owner trying it out: problems are explained on the page.
  var OWNER_HOSTS = /^(localhost|127\.0\.0\.1|\[::1\])$|\.localhost$/;

  /* One spelling per state, so that equal states compare equal as strings. */
  function canonical(search) {
    return new URLSearchParams(search).toString();
  }

  function param(query, name) {
    return new URLSearchParams(query).get(name) || "";
  }

  /* Whether the state `query` asks for results: a query or a filter. */
  function chooses(query) {
    return STATE_PARAMS.some(function (name) { return param(query, name); });
  }

  /* The state `query` searching `text` from its first page; q first, as in the server's links. */
  function withText(query, text) {
    var next = new URLSearchParams();
    if (text) next.append("q", text);
    new URLSearchParams(query).forEach(function (value, name) {
      if (name !== "q" && name !== "page" && name !== "exact") next.append(name, value); // new words: read them again
    });
    return next.toString();
  }

  function init(root) {
    // search.js is always loaded from the mikke server, on its page and on a blog alike.
    var api = new URL("../api/results", script.src).href;
    var settledApi = new URL("../api/settled", script.src).href;
    var form = root.querySelector("form");
    var input = root.querySelector("input[name=q]");
    var status = root.querySelector("[data-mikke-status]");
    var results = root.querySelector("[data-mikke-results]");
    var ownPage = root.hasAttribute("data-mikke-rendered");
    if (!form || !input || !status || !results) return;
    status.setAttribute("tabindex", "-1"); // focus goes there when the results it precedes are replaced
    if (!status.id) status.id = "mikke-status-" + (++statuses);
    var state = canonical(location.search);
    var shown = ownPage ? state : null; // the state on screen or being fetched
    var timer = 0;
    var seq = 0;
    var controller = null;
    var composing = false;
    // The history entry is typing's and has not settled: typing more replaces it, instead of one entry per
    // keystroke. Results that settle end it, so the next query typed gets an entry of its own.
    var typing = false;
    var stats = false; // the server keeps statistics: it said so with its last results
    var counted = ownPage ? state : null; // the last settled state reported (the server counted the page)
    var settleTimer = 0;
    var settleWhen = ""; // how the state being fetched settles: "now", "later" (typing) or "" (never)

    function unsettle() {
      clearTimeout(settleTimer);
      settleTimer = 0;
    }

    /* Report the state on screen as settled, once: the reader stopped on it. */
    function settle() {
      unsettle();
      var which = shown;
      if (!stats || which === null || which === counted || (param(which, "page") || "1") !== "1") return;
      counted = which;
      fetch(settledApi + (which ? "?" + which : ""), {
        method: "POST", mode: "no-cors", credentials: "omit", keepalive: true
      }).catch(function () {});
    }

    /* Put `text` in the status. byFocus: the status is about to be focused, which reads it out by its
     * name (role=status takes none from its text, so it names itself); the live region stays quiet for
     * it, so the text is heard once. */
    function say(text, byFocus) {
      if (byFocus) {
        status.setAttribute("aria-live", "off");
        status.setAttribute("aria-labelledby", status.id);
      } else {
        status.removeAttribute("aria-live"); // role=status: polite
        status.removeAttribute("aria-labelledby");
      }
      status.textContent = text;
    }

    /* Put `html` in the results region, `text` in the status and `title` on the page. */
    function draw(html, text, title, refocus) {
      // Replacing the results destroys the link activated in them, and the focus with it: the keyboard
      // reader would start again from the top of the page. Focus they held (or that nothing holds) goes
      // to the status, the start of the new results; focus the reader took elsewhere meanwhile stays.
      var active = document.activeElement;
      var lost = refocus === true && (!active || active === document.body || results.contains(active));
      results.innerHTML = html; // templates/results.html: links are relative query strings
      say(text, lost);
      if (lost) (text ? status : input).focus({ preventScroll: false }); // nothing to read: search again
      if (ownPage) document.title = title;
    }

    function show(answer, refocus) {
      draw(answer.html, answer.status, answer.title, refocus);
      stats = answer.stats === true;
      unsettle();
      if (settleWhen === "now") settle();
      else if (settleWhen === "later") {
        settleTimer = setTimeout(function () {
          typing = false;
          settle();
        }, SETTLE_MS);
      }
    }

    /* The state asked for cannot be shown. The results on screen are an earlier state's: left there,
     * under the new query in the box and the URL, they would pass for its results. */
    function fail(message, refocus) {
      shown = null;
      unsettle();
      draw("", message, FAILED_TITLE, refocus);
    }

    /* fetch gave no response: the network, a server that is down, or CORS. A no-cors request of this
     * script gets an (opaque) answer whenever the server answers, so then the server refused this page's
     * origin: tell the blog's owner how to allow it, and its readers only that search is unavailable. */
    function noAnswer(id, refocus) {
      var server = new URL(api).origin;
      if (server === location.origin) {
        fail(RETRY, refocus);
        return;
      }
      fetch(script.src, { mode: "no-cors", cache: "no-store", credentials: "omit" }).then(function () {
        if (id !== seq) return;
        console.error(
          "mikke: the search server " + server + " refuses requests from this page's origin " +
          location.origin + " (CORS). Add the origin to MIKKE_ALLOWED_ORIGINS and restart the server: " +
          "MIKKE_ALLOWED_ORIGINS=" + location.origin + " mikke serve"
        );
        fail(OWNER_HOSTS.test(location.hostname)
          ? "検索サーバー " + server + " が、このページのオリジン " + location.origin +
            " からの検索を許可していません。MIKKE_ALLOWED_ORIGINS=" + location.origin +
            " を付けて mikke serve を起動し直してください。"
          : UNAVAILABLE, refocus);
      }, function () {
        if (id !== seq) return;
        console.error("mikke: the search server " + server + " does not answer (is mikke serve running?)");
        fail(RETRY, refocus);
      });
    }

    /* Show the state `next`. refocus: the reader started this from inside the results (a link in them,
     * or back/forward with focus in them), so focus that the new results take away is given back. */
    function go(next, history_, settles, refocus) {
      settleWhen = settles || "";
      var url = location.pathname + (next ? "?" + next : "");
      if (history_ === "push" && next !== canonical(location.search)) history.pushState(null, "", url);
      if (history_ === "replace") history.replaceState(null, "", url);
      state = next;
      if (next === shown) {
        if (settleWhen === "now") settle(); // already on screen: Enter settles it
        return;
      }
      shown = next;
      var id = ++seq;
      if (controller) controller.abort(); // the older answer is no longer wanted
      controller = null;
      if (!ownPage && !chooses(next)) {
        // The embed opened without a search draws nothing (it is not server-rendered): every way back
        // to that state (Back, an emptied box, the last filter taken off) shows it so too.
        root.removeAttribute("aria-busy");
        unsettle();
        draw("", "", "", refocus);
        return;
      }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      root.setAttribute("aria-busy", "true");
      fetch(api + (next ? "?" + next : ""), {
        signal: controller ? controller.signal : undefined,
        credentials: "omit",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        }, function () {
          return { status: response.status, body: null }; // not JSON: a proxy's error page
        });
      }, function (error) {
        return { status: 0, error: error || {} }; // no response at all
      }).then(function (answer) {
        if (id !== seq) return; // an older request answered late: its results are stale
        if (answer.error && answer.error.name === "AbortError") return;
        root.removeAttribute("aria-busy");
        if (answer.error) noAnswer(id, refocus);
        else if (answer.status === 200 && answer.body) show(answer.body, refocus);
        else fail(answer.status === 503 ? NOT_BUILT : RETRY, refocus);
      });
    }

    // Suggestions: an ARIA combobox on the search box. What is typed so far, the hiragana of an open IME
    // conversion included, is the prefix; keys belong to the IME while it composes, so the Enter that
    // commits a conversion never picks a suggestion.
    var suggestApi = new URL("../api/suggest", script.src).href;
    var listbox = document.createElement("ul");
    var options = [];
    var active = -1;
    var suggestTimer = 0;
    var suggestSeq = 0;
    var asked = null;
    listbox.id = "mikke-suggest-" + (++listboxes);
    listbox.className = "mikke-suggest";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "候補");
    listbox.hidden = true;
    input.parentNode.insertBefore(listbox, input.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-expanded", "false");

    function mark(index) {
      active = index;
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index < 0) input.removeAttribute("aria-activedescendant");
      else input.setAttribute("aria-activedescendant", options[index].id);
    }

    function closeList() {
      clearTimeout(suggestTimer);
      suggestSeq++; // an answer still on its way is not shown
      asked = null;
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      mark(-1);
    }

    function showList(items) {
      listbox.textContent = "";
      options = items.map(function (item, i) {
        var option = document.createElement("li");
        option.id = listbox.id + "-" + i;
        option.setAttribute("role", "option");
        option.className = "mikke-option";
        option.textContent = item.text;
        var count = document.createElement("span");
        count.className = "mikke-count";
        count.textContent = item.count + "件";
        option.appendChild(count);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep focus
        option.addEventListener("click", function () { choose(item.text); });
        listbox.appendChild(option);
        return option;
      });
      listbox.hidden = !options.length;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      mark(-1);
    }

    function askSuggestions() {
      clearTimeout(suggestTimer);
      suggestTimer = setTimeout(function () {
        var prefix = input.value.trim();
        if (!prefix) return closeList();
        if (prefix === asked) return;
        asked = prefix;
        var id = ++suggestSeq;
        // URLSearchParams, as for every other request: encodeURIComponent throws on an unpaired surrogate.
        fetch(suggestApi + "?" + new URLSearchParams({ q: prefix }).toString(), {
          credentials: "omit",
          headers: { Accept: "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (body) {
          if (id !== suggestSeq || document.activeElement !== input) return;
          showList(body && body.suggestions ? body.suggestions : []);
        }, function () { /* no suggestions: searching still works */ });
      }, SUGGEST_MS);
    }

    /* The way a search the reader ends (Enter, a suggestion) enters the history: in place of the entry
     * of the keystrokes that led to it, which were never a search of their own. */
    function ended() {
      var how = typing ? "replace" : "push";
      clearTimeout(timer);
      typing = false;
      return how;
    }

    function choose(text) {
      closeList();
      input.value = text;
      go(withText(state, text), ended());
    }

    input.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229 || composing) return; // the IME's key
      var open = !listbox.hidden && options.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        // Past either end the box itself is active again (-1), as the ARIA pattern's examples do.
        if (next >= options.length) next = -1;
        else if (next < -1) next = options.length - 1;
        mark(next);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(options[active].firstChild.textContent);
      } else if (event.key === "Escape" && !listbox.hidden) {
        event.preventDefault();
        closeList();
      }
    });
    input.addEventListener("blur", closeList);

    function typed() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (input.value === param(state, "q")) return;
        go(withText(state, input.value), typing ? "replace" : "push", "later");
        typing = true;
      }, DEBOUNCE_MS);
    }

    input.addEventListener("compositionstart", function () {
      composing = true; // a Japanese conversion is open: its text is not the query yet
      clearTimeout(timer);
    });
    input.addEventListener("compositionend", function () {
      composing = false;
      typed();
      askSuggestions();
    });
    input.addEventListener("input", function (event) {
      askSuggestions(); // while composing too: the hiragana being composed is the prefix
      unsettle(); // still typing: what is on screen is not what the reader wants
      if (composing || event.isComposing) return;
      typed();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (composing) return;
      closeList();
      go(withText(state, input.value), ended(), "now");
    });
    root.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-mikke-nav]") : null;
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // new tab or window
      event.preventDefault();
      clearTimeout(timer);
      typing = false;
      // link.href is the server's "?q=…" resolved against this page, whichever page it is.
      var next = canonical(new URL(link.href).search);
      var paging = param(next, "page") !== param(state, "page");
      input.value = param(next, "q");
      go(next, "push", "now", results.contains(link));
      if (paging) status.scrollIntoView({ block: "nearest" });
    });
    window.addEventListener("popstate", function () {
      clearTimeout(timer);
      typing = false;
      var next = canonical(location.search);
      closeList(); // its suggestions complete the text that leaves the box
      input.value = param(next, "q");
      go(next, "none", "", results.contains(document.activeElement));
    });
    // Leaving the page while results wait to settle: they were what the reader looked at last.
    window.addEventListener("pagehide", function () {
      if (settleTimer) settle();
    });
    // The embed is not server-rendered: draw the state its page was opened with (a settled search).
    if (!ownPage && chooses(state)) {
      input.value = param(state, "q");
      go(state, "none", "now");
    }
  }

  var roots = document.querySelectorAll("[data-mikke]");
  for (var i = 0; i < roots.length; i++) init(roots[i]);
})();
