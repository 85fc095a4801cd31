export * from "./decode";
export * from "./resample";
export * from "./load";
export * from "./engine";
