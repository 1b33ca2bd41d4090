// schema-tools' diagram widget (anywidget): fit, zoom and pan, click-to-focus and search over Graphviz's SVG.
// Graphviz gives each table a <g class="node"> whose <title> is the table's name, and each foreign key a
// <g class="edge"> titled "child:port->parent:port"; everything here works from those two facts.

const STEP = 1.25; // one press of + or −
const MIN_SCALE = 0.05;
const MAX_SCALE = 8;
const PT = 4 / 3; // CSS px per point: Graphviz sizes its SVG in points
const TALLEST = 0.7; // the view's height at most, as a share of the window's

function element(tag, className, props = {}) {
  const node = Object.assign(document.createElement(tag), props);
  node.className = className;
  return node;
}

function titleOf(group) {
  const title = group.querySelector(":scope > title");
  return title ? title.textContent : "";
}

// An edge's two tables, [child, parent]: its title's ends without their ports, matched to known table names.
function endsOf(edge, names) {
  return titleOf(edge)
    .split("->")
    .map((end) => {
      if (names.has(end)) return end;
      const cut = end.lastIndexOf(":");
      return cut > 0 && names.has(end.slice(0, cut)) ? end.slice(0, cut) : null;
    });
}

function naturalSize(svg) {
  const size = (attribute) => {
    const text = svg.getAttribute(attribute) || "0";
    return parseFloat(text) * (text.endsWith("pt") ? PT : 1);
  };
  return { width: size("width"), height: size("height") };
}

// Where a search lands: an exact table name, an exact column, then a table or column containing the text.
function findIn(nodes, query) {
  const wanted = query.trim().toLowerCase();
  if (!wanted) return null;
  const texts = (node) => [...node.querySelectorAll("text")].map((t) => t.textContent.trim());
  const tests = [(text) => text.toLowerCase() === wanted, (text) => text.toLowerCase().includes(wanted)];
  for (const test of tests) {
    const table = nodes.find((node) => test(titleOf(node)));
    if (table) return { node: table, label: titleOf(table) };
    for (const node of nodes) {
      const column = texts(node).slice(1).find(test);
      if (column) return { node, label: `${titleOf(node)}.${column}` };
    }
  }
  return null;
}

