// Interactive figures: the plotly bundle is inlined once per session, figures are deterministic HTML.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { confusionMatrixFigure, plotlyHtml, plotlyPage, resetPlotlyBundle, scatterFigure } from "../../src/plots/plotly";

const BUNDLE_MARK = "plotly.js v";

test("the bundle is inlined in the first figure only, until reset", () => {
  resetPlotlyBundle();
  const fig = confusionMatrixFigure(["A", "B"], [[3, 1], [0, 4]]);
  const first = plotlyHtml(fig);
  const second = plotlyHtml(fig);
  assert.ok(first.includes(BUNDLE_MARK), "first figure carries plotly.js");
  assert.ok(!second.includes(BUNDLE_MARK), "second figure does not");
  assert.ok(second.length < 20000);
  resetPlotlyBundle();
  assert.ok(plotlyHtml(fig).includes(BUNDLE_MARK));
  assert.ok(plotlyPage(fig, "cm").includes(BUNDLE_MARK), "standalone pages always carry it");
});

test("figure HTML is deterministic and script-safe", () => {
  const fig = scatterFigure(
    [
      { x: 0, y: 1, group: "Rock", hover: "track 2 </script><b>" },
      { x: 1, y: 0, group: "Pop", hover: "track 5", marked: true },
    ],
    { title: "UMAP", markedName: "misclassified" },
  );
  const a = plotlyHtml(fig, { bundle: "never" });
  const b = plotlyHtml(fig, { bundle: "never" });
  assert.equal(a, b);
  assert.ok(!a.slice(a.indexOf("var fig")).includes("</script><b>"), "hover text cannot close the script tag");
  assert.equal(fig.data.length, 2);
  assert.equal((fig.data[1] as { name: string }).name, "Rock");
  assert.match((fig.data[0] as { name: string }).name, /Pop — misclassified/);
});

test("confusion matrix figure normalises rows and annotates counts", () => {
  const fig = confusionMatrixFigure(["A", "B"], [[3, 1], [0, 4]]);
  const z = (fig.data[0] as { z: number[][] }).z;
  assert.deepEqual(z, [[0.75, 0.25], [0, 1]]);
  const ann = (fig.layout as { annotations: { text: string }[] }).annotations.map((a) => a.text);
  assert.deepEqual(ann, ["3", "1", "0", "4"]);
});
