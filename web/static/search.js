/* mikke search: live results for the mikke page and for the embed on a blog (same markup, same JSON API).
 * Untrusted text only ever becomes DOM text nodes; <mark> elements are rebuilt from the server's
 * escaped excerpts, never parsed as HTML. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 200;
  var FACET_LIMIT = 30; // as web/pages.py FACET_LIMIT
  var PAGE_WINDOW = 2; // as web/pages.py PAGE_WINDOW
  var SORTS = ["relevance", "date"];
  var DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
  var ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  var script = document.currentScript;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var name;
    for (name in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, name) && attrs[name] !== null) {
        node.setAttribute(name, attrs[name]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, function (all, name) {
      if (name.charAt(0) === "#") {
        var code = name.charAt(1).toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
      }
      var lower = name.toLowerCase();
      return Object.prototype.hasOwnProperty.call(ENTITIES, lower) ? ENTITIES[lower] : all;
    });
  }

  /* Escaped HTML with <mark> (from the core) -> text nodes and <mark> elements; nothing else is parsed. */
  function marked(fragment) {
    var out = document.createDocumentFragment();
    var parts = String(fragment).split(/(<\/?mark>)/);
    var target = out;
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      if (part === "<mark>") {
        if (target === out) {
          target = el("mark");
          out.appendChild(target);
        }
      } else if (part === "</mark>") {
        target = out;
      } else if (part) {
        target.appendChild(document.createTextNode(decodeEntities(part)));
      }
    }
    return out;
  }

  /* The date is already in the site's timezone: read its digits, never convert it with Date. */
  function localDay(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? Number(m[1]) + "年" + Number(m[2]) + "月" + Number(m[3]) + "日" : String(iso || "");
  }

  function safeHref(url) {
    return /^(https?:\/\/|\/)/i.test(url || "") ? url : "#";
  }

  function unique(values) {
    var seen = [];
    for (var i = 0; i < values.length; i++) {
      var v = values[i].trim();
      if (v && seen.indexOf(v) < 0) seen.push(v);
    }
    return seen;
  }

  function readState(search) {
    var p = new URLSearchParams(search);
    var sort = (p.get("sort") || "").trim();
    var page = parseInt(p.get("page") || "1", 10);
    var from = (p.get("from") || "").trim();
    var to = (p.get("to") || "").trim();
    return {
      q: p.get("q") || "",
      tags: unique(p.getAll("tag")),
      categories: unique(p.getAll("category")),
      from: DAY_RE.test(from) ? from : "",
      to: DAY_RE.test(to) ? to : "",
      sort: SORTS.indexOf(sort) >= 0 ? sort : "relevance",
      page: page > 0 ? page : 1
    };
  }

  function withChanges(state, changes) {
    var next = {};
    var k;
    for (k in state) next[k] = state[k];
    for (k in changes) next[k] = changes[k];
    return next;
  }

  /* Same parameters, order and defaults as SearchParams.url_args in web/params.py. */
  function toQuery(state) {
    var p = new URLSearchParams();
    if (state.q) p.append("q", state.q);
    state.tags.forEach(function (t) { p.append("tag", t); });
    state.categories.forEach(function (c) { p.append("category", c); });
    if (state.from) p.append("from", state.from);
    if (state.to) p.append("to", state.to);
    if (state.sort !== "relevance") p.append("sort", state.sort);
    if (state.page !== 1) p.append("page", String(state.page));
    return p.toString();
  }

  function pageUrl(state) {
    var query = toQuery(state);
    return location.pathname + (query ? "?" + query : "");
  }

  function isFiltered(state) {
    return Boolean(state.tags.length || state.categories.length || state.from || state.to);
  }

  function label(value, counts) {
    for (var i = 0; i < counts.length; i++) {
      var name = counts[i].tag || counts[i].category;
      if (value === counts[i].key || value === name) return name;
    }
    return value;
  }

  function navLink(text, state, attrs) {
    var a = el("a", withChanges({ href: pageUrl(state), "data-mikke-nav": "" }, attrs || {}));
    if (typeof text === "string") a.appendChild(document.createTextNode(text));
    else a.appendChild(text);
    return a;
  }

  function without(values, value) {
    return values.filter(function (v) { return v !== value; });
  }

  function statusText(state, d, first, last) {
    if (!d.query && !isFiltered(state)) return "新しい記事 " + d.total + "件";
    if (d.total && d.hits.length) {
      var head = d.query ? "「" + d.query + "」の検索結果" : "絞り込み結果";
      return head + ": " + d.total + "件（" + first + "〜" + last + "件目）";
    }
    if (d.total) return d.total + "件見つかりましたが、このページに結果はありません。";
    if (d.query) return "「" + d.query + "」に一致する記事は見つかりませんでした。";
    return "条件に合う記事は見つかりませんでした。";
  }

  function activeFilters(state, d) {
    var links = [];
    var p1 = { page: 1 };
    state.tags.forEach(function (t) {
      links.push({ label: "タグ: " + label(t, d.tags), state: withChanges(state, withChanges(p1, { tags: without(state.tags, t) })) });
    });
    state.categories.forEach(function (c) {
      links.push({
        label: "カテゴリ: " + label(c, d.categories),
        state: withChanges(state, withChanges(p1, { categories: without(state.categories, c) }))
      });
    });
    if (state.from) links.push({ label: state.from + " 以降", state: withChanges(state, { from: "", page: 1 }) });
    if (state.to) links.push({ label: state.to + " 以前", state: withChanges(state, { to: "", page: 1 }) });
    return links;
  }

  function facet(state, counts, field, title) {
    var active = state[field];
    var list = el("ul");
    counts.forEach(function (c, i) {
      var name = c.tag || c.category;
      var on = active.indexOf(c.key) >= 0 || active.indexOf(name) >= 0;
      if (i >= FACET_LIMIT && !on) return;
      var values = on ? active.filter(function (v) { return v !== c.key && v !== name; }) : active.concat([c.key]);
      var changes = { page: 1 };
      changes[field] = values;
      var text = document.createDocumentFragment();
      text.appendChild(document.createTextNode(name + " "));
      text.appendChild(el("span", { class: "mikke-count" }, String(c.count)));
      list.appendChild(el("li", null, navLink(text, withChanges(state, changes), on ? { "aria-current": "true", class: "mikke-on" } : null)));
    });
    if (!list.firstChild) return null;
    return el("nav", { class: "mikke-facet", "aria-label": title + "で絞り込む" }, el("h2", null, title), list);
  }

  function pagination(state, d) {
    var last = d.pages;
    if (last <= 1) return null;
    var page = d.page; // the server clamps the page number
    var current = Math.min(page, last);
    var shown = [1, last];
    for (var n = Math.max(1, current - PAGE_WINDOW); n <= Math.min(last, current + PAGE_WINDOW); n++) shown.push(n);
    shown = shown.filter(function (v, i) { return shown.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    var nav = el("nav", { class: "mikke-pages", "aria-label": "ページ" });
    if (page > 1) {
      nav.appendChild(navLink("前へ", withChanges(state, { page: Math.min(page - 1, last) }), { class: "mikke-prev", rel: "prev" }));
    }
    shown.forEach(function (p, i) {
      if (i && p - shown[i - 1] > 1) nav.appendChild(el("span", { class: "mikke-gap" }, "…"));
      if (p === page) nav.appendChild(el("strong", { "aria-current": "page" }, String(p)));
      else nav.appendChild(navLink(String(p), withChanges(state, { page: p })));
    });
    if (page < last) {
      nav.appendChild(navLink("次へ", withChanges(state, { page: page + 1 }), { class: "mikke-next", rel: "next" }));
    }
    return nav;
  }

  function hitItem(state, d, hit) {
    var meta = el("p", { class: "mikke-hit-meta" }, el("time", { datetime: hit.date }, localDay(hit.date)));
    hit.tags.forEach(function (tag) {
      var key = tag;
      d.tags.forEach(function (c) { if (c.tag === tag) key = c.key; });
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(navLink("#" + tag, withChanges(state, { tags: state.tags.concat([key]), page: 1 }), { class: "mikke-tag" }));
    });
    var title = el("a", { href: safeHref(hit.url) }, hit.title ? marked(hit.title_html) : "（無題）");
    var item = el("li", { class: "mikke-hit" }, el("h2", { class: "mikke-hit-title" }, title), meta);
    if (hit.excerpt) item.appendChild(el("p", { class: "mikke-excerpt" }, marked(hit.excerpt)));
    return item;
  }

  function fewerWords(state, query) {
    var words = query.split(/\s+/).filter(Boolean);
    var out = [];
    if (words.length < 2) return out;
    for (var i = 0; i < Math.min(words.length, 5); i++) {
      var q = words.slice(0, i).concat(words.slice(i + 1)).join(" ");
      out.push({ label: q, state: withChanges(state, { q: q, page: 1 }) });
    }
    return out;
  }

  /* Mirrors web/templates/search.html. */
  function renderResults(state, d) {
    var out = document.createDocumentFragment();
    var filtered = isFiltered(state);
    var notices = [];
    if (d.truncated) notices.push("検索語が長すぎるため、先頭の部分だけで検索しました。");
    if (d.relaxed) notices.push("同じ言葉を含む記事がないため、似た言葉を含む記事を表示しています。");
    if (notices.length) {
      out.appendChild(el.apply(null, ["ul", { class: "mikke-notices" }].concat(notices.map(function (n) { return el("li", null, n); }))));
    }
    var filters = activeFilters(state, d);
    if (filters.length) {
      var box = el("div", { class: "mikke-filters" }, el("span", { class: "mikke-filters-label" }, "絞り込み中:"));
      filters.forEach(function (f) {
        var text = document.createDocumentFragment();
        text.appendChild(document.createTextNode(f.label + " "));
        text.appendChild(el("span", { "aria-hidden": "true" }, "×"));
        box.appendChild(document.createTextNode(" "));
        box.appendChild(navLink(text, f.state, { class: "mikke-chip", "aria-label": f.label + " の絞り込みを外す" }));
      });
      if (filters.length > 1) {
        box.appendChild(document.createTextNode(" "));
        box.appendChild(navLink("すべて解除", withChanges(state, { tags: [], categories: [], from: "", to: "", page: 1 }), { class: "mikke-clear" }));
      }
      out.appendChild(box);
    }
    if (!d.query && !filtered) {
      out.appendChild(el("p", { class: "mikke-empty" }, "キーワードを入力すると、記事のタイトルと本文から探します。タグを選んで絞り込むこともできます。"));
    }
    if (d.query && d.total) {
      var sort = el("p", { class: "mikke-sort" }, "並び順:");
      [["relevance", "関連度順"], ["date", "新しい順"]].forEach(function (s) {
        sort.appendChild(document.createTextNode(" "));
        if (d.sort === s[0]) sort.appendChild(el("strong", { "aria-current": "true" }, s[1]));
        else sort.appendChild(navLink(s[1], withChanges(state, { sort: s[0], page: 1 })));
      });
      out.appendChild(sort);
    }
    var main = el("div", { class: "mikke-main" });
    if (d.hits.length) {
      var list = el("ol", { class: "mikke-hits", start: String((d.page - 1) * d.per_page + 1) });
      d.hits.forEach(function (hit) { list.appendChild(hitItem(state, d, hit)); });
      main.appendChild(list);
    } else if (d.total) {
      main.appendChild(el("p", { class: "mikke-empty" }, navLink("1ページ目に戻る", withChanges(state, { page: 1 }))));
    } else if (d.query || filtered) {
      var tips = el("ul");
      filters.forEach(function (f) { tips.appendChild(el("li", null, navLink("「" + f.label + "」の絞り込みを外す", f.state))); });
      fewerWords(state, d.query).forEach(function (w) { tips.appendChild(el("li", null, navLink("「" + w.label + "」で検索する", w.state))); });
      tips.appendChild(el("li", null, "別の言葉や、より短い言葉で検索する"));
      main.appendChild(el("div", { class: "mikke-empty" }, el("p", null, "次のように条件を変えてみてください。"), tips));
    }
    var pages = pagination(state, d);
    if (pages) main.appendChild(pages);
    var body = el("div", { class: "mikke-body" }, main);
    var tagFacet = facet(state, d.tags, "tags", "タグ");
    var catFacet = facet(state, d.categories, "categories", "カテゴリ");
    if (tagFacet || catFacet) body.appendChild(el("aside", { class: "mikke-facets" }, tagFacet, catFacet));
    out.appendChild(body);
    return out;
  }

  function init(root) {
    var api = root.getAttribute("data-mikke-api") || new URL("../api/search", script.src).href;
    var form = root.querySelector("form");
    var input = root.querySelector("input[name=q]");
    var status = root.querySelector("[data-mikke-status]");
    var results = root.querySelector("[data-mikke-results]");
    var ownPage = root.hasAttribute("data-mikke-rendered");
    if (!form || !input || !status || !results) return;
    var state = readState(location.search);
    var shown = ownPage ? toQuery(state) : null; // the state on screen or being fetched
    var timer = 0;
    var seq = 0;
    var controller = null;
    var composing = false;
    var typing = false; // typing replaces the history entry it pushed first, instead of one per keystroke

    function show(next, d) {
      var first = (d.page - 1) * d.per_page + 1;
      status.textContent = statusText(next, d, first, first + d.hits.length - 1);
      results.replaceChildren(renderResults(next, d));
      if (ownPage) document.title = (d.query ? "「" + d.query + "」の検索結果 - " : "") + "記事検索";
    }

    function fail(httpStatus) {
      shown = null;
      status.textContent = httpStatus === 503
        ? "検索インデックスがまだ作られていません。しばらくしてからもう一度お試しください。"
        : "検索できませんでした。時間をおいてもう一度お試しください。";
    }

    function go(next, history_) {
      var query = toQuery(next);
      var url = pageUrl(next);
      if (history_ === "push" && url !== location.pathname + location.search) history.pushState(null, "", url);
      if (history_ === "replace") history.replaceState(null, "", url);
      state = next;
      if (query === shown) return;
      shown = query;
      var id = ++seq;
      if (controller) controller.abort(); // the older answer is no longer wanted
      controller = typeof AbortController === "function" ? new AbortController() : null;
      root.setAttribute("aria-busy", "true");
      fetch(api + (query ? "?" + query : ""), {
        signal: controller ? controller.signal : undefined,
        credentials: "omit",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (answer) {
        if (id !== seq) return; // an older request answered late: its results are stale
        root.removeAttribute("aria-busy");
        if (answer.status !== 200) fail(answer.status);
        else show(next, answer.body);
      }, function (error) {
        if (id !== seq || (error && error.name === "AbortError")) return;
        root.removeAttribute("aria-busy");
        fail(0);
      });
    }

    function typed() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (input.value === state.q) return;
        go(withChanges(state, { q: input.value, page: 1 }), typing ? "replace" : "push");
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
    });
    input.addEventListener("input", function (event) {
      if (composing || event.isComposing) return;
      typed();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (composing) return;
      clearTimeout(timer);
      typing = false;
      go(withChanges(state, { q: input.value, page: 1 }), "push");
    });
    root.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-mikke-nav]") : null;
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // new tab or window
      event.preventDefault();
      clearTimeout(timer);
      typing = false;
      var next = readState(new URL(link.href, location.href).search);
      var paging = next.page !== state.page;
      input.value = next.q;
      go(next, "push");
      if (paging) status.scrollIntoView({ block: "nearest" });
    });
    window.addEventListener("popstate", function () {
      clearTimeout(timer);
      typing = false;
      var next = readState(location.search);
      input.value = next.q;
      go(next, "none");
    });
    // The embed is not server-rendered: draw the state its page was opened with.
    if (!ownPage && (state.q || isFiltered(state))) {
      input.value = state.q;
      go(state, "none");
    }
  }

  var roots = document.querySelectorAll("[data-mikke]");
  for (var i = 0; i < roots.length; i++) init(roots[i]);
})();
