// The one public entry the notebooks import: `import * as lab from "./src"`.
export * from "./util";
export * from "./data";
export * from "./plots";
export * from "./notebook";
export * from "./audio";
export * from "./features";
export * from "./tf";
export * from "./native";
export * from "./models";
export * from "./analysis";
export * from "./train";
export * from "./eval";
// The study stage (studyConfig, ensureStudyCache, trainStudyModel, generateFigures, …): lab.study.*
export * as study from "./study";
