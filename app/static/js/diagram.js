/* Draws BPMN diagrams with bpmn-js and marks the steps of a case.

   Every element with a data-diagram-url gets drawn: the page loads bpmn-js
   (the Viewer or the NavigatedViewer, both define BpmnJS) and this file, and
   puts the data on the box (the CSP allows no inline script):

     data-diagram-url   same-origin address of the BPMN XML
     data-completed     BPMN ids of the steps done        -> class baton-completed
     data-active        BPMN ids of the steps waiting      -> class baton-active
     data-failed        BPMN ids of the steps that failed  -> class baton-failed
     data-flows         BPMN ids of the sequence flows taken -> class baton-taken
     (each a space-separated list; baton.css colours the classes)

   The box's data-diagram-state becomes "drawn" or "failed" when done, so
   tests and other scripts can wait for it. Once drawn, buttons over the box
   zoom in and out and fit the whole diagram again (a wide process fits only
   small); its data-zoom says the scale, for tests. partials/_diagram.html
   writes such a box; pages that swap one in later call
   BatonDiagram.drawAll(root). */
(function () {
  "use strict";

  var MARKERS = {
    completed: "baton-completed", active: "baton-active", failed: "baton-failed", flows: "baton-taken"
  };

  function ids(box, name) {
    return (box.getAttribute("data-" + name) || "").split(/\s+/).filter(Boolean);
  }

  function say(box, text) {
    var note = document.createElement("p");
    note.className = "diagram-note";
    note.textContent = text;
    box.appendChild(note);
  }

  function mark(viewer, box) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    Object.keys(MARKERS).forEach(function (group) {
      ids(box, group).forEach(function (id) {
        // A step of a called process, or one renamed in a later version, is not drawn here.
        if (registry.get(id)) {
          canvas.addMarker(id, MARKERS[group]);
        }
      });
    });
  }

  // Fits the drawing into the box, and a wide process into a shorter box, so
  // a narrow panel does not show a thin strip of diagram in a tall empty frame.
  // (The CSS height is the most the box takes.)
  function fit(viewer, box) {
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    var inner = canvas.viewbox().inner;
    if (!inner.width || !inner.height) {
      return;
    }
    var wanted = Math.ceil(box.clientWidth * inner.height / inner.width) + 48;
    if (wanted < box.clientHeight) {
      box.style.height = Math.max(wanted, 160) + "px";
      canvas.resized();
      canvas.zoom("fit-viewport", "auto");
    }
    // A margin all round, so the drawing does not touch the frame or run under
    // the bpmn.io mark in the corner (which its licence asks to keep visible).
    canvas.zoom(canvas.zoom() * 0.9);
  }

  var ZOOM_STEP = 1.4;

  function button(text, label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "diagram-zoom-button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function addZoomControls(viewer, box) {
    var canvas = viewer.get("canvas");
    var fitted = canvas.zoom();
    function zoomTo(scale) {
      canvas.zoom(scale, "auto");
      box.setAttribute("data-zoom", canvas.zoom().toFixed(3));
    }
    var controls = document.createElement("div");
    controls.className = "diagram-zoom";
    controls.append(
      button("+", "Zoom in", function () { zoomTo(canvas.zoom() * ZOOM_STEP); }),
      button("\u2212", "Zoom out", function () { zoomTo(canvas.zoom() / ZOOM_STEP); }),
      button("Fit", "Show the whole diagram", function () {
        canvas.zoom("fit-viewport", "auto");
        zoomTo(fitted);
      }));
    box.appendChild(controls);
    box.setAttribute("data-zoom", fitted.toFixed(3));
  }

  function draw(box) {
    if (typeof window.BpmnJS !== "function" || box.getAttribute("data-diagram-state")) {
      return Promise.resolve();
    }
    box.setAttribute("data-diagram-state", "loading");
    box.classList.remove("diagram-waiting");
    // The box holds a note for browsers without JavaScript; the drawing replaces it.
    box.replaceChildren();
    var viewer = new window.BpmnJS({ container: box });
    return fetch(box.getAttribute("data-diagram-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/xml" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the diagram could not be loaded (" + response.status + ")");
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        fit(viewer, box);
        mark(viewer, box);
        addZoomControls(viewer, box);
        box.setAttribute("data-diagram-state", "drawn");
      })
      .catch(function (error) {
        box.setAttribute("data-diagram-state", "failed");
        viewer.destroy();
        box.replaceChildren();
        say(box, "The diagram could not be shown.");
        if (window.console) {
          window.console.warn("diagram:", error);
        }
      });
  }

  function drawAll(root) {
    var boxes = (root || document).querySelectorAll("[data-diagram-url]");
    return Promise.all(Array.prototype.map.call(boxes, draw));
  }

  window.BatonDiagram = { draw: draw, drawAll: drawAll };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
})();
