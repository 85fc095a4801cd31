export * from "./decode";
export * from "./resample";
export * from "./load";
