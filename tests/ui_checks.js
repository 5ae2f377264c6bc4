// The geometry checks of tests/test_ui_crawl.py, run in the page by Playwright's
// page.evaluate(): an async function of {width, minTarget, axeImpacts} that returns
// {overflow, targets, axe}. Kept in a file of its own so that it reads as JavaScript.
async ({ width, minTarget, axeImpacts }) => {
  // The window's width as the context set it, not window.innerWidth: a mobile browser
  // (Playwright's is_mobile) zooms out to show a page wider than the screen, and then
  // innerWidth grows to the page's width and an overflow would never be seen.
  const vw = Math.min(width, window.innerWidth, document.documentElement.clientWidth);
  const style = (el) => getComputedStyle(el);

  // A short, readable CSS path: up to four levels, stopping at an id, <main> or <body>.
  const selector = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      if (e.id) {
        parts.unshift(`${e.localName}#${CSS.escape(e.id)}`);
        break;
      }
      let part = e.localName + [...e.classList].slice(0, 2).map((c) => `.${CSS.escape(c)}`).join("");
      const parent = e.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.localName === e.localName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(e) + 1})`;
      }
      parts.unshift(part);
      if (e.localName === "main" || e.localName === "body") break;
    }
    return parts.join(" > ");
  };
  const describe = (el) => {
    const text = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 30);
    const href = el.localName === "a" ? ` href=${el.getAttribute("href")}` : "";
    const type = el.localName === "input" ? `[type=${el.type}]` : "";
    return `${selector(el)}${type}${href}${text ? ` "${text}"` : ""}`;
  };

  // --- horizontal overflow -------------------------------------------------------------
  // The page scrolls sideways when the document is wider than the window. The elements to
  // blame are the outermost ones that reach past the right edge: their parent fits (or
  // clips them), and no ancestor of theirs that fits clips or scrolls them (a table in a
  // scrolling wrapper does not make the page scroll).
  const clips = (el) => style(el).overflowX !== "visible";
  const pastEdge = (el) => el.getBoundingClientRect().right + window.scrollX > vw + 1;
  const overflow = { scrollWidth: document.scrollingElement.scrollWidth, innerWidth: vw, culprits: [] };
  if (overflow.scrollWidth > vw + 1) {
    for (const el of document.body.querySelectorAll("*")) {
      const rect = el.getBoundingClientRect();
      if ((rect.width === 0 && rect.height === 0) || !pastEdge(el)) continue;
      if (style(el).position === "fixed" && rect.left >= vw) continue; // off-canvas drawer
      let contained = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (clips(a) && !pastEdge(a)) {
          contained = true;
          break;
        }
      }
      if (contained) continue;
      const parent = el.parentElement;
      if (parent && parent !== document.body && pastEdge(parent) && !clips(parent)) continue;
      overflow.culprits.push(`${describe(el)} (right edge at ${Math.round(rect.right + window.scrollX)} px)`);
      if (overflow.culprits.length >= 5) break;
    }
  }

  // --- tap targets ---------------------------------------------------------------------
  const TARGETS =
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link]";
  const isBlockContainer = (el) => !["inline", "contents"].includes(style(el).display);
  const nearestBlock = (el) => {
    let e = el;
    while (e && e !== document.body && !isBlockContainer(e)) e = e.parentElement;
    return e || document.body;
  };
  const CONTROLS = "a, button, input, select, textarea, summary";
  // WCAG 2.5.8's "inline" exception: a link inside running text is constrained by the
  // line height of that text. Exempt only a link that (1) is display:inline, and (2) shares
  // a rendered line with words (two or more letters) of ordinary text in the same block —
  // text of other links, buttons or form controls does not count, nor does text of
  // a nested block. A link alone in a table cell, a list item or a menu is not in a
  // sentence, even with a second line of text under it: it must be 44 px.
  const inRunningText = (link) => {
    if (link.localName !== "a" || style(link).display !== "inline") return false;
    const block = nearestBlock(link.parentElement);
    const linkRects = [...link.getClientRects()];
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (link.contains(node) || !/\p{L}{2,}/u.test(node.data)) continue;
      const owner = node.parentElement;
      const control = owner.closest(CONTROLS);
      if (control && block.contains(control)) continue;
      if (nearestBlock(owner) !== block) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const textRect of range.getClientRects()) {
        for (const linkRect of linkRects) {
          if (textRect.bottom > linkRect.top + 1 && textRect.top < linkRect.bottom - 1) return true;
        }
      }
    }
    return false;
  };
  const shown = (el, rect) => {
    if (rect.width <= 1 || rect.height <= 1) return false; // not rendered, or visually hidden
    if (rect.right + window.scrollX <= 0 || rect.bottom + window.scrollY <= 0) return false; // moved off screen (skip link)
    const s = style(el);
    return s.visibility !== "hidden" && s.opacity !== "0" && !el.closest("[inert], [aria-hidden=true]");
  };
  const bigEnough = (rect) => rect.width + 0.5 >= minTarget && rect.height + 0.5 >= minTarget;
  const targets = [];
  let exemptInline = 0;
  for (const el of document.querySelectorAll(TARGETS)) {
    if (el.disabled) continue;
    const rect = el.getBoundingClientRect();
    if (!shown(el, rect) || bigEnough(rect)) continue;
    // A checkbox or radio button is tapped through its label too: a label of 44 px is enough.
    if (["checkbox", "radio"].includes(el.type) && [...(el.labels || [])].some((l) => bigEnough(l.getBoundingClientRect())))
      continue;
    if (inRunningText(el)) {
      exemptInline += 1;
      continue;
    }
    targets.push(`${describe(el)} ${Math.round(rect.width)}×${Math.round(rect.height)}`);
  }

  // --- axe-core ----------------------------------------------------------------------------
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  const axe = result.violations
    .filter((v) => axeImpacts.includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
  return { overflow, targets, exemptInline, axe };
};
