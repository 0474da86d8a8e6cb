/* The browser modeller (templates/modeller/edit.html): the bpmn-js Modeler,
   Validate, Deploy as new version and Download .bpmn.

   Everything comes from the data- attributes of [data-modeller] (the CSP
   allows no inline script): where the XML loads from, where to post it, and
   where it came from (key + version, template, or neither for a blank
   diagram), which the server needs to put the edited BPMN back among the
   other files of its bundle (forms, decision tables). Posts carry the CSRF
   token of the page's meta tag in the X-CSRFToken header, as htmx's do.

   Problems a check finds are listed beside the canvas; those about an element
   of the diagram also mark it (class modeller-problem, and a badge with how
   many problems it has). Clicking a listed problem selects and centres its
   element. The box's data-state says "ready", "checking", "deploying" for
   tests; leaving the page with edits not deployed asks first. */
(function () {
  "use strict";

  var box = document.querySelector("[data-modeller]");
  if (!box || typeof window.BpmnJS !== "function") {
    return;
  }
  var canvasBox = box.querySelector("[data-canvas]");
  var statusLine = box.querySelector("[data-status]");
  var problemList = box.querySelector("[data-problems]");
  var problemNote = box.querySelector("[data-problems-note]");
  var buttons = {
    validate: box.querySelector('[data-action="validate"]'),
    deploy: box.querySelector('[data-action="deploy"]'),
    download: box.querySelector('[data-action="download"]')
  };
  var tokenTag = document.querySelector('meta[name="csrf-token"]');
  var PROBLEM_MARKER = "modeller-problem";
  var OVERLAY_TYPE = "modeller-problems";
  var PALETTE_SPACE = 110, MARGIN = 30, READABLE = 0.6, ZOOM_STEP = 1.25;

  var origin = {
    key: box.getAttribute("data-key") || null,
    version: box.getAttribute("data-version") ? Number(box.getAttribute("data-version")) : null,
    template: box.getAttribute("data-template") || null
  };
  var dirty = false;
  var marked = [];

  canvasBox.replaceChildren();
  var modeler = new window.BpmnJS({ container: canvasBox });
  var canvas = modeler.get("canvas");
  var registry = modeler.get("elementRegistry");
  var overlays = modeler.get("overlays");

  function say(text, kind, link) {
    statusLine.className = "modeller-status" + (kind ? " modeller-status-" + kind : "");
    statusLine.replaceChildren(document.createTextNode(text));
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      statusLine.append(" ", a);
    }
  }

  function setBusy(state) {
    box.setAttribute("data-state", state);
    var idle = state === "ready";
    buttons.validate.disabled = !idle;
    buttons.deploy.disabled = !idle;
  }

  // --- problems on the diagram and in the list --------------------------------

  function diagramElement(id) {
    var element = id ? registry.get(id) : null;
    // The process itself is the canvas's root: its problems are listed, not drawn.
    return element && element !== canvas.getRootElement() ? element : null;
  }

  function clearProblems() {
    overlays.remove({ type: OVERLAY_TYPE });
    marked.forEach(function (id) {
      if (registry.get(id)) {
        canvas.removeMarker(id, PROBLEM_MARKER);
      }
    });
    marked = [];
    problemList.replaceChildren();
  }

  function badge(count) {
    var b = document.createElement("span");
    b.className = "modeller-problem-badge";
    b.textContent = String(count);
    b.title = count === 1 ? "1 problem" : count + " problems";
    return b;
  }

  function centre(element) {
    var area = element.waypoints ? bounds(element.waypoints) : element;
    var view = canvas.viewbox();
    var palette = PALETTE_SPACE / 2 / view.scale;   // the middle of the room beside the palette
    canvas.viewbox({
      x: area.x + (area.width || 0) / 2 - view.width / 2 - palette,
      y: area.y + (area.height || 0) / 2 - view.height / 2,
      width: view.width,
      height: view.height
    });
  }

  function bounds(points) {
    var xs = points.map(function (p) { return p.x; });
    var ys = points.map(function (p) { return p.y; });
    var x = Math.min.apply(null, xs), y = Math.min.apply(null, ys);
    return { x: x, y: y, width: Math.max.apply(null, xs) - x, height: Math.max.apply(null, ys) - y };
  }

  function listItem(problem) {
    var item = document.createElement("li");
    var element = diagramElement(problem.element);
    var name = element && element.businessObject && element.businessObject.name;
    var where = (name ? name + " (" + problem.element + ")" : problem.element || problem.file) +
      (problem.line ? " · line " + problem.line : "");
    var target = document.createElement(element ? "button" : "div");
    target.className = "modeller-problem-item";
    var label = document.createElement("span");
    label.className = "modeller-problem-where";
    label.textContent = where;
    var message = document.createElement("span");
    message.className = "modeller-problem-message";
    message.textContent = problem.message;
    target.append(label, message);
    if (element) {
      target.type = "button";
      target.setAttribute("data-element", element.id);
      target.addEventListener("click", function () {
        modeler.get("selection").select(element);
        centre(element);
      });
    }
    item.appendChild(target);
    return item;
  }

  function showProblems(problems) {
    clearProblems();
    var counts = {};
    problems.forEach(function (problem) {
      problemList.appendChild(listItem(problem));
      if (diagramElement(problem.element)) {
        counts[problem.element] = (counts[problem.element] || 0) + 1;
      }
    });
    Object.keys(counts).forEach(function (id) {
      canvas.addMarker(id, PROBLEM_MARKER);
      overlays.add(id, OVERLAY_TYPE, { position: { top: -10, right: 10 }, html: badge(counts[id]) });
      marked.push(id);
    });
    problemNote.textContent = problems.length ? "" : "No problems: the diagram can be deployed.";
    problemNote.hidden = problems.length > 0;
  }

  // --- talking to the server -----------------------------------------------------

  function post(url, xml) {
    var body = { xml: xml, key: origin.key, version: origin.version, template: origin.template };
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": tokenTag ? tokenTag.getAttribute("content") : ""
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return { status: response.status, answer: answer };
      });
    });
  }

  function currentXml() {
    return modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  }

  function count(n) {
    return n === 1 ? "1 problem" : n + " problems";
  }

  function failed(error) {
    say("That did not work: " + (error && error.message ? error.message : "the server could not be reached") +
        ". Your edits are still here.", "error");
  }

  // Posts the current XML to the server and hands the reply to onReply;
  // the buttons wait meanwhile, and a failure leaves the edits as they are.
  function send(state, text, urlAttribute, onReply) {
    setBusy(state);
    say(text);
    return currentXml()
      .then(function (xml) { return post(box.getAttribute(urlAttribute), xml); })
      .then(onReply)
      .catch(failed)
      .then(function () { setBusy("ready"); });
  }

  function refusal(reply, what) {
    return new Error(reply.answer.message || what + " failed (" + reply.status + ")");
  }

  function validate() {
    return send("checking", "Checking…", "data-validate-url", function (reply) {
      if (reply.status !== 200) {
        throw refusal(reply, "the check");
      }
      var problems = reply.answer.problems || [];
      showProblems(problems);
      say(problems.length ? count(problems.length) + " found: see the list and the red marks."
        : "No problems: the diagram can be deployed.", problems.length ? "error" : "success");
    });
  }

  function deployed(definitions) {
    // The definition this diagram is; a bundle with a called process may hold more.
    var mine = definitions.filter(function (d) { return d.key === origin.key; })[0] || definitions[0];
    clearProblems();
    problemNote.hidden = false;
    problemNote.textContent = "No problems: the diagram was deployed.";
    dirty = false;
    var link = mine.url ? { href: mine.url, text: "Read its documentation" } : null;
    if (mine.new) {
      say("Deployed: " + mine.name + " is now version " + mine.version + ".", "success", link);
    } else {
      say("No change: this diagram is already " + mine.name + " version " + mine.version +
          ", so nothing new was deployed.", "info", link);
    }
    // From now on the page edits what was deployed: its forms and decision tables come along.
    origin = { key: mine.key, version: mine.version, template: null };
    box.setAttribute("data-key", mine.key);
    box.setAttribute("data-version", String(mine.version));
    box.setAttribute("data-template", "");
    box.querySelector(".modeller-title").textContent = mine.name + " (version " + mine.version + ")";
    document.title = "Modeller · " + mine.name + " (version " + mine.version + ") · Baton";
    if (mine.edit_url && window.history.replaceState) {
      window.history.replaceState(null, "", mine.edit_url);
    }
  }

  function deploy() {
    return send("deploying", "Deploying…", "data-deploy-url", function (reply) {
      if (reply.status === 422 && reply.answer.problems) {
        showProblems(reply.answer.problems);
        say("Not deployed: " + count(reply.answer.problems.length) + " to fix first.", "error");
      } else if (reply.status !== 200) {
        throw refusal(reply, "the deploy");
      } else {
        deployed(reply.answer.definitions || []);
      }
    });
  }

  function download(event) {
    event.preventDefault();
    currentXml().then(function (xml) {
      var root = canvas.getRootElement();
      var name = ((root && root.id) || "process") + ".bpmn";
      var url = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
      var a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    }).catch(failed);
  }

  // --- start ---------------------------------------------------------------------

  // The whole diagram in view, clear of the palette on the left, at most full
  // size; a wide process is shown no smaller than READABLE, from its start
  // (people scroll with the wheel, zoom with Ctrl and the wheel or the buttons).
  function fit() {
    var view = canvas.viewbox();
    var inner = view.inner, outer = view.outer;
    if (!inner.width || !inner.height) {
      return;
    }
    var room = { width: outer.width - PALETTE_SPACE - 2 * MARGIN, height: outer.height - 2 * MARGIN };
    var scale = Math.max(Math.min(room.width / inner.width, room.height / inner.height, 1), READABLE);
    var spareX = Math.max(0, room.width / scale - inner.width), spareY = Math.max(0, room.height / scale - inner.height);
    canvas.viewbox({
      x: inner.x - (PALETTE_SPACE + MARGIN) / scale - spareX / 2,
      y: inner.y - MARGIN / scale - spareY / 2,
      width: outer.width / scale,
      height: outer.height / scale
    });
  }

  function zoomButton(text, label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "diagram-zoom-button";
    b.textContent = text;
    b.title = label;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function addZoomControls() {
    var controls = document.createElement("div");
    controls.className = "diagram-zoom";
    controls.append(
      zoomButton("+", "Zoom in", function () { canvas.zoom(canvas.zoom() * ZOOM_STEP, "auto"); }),
      zoomButton("\u2212", "Zoom out", function () { canvas.zoom(canvas.zoom() / ZOOM_STEP, "auto"); }),
      zoomButton("Fit", "Show the whole diagram", function () { canvas.zoom("fit-viewport", "auto"); }));
    canvasBox.appendChild(controls);
  }

  buttons.validate.addEventListener("click", validate);
  buttons.deploy.addEventListener("click", deploy);
  buttons.download.addEventListener("click", download);
  modeler.on("commandStack.changed", function () { dirty = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  box.setAttribute("data-state", "loading");
  fetch(box.getAttribute("data-source-url"), { credentials: "same-origin", headers: { Accept: "application/xml" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("the diagram could not be loaded (" + response.status + ")");
      }
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function (result) {
      fit();
      addZoomControls();
      if (result.warnings && result.warnings.length && window.console) {
        window.console.warn("modeller:", result.warnings);
      }
      setBusy("ready");
      say("Edit the diagram, then validate it or deploy it as a new version.");
    })
    .catch(function (error) {
      box.setAttribute("data-state", "failed");
      say("The diagram could not be opened: " + error.message, "error");
    });
})();
