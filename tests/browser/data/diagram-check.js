// Draws the diagram named by #diagram's data attributes with bpmn-js (the
// Viewer or the Modeler, whichever the page loaded) and marks its first task.
(async function () {
  const box = document.getElementById("diagram");
  const result = document.getElementById("result");
  try {
    const xml = await (await fetch(box.dataset.diagramUrl)).text();
    const viewer = new BpmnJS({ container: box });
    await viewer.importXML(xml);
    const canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport");
    const task = viewer.get("elementRegistry").find((e) => e.type === "bpmn:UserTask");
    canvas.addMarker(task.id, "baton-marked");
    if (box.dataset.kind === "modeler") {
      await document.fonts.load("12px bpmn");
    }
    result.textContent = "drawn";
  } catch (error) {
    result.textContent = "failed: " + error;
    throw error;
  }
})();
