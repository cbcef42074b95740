export * from "./attributes.js";
