/**
 * The short names the openai instrumentation reads untyped SDK objects with: the shared readers of
 * `@telltale/instrumentation-common`, kept under these names so the request and summary code reads tersely.
 */
export {
  fieldsOf as asBag,
  itemsOf as asArray,
  jsonTextOf as textOf,
  numberOf as num,
  stringOf as str,
  type Fields as Bag,
} from "@telltale/instrumentation-common";
