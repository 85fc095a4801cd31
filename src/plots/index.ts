// Figures: Observable Plot rendered server-side, shown in notebooks, written to figures/.
export { renderPlot, stablePlotIds, toStandaloneSvg, Plot } from "./observable";
export {
  displayHtml,
  isTslabKernel,
  writeFigure,
  svgToPng,
  dataFrameHtml,
  escapeHtml,
  type TableLike,
  type WriteFigureOptions,
  type WrittenFigure,
} from "./html";
export { encodePng, pngDataUri, crc32 } from "./png";
export * from "./spectrogram";
export * from "./figures";
export * from "./plotly";
export { audioExcerptHtml, encodeWav16, type AudioExcerptOptions } from "./audio";
