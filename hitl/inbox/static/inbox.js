// The reviewer inbox's keyboard, confirmation and queue refresh. Everything also works without
// it: forms post, high-risk approvals get a confirmation page from the server instead.
"use strict";
(() => {
  const ORDER = "hitl-inbox-queue";
  const page = document.body.dataset.page;
  const help = document.getElementById("help");
  const typing = (t) => t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  const order = () => {
    try { return JSON.parse(sessionStorage.getItem(ORDER) || "[]"); } catch { return []; }
  };
  document.querySelectorAll("[data-help]").forEach((b) => b.addEventListener("click", () => help.showModal()));

  function queuePage() {
    const rows = document.getElementById("rows");
    const list = () => Array.from(rows.querySelectorAll("tr[data-path]"));
    let selected = 0;
    const show = () => {
      const all = list();
      all.forEach((r, i) => r.classList.toggle("selected", i === selected));
      sessionStorage.setItem(ORDER, JSON.stringify(all.map((r) => r.dataset.path)));
      document.getElementById("count").textContent = all.length;
      document.getElementById("matching").textContent = all.length;
      document.getElementById("picked").textContent = rows.querySelectorAll("input[name=pick]:checked").length;
    };
    show();
    rows.addEventListener("change", show);
    document.getElementById("pick-all").addEventListener("change", (e) => {
      rows.querySelectorAll("input[name=pick]").forEach((c) => { c.checked = e.target.checked; });
      show();
    });
    let last = rows.innerHTML;
    setInterval(async () => {
      const response = await fetch("/queue/rows" + location.search, { credentials: "same-origin" });
      if (response.redirected || !response.ok) return; // logged out, or bad filters: keep the page
      const html = await response.text();
      if (html === last) return;
      last = html;
      const kept = new Set(Array.from(rows.querySelectorAll("input[name=pick]:checked")).map((c) => c.value));
      const current = list()[selected]?.dataset.path;
      rows.innerHTML = html;
      rows.querySelectorAll("input[name=pick]").forEach((c) => { c.checked = kept.has(c.value); });
      selected = Math.max(0, list().findIndex((r) => r.dataset.path === current));
      show();
    }, Number(rows.dataset.refresh || 4) * 1000);
    return (key) => {
      const all = list();
      if (key === "j") selected = Math.min(selected + 1, all.length - 1);
      else if (key === "k") selected = Math.max(selected - 1, 0);
      else if ((key === "Enter" || key === "o") && all[selected]) location.assign(all[selected].dataset.path);
      else if (key === "x" && all[selected]) all[selected].querySelector("input[name=pick]").click();
      else return false;
      show();
      return true;
    };
  }

  function cardPage() {
    const here = document.querySelector("article.card").dataset.path;
    const list = order();
    const at = list.indexOf(here);
    const next = at >= 0 && at + 1 < list.length ? list[at + 1] : "/queue";
    const previous = at > 0 ? list[at - 1] : "/queue";
    document.querySelectorAll("[data-next]").forEach((input) => { input.value = next; });
    const approve = document.getElementById("approve-form");
    const confirm = document.getElementById("confirm");
    if (approve) {
      approve.addEventListener("submit", (e) => {
        if (approve.dataset.confirm === "1" && !approve.querySelector("[data-confirmed]").value) {
          e.preventDefault();
          confirm.showModal();
          document.getElementById("confirm-yes").focus();
        }
      });
      document.getElementById("confirm-yes").addEventListener("click", () => {
        approve.querySelector("[data-confirmed]").value = "yes";
        approve.submit();
      });
      document.getElementById("confirm-no").addEventListener("click", () => confirm.close());
    }
    const open = (panel, field) => {
      const details = document.getElementById(panel);
      if (!details) return;
      details.open = true;
      details.querySelector(field).focus();
    };
    const reject = document.getElementById("reject-form");
    if (reject) {
      reject.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && e.target.tagName === "SELECT") { e.preventDefault(); reject.requestSubmit(); }
      });
    }
    return (key) => {
      if (confirm && confirm.open) {
        if (key === "y" || key === "Enter") document.getElementById("confirm-yes").click();
        return true;
      }
      if (key === "j") location.assign(next);
      else if (key === "k") location.assign(previous);
      else if (key === "a" && approve) {
        const button = approve.querySelector("button");
        if (button.disabled) document.getElementById("standing")?.classList.add("flash-now");
        else approve.requestSubmit();
      } else if (key === "r") open("reject-panel", "select");
      else if (key === "c") open("changes-panel", "textarea");
      else if (key === "m" && document.getElementById("modify-link")) location.assign(document.getElementById("modify-link").href);
      else return false;
      return true;
    };
  }

  const handler = page === "queue" ? queuePage() : page === "card" ? cardPage() : () => false;
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const dialogOpen = document.querySelector("dialog[open]");
    if (typing(e.target) && !dialogOpen) return;
    if (e.key === "?") { help.showModal(); e.preventDefault(); return; }
    if (handler(e.key)) e.preventDefault();
  });
})();