function render({ model, el }) {
  el.classList.add("st-diagram");
  const bar = element("div", "st-diagram-bar");
  const zoomOut = element("button", "st-zoom-out", { type: "button", textContent: "−", title: "Zoom out" });
  const zoomIn = element("button", "st-zoom-in", { type: "button", textContent: "+", title: "Zoom in" });
  const fit = element("button", "st-fit", { type: "button", textContent: "Fit", title: "Show the whole diagram" });
  const width = element("button", "st-fit-width", { type: "button", textContent: "↔", title: "Fit the width" });
  const search = element("input", "st-search", { type: "search", placeholder: "Find a table or column ⏎" });
  const status = element("span", "st-status");
  const hint = element("span", "st-hint", { textContent: "wheel: zoom · drag: pan · click a table: focus" });
  bar.append(zoomOut, zoomIn, fit, width, search, status, hint);
  const view = element("div", "st-diagram-view");
  const stage = element("div", "st-diagram-stage");
  view.append(stage);
  el.append(bar, view);

  const state = { scale: 1, x: 0, y: 0, width: 0, height: 0, fitted: true };
  let names = new Set();
  const tableNodes = () => [...stage.querySelectorAll("g.node")].filter((node) => names.has(titleOf(node)));
  const edges = () => [...stage.querySelectorAll("g.edge")];

  function apply() {
    stage.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.scale})`;
    view.dataset.scale = state.scale.toFixed(4);
    status.textContent = `${Math.round(state.scale * 100)}%`;
  }

  // At first the diagram fills the output's width (never enlarged), in a view no taller than most of the window;
  // Fit shows the whole of it.
  function fitWidth() {
    const available = view.clientWidth;
    if (!available || !state.width) return;
    state.scale = Math.min(1, available / state.width);
    const tallest = Math.max(320, Math.round(window.innerHeight * TALLEST));
    view.style.height = `${Math.min(tallest, Math.ceil(state.height * state.scale) + 2)}px`;
    state.x = Math.max(0, (available - state.width * state.scale) / 2);
    state.y = 0;
    state.fitted = true;
    apply();
  }

  function fitAll() {
    if (!view.clientWidth || !state.width) return;
    state.scale = Math.min(1, view.clientWidth / state.width, view.clientHeight / state.height);
    state.x = (view.clientWidth - state.width * state.scale) / 2;
    state.y = (view.clientHeight - state.height * state.scale) / 2;
    state.fitted = false;
    apply();
  }

  function zoomAt(px, py, factor) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, state.scale * factor));
    state.x = px - ((px - state.x) * scale) / state.scale;
    state.y = py - ((py - state.y) * scale) / state.scale;
    state.scale = scale;
    state.fitted = false;
    apply();
  }

  function centreOn(node) {
    if (state.scale < 0.75) zoomAt(view.clientWidth / 2, view.clientHeight / 2, 1 / state.scale);
    const box = node.getBoundingClientRect();
    const frame = view.getBoundingClientRect();
    state.x += frame.left + frame.width / 2 - (box.left + box.width / 2);
    state.y += frame.top + frame.height / 2 - (box.top + box.height / 2);
    state.fitted = false;
    apply();
  }

  // The table and its neighbours stay; every other table and edge is dimmed ("" clears).
  function highlight(name) {
    const keep = new Set(name ? [name] : []);
    for (const edge of edges()) {
      const [child, parent] = endsOf(edge, names);
      if (name && child === name && parent) keep.add(parent);
      if (name && parent === name && child) keep.add(child);
      edge.classList.toggle("st-dim", Boolean(name) && child !== name && parent !== name);
    }
    for (const node of tableNodes()) {
      const title = titleOf(node);
      node.classList.toggle("st-focus", Boolean(name) && title === name);
      node.classList.toggle("st-dim", Boolean(name) && !keep.has(title));
    }
  }

  function select(name) {
    highlight(name);
    model.set("selected", name);
    model.save_changes();
  }

  function find() {
    for (const node of stage.querySelectorAll(".st-found")) node.classList.remove("st-found");
    const hit = findIn(tableNodes(), search.value);
    if (!search.value.trim()) return;
    if (!hit) {
      status.textContent = `no table or column matches “${search.value.trim()}”`;
      return;
    }
    hit.node.classList.add("st-found");
    centreOn(hit.node);
    status.textContent = `${Math.round(state.scale * 100)}% · ${hit.label}`;
  }

  function load() {
    names = new Set(model.get("tables"));
    stage.innerHTML = model.get("svg"); // our own renderer's SVG (Graphviz escapes every name)
    const svg = stage.querySelector("svg");
    if (!svg) return;
    Object.assign(state, naturalSize(svg));
    svg.setAttribute("width", `${state.width}px`);
    svg.setAttribute("height", `${state.height}px`);
    for (const node of tableNodes()) node.classList.add("st-table");
    fitWidth();
    highlight(model.get("selected"));
  }

  zoomIn.addEventListener("click", () => zoomAt(view.clientWidth / 2, view.clientHeight / 2, STEP));
  zoomOut.addEventListener("click", () => zoomAt(view.clientWidth / 2, view.clientHeight / 2, 1 / STEP));
  fit.addEventListener("click", fitAll);
  width.addEventListener("click", fitWidth);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") find();
  });
  view.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      const frame = view.getBoundingClientRect();
      const delta = event.deltaY * (event.deltaMode === 1 ? 33 : 1);
      zoomAt(event.clientX - frame.left, event.clientY - frame.top, Math.exp(-delta / 500));
    },
    { passive: false },
  );

  // A press that moves pans; one that does not is a click, on a table (focus it) or on the background (clear).
  let press = null;
  view.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const node = event.target.closest ? event.target.closest("g.node") : null;
    press = { x: event.clientX, y: event.clientY, ox: state.x, oy: state.y, moved: false, node };
    view.setPointerCapture(event.pointerId);
  });
  view.addEventListener("pointermove", (event) => {
    if (!press) return;
    const dx = event.clientX - press.x;
    const dy = event.clientY - press.y;
    if (!press.moved && Math.hypot(dx, dy) < 4) return;
    press.moved = true;
    view.classList.add("st-dragging");
    state.x = press.ox + dx;
    state.y = press.oy + dy;
    state.fitted = false;
    apply();
  });
  view.addEventListener("pointerup", () => {
    const done = press;
    press = null;
    view.classList.remove("st-dragging");
    if (!done || done.moved) return;
    const name = done.node ? titleOf(done.node) : "";
    select(names.has(name) ? name : "");
  });
  view.addEventListener("pointercancel", () => {
    press = null;
    view.classList.remove("st-dragging");
  });

  const resized = new ResizeObserver(() => {
    if (state.fitted) fitWidth();
  });
  resized.observe(view);
  model.on("change:svg", load);
  model.on("change:selected", () => highlight(model.get("selected")));
  load();
  return () => resized.disconnect();
}

export default { render };
