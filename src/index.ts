// The one public entry the notebooks import: `import * as lab from "./src"`.
export * from "./util";
export * from "./data";
