/**
 * Registers the Telltale handler for every LangChain run in the process, the way `@telltale/node` does when
 * `@langchain/core` is installed: LangChain builds the callback manager of every run with
 * `CallbackManager._configureSync`, and the patched one adds the handler to the handlers it inherits (once: a run
 * that already has a `telltale` handler, e.g. one passed explicitly, keeps only that one). Both the CommonJS and the
 * ES module build of `@langchain/core` are patched as they load.
 */
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
  type InstrumentationConfig,
} from "@opentelemetry/instrumentation";
import { fieldsOf } from "./fields.js";
import { HANDLER_NAME, TelltaleCallbackHandler } from "./handler.js";
import { VERSION } from "./version.js";
import { LANGCHAIN_DIAG } from "./diag.js";

const SUPPORTED_VERSIONS = [">=1.0.0 <2"];
const MANAGER_FILES = ["@langchain/core/dist/callbacks/manager.cjs", "@langchain/core/dist/callbacks/manager.js"];
const CONFIGURE = "_configureSync";

type Configure = (this: unknown, inheritable: unknown, ...rest: unknown[]) => unknown;

interface HandlerList {
  handlers?: unknown;
  copy?: (additional: unknown[], inherit: boolean) => unknown;
}

function hasTelltale(handlers: unknown): boolean {
  return Array.isArray(handlers) && handlers.some((handler) => fieldsOf(handler)?.name === HANDLER_NAME);
}

/** The inheritable handlers a run is configured with, with the Telltale handler among them. */
function withTelltale(inheritable: unknown, handler: TelltaleCallbackHandler): unknown {
  if (inheritable === undefined || inheritable === null) return [handler];
  if (Array.isArray(inheritable)) return hasTelltale(inheritable) ? inheritable : [...inheritable, handler];
  const manager = inheritable as HandlerList;
  if (hasTelltale(manager.handlers) || typeof manager.copy !== "function") return inheritable;
  return manager.copy([handler], true);
}

/** Adds the Telltale callback handler to every LangChain and LangGraph run (see {@link TelltaleCallbackHandler}). */
export class LangChainInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  declare private handler: TelltaleCallbackHandler | undefined;
  declare private manualTargets: object[] | undefined;

  constructor(config: InstrumentationConfig = {}) {
    super("@telltale/langchain", VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const files = MANAGER_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(
          file,
          SUPPORTED_VERSIONS,
          (exports: unknown) => {
            this.patchManager(fieldsOf(exports)?.CallbackManager, false);
            return exports;
          },
          (exports: unknown) => {
            if (exports !== undefined) this.unpatchManager(fieldsOf(exports)?.CallbackManager);
          },
        ),
    );
    return [new InstrumentationNodeModuleDefinition("@langchain/core", SUPPORTED_VERSIONS, undefined, undefined, files)];
  }

  /**
   * For bundled apps, where no module hook sees `@langchain/core` load: patches the `CallbackManager` class you pass
   * (`import { CallbackManager } from "@langchain/core/callbacks/manager"`). Undone by `disable()`.
   */
  manuallyInstrument(callbackManagerClass: unknown): void {
    this.patchManager(callbackManagerClass, true);
  }

  override disable(): void {
    super.disable();
    for (const target of this.manualTargets ?? []) this.unpatchManager(target);
    this.manualTargets = [];
  }

  private patchManager(managerClass: unknown, manual: boolean): void {
    try {
      const target = managerClass as Record<string, Configure> | undefined;
      if (typeof target?.[CONFIGURE] !== "function") {
        LANGCHAIN_DIAG.warn(`no CallbackManager.${CONFIGURE} found; LangChain runs are not traced globally`);
        return;
      }
      if (isWrapped(target[CONFIGURE])) return;
      this.handler ??= new TelltaleCallbackHandler();
      const handler = this.handler;
      this._wrap(target, CONFIGURE, (original: Configure) =>
        function configure(this: unknown, inheritable: unknown, ...rest: unknown[]): unknown {
          let handlers = inheritable;
          try {
            handlers = withTelltale(inheritable, handler);
          } catch (failure) {
            LANGCHAIN_DIAG.error("adding the handler failed", failure);
          }
          return original.call(this, handlers, ...rest);
        },
      );
      if (manual) (this.manualTargets ??= []).push(target);
    } catch (failure) {
      LANGCHAIN_DIAG.error("patching CallbackManager failed", failure);
    }
  }

  private unpatchManager(managerClass: unknown): void {
    const target = managerClass as Record<string, Configure> | undefined;
    if (target !== undefined && isWrapped(target[CONFIGURE])) this._unwrap(target, CONFIGURE);
  }
}
