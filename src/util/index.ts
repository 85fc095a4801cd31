export * from "./fs";
export * from "./errors";
export * from "./random";
export * from "./progress";
export * from "./html";
export * from "./shell";
export * from "./text";
export * from "./checksums";
